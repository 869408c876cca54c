package dev.kafkaqueue.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Backpressure from the workers to the fetcher, so memory is bounded by partitions times {@code limit}.
 *
 * <p>When a partition's backlog (fetched, unfinished records) reaches the limit, the poll thread first waits, up to
 * {@code patience}, for the workers to bring it down to half: with fast work that takes a moment, and the fetcher is
 * never paused. Pausing has a cost: the fetch session then drops the partition, and a fetch for nothing waits out
 * {@code fetch.max.wait.ms} before the partition can be fetched again. Only when the work is slow, and the backlog
 * is still full after that wait, is the partition paused ({@code KafkaConsumer#pause}); the loop keeps polling, so
 * the member stays in its group however long the work takes, and the partition is resumed once half is done.
 * Poll thread only.
 */
final class Throttle {

    private static final long CHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final int limit;
    private final long patienceNanos;
    private final Set<TopicPartition> paused = new HashSet<>();

    /**
     * @param limit    fetched, unfinished records per partition that make the fetcher wait
     * @param patience how long the poll thread waits for the backlog to halve before it pauses the partition; well
     *                 below {@code max.poll.interval.ms}
     */
    Throttle(int limit, Duration patience) {
        this.limit = limit;
        this.patienceNanos = patience.toNanos();
    }

    /**
     * After a poll: waits for a full backlog to drain, or pauses its partitions, and resumes those that drained.
     *
     * @param stopping true once the run is stopping: the wait ends at once
     */
    void apply(Consumer<?, ?> kafka, TaskDone taskDone, Set<TopicPartition> fetched, BooleanSupplier stopping) {
        List<TopicPartition> full = null;
        for (TopicPartition tp : fetched) {
            if (taskDone.unfinished(tp) >= limit && !paused.contains(tp)) {
                if (full == null) {
                    full = new ArrayList<>();
                }
                full.add(tp);
            }
        }
        if (full != null && !awaitHalf(taskDone, full, stopping)) {
            kafka.pause(full);
            paused.addAll(full);
        }
        if (!paused.isEmpty()) {
            resumeDrained(kafka, taskDone);
        }
    }

    /** Forgets partitions that left this member. */
    void forget(Collection<TopicPartition> partitions) {
        paused.removeAll(partitions);
    }

    /** True when every given partition's backlog came down to half within the patience. */
    private boolean awaitHalf(TaskDone taskDone, List<TopicPartition> full, BooleanSupplier stopping) {
        long deadline = System.nanoTime() + patienceNanos;
        full.removeIf(tp -> taskDone.unfinished(tp) <= limit / 2);
        while (!full.isEmpty()) {
            if (System.nanoTime() - deadline >= 0 || stopping.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(CHECK_NANOS); // only while a backlog is full: fast workers empty it in moments
            full.removeIf(tp -> taskDone.unfinished(tp) <= limit / 2);
        }
        return true;
    }

    private void resumeDrained(Consumer<?, ?> kafka, TaskDone taskDone) {
        List<TopicPartition> toResume = new ArrayList<>();
        Set<TopicPartition> assigned = kafka.assignment();
        for (Iterator<TopicPartition> it = paused.iterator(); it.hasNext(); ) {
            TopicPartition tp = it.next();
            if (!assigned.contains(tp)) {
                it.remove();
            } else if (taskDone.unfinished(tp) <= limit / 2) {
                toResume.add(tp);
                it.remove();
            }
        }
        if (!toResume.isEmpty()) {
            kafka.resume(toResume);
        }
    }
}
