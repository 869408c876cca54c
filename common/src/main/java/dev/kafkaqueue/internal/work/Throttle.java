package dev.kafkaqueue.internal.work;

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
 * Backpressure from the workers to the fetcher, so memory is bounded by partitions times the backlog limit.
 *
 * <p>A partition's backlog is what it holds in memory: its fetched records not yet past its finished prefix (a
 * finished record behind a slow one counts, since it cannot be let go first). It is full when it reaches
 * {@code maxRecords} records or {@code maxBytes} of keys and values. It has drained once both are down to half.
 * When a backlog is full, the poll thread first waits, up to {@code patience}, for the workers to drain it: with fast
 * work that takes a moment, and the fetcher is never paused. Pausing has a cost: the fetch session then drops the
 * partition, and a fetch for nothing waits out {@code fetch.max.wait.ms} before the partition can be fetched again.
 * Only when the work is slow, and the backlog is still full after that wait, is the partition paused
 * ({@code KafkaConsumer#pause}); the loop keeps polling, so the member stays in its group however long the work
 * takes, and the partition is resumed once half is done.
 * Poll thread only.
 */
final class Throttle {

    private static final long CHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final int maxRecords;
    private final long maxBytes;
    private final long patienceNanos;
    private final Set<TopicPartition> paused = new HashSet<>();

    /**
     * @param maxRecords records per partition, fetched and not yet past its finished prefix, that make the fetcher wait
     * @param maxBytes   key and value bytes per partition, fetched and not yet committable, that do the same
     * @param patience   how long the poll thread waits for the backlog to halve before it pauses the partition; well
     *                   below {@code max.poll.interval.ms}
     */
    Throttle(int maxRecords, long maxBytes, Duration patience) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
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
            if (!paused.contains(tp) && full(taskDone, tp)) {
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
        full.removeIf(tp -> drained(taskDone, tp));
        while (!full.isEmpty()) {
            if (System.nanoTime() - deadline >= 0 || stopping.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(CHECK_NANOS); // only while a backlog is full: fast workers empty it in moments
            full.removeIf(tp -> drained(taskDone, tp));
        }
        return true;
    }

    private boolean full(TaskDone taskDone, TopicPartition tp) {
        return taskDone.held(tp) >= maxRecords || taskDone.inFlightBytes(tp) >= maxBytes;
    }

    private boolean drained(TaskDone taskDone, TopicPartition tp) {
        return taskDone.held(tp) <= maxRecords / 2 && taskDone.inFlightBytes(tp) <= maxBytes / 2;
    }

    private void resumeDrained(Consumer<?, ?> kafka, TaskDone taskDone) {
        List<TopicPartition> toResume = new ArrayList<>();
        Set<TopicPartition> assigned = kafka.assignment();
        for (Iterator<TopicPartition> it = paused.iterator(); it.hasNext(); ) {
            TopicPartition tp = it.next();
            if (!assigned.contains(tp)) {
                it.remove();
            } else if (drained(taskDone, tp)) {
                toResume.add(tp);
                it.remove();
            }
        }
        if (!toResume.isEmpty()) {
            kafka.resume(toResume);
        }
    }
}
