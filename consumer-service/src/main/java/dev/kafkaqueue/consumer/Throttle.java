package dev.kafkaqueue.consumer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Backpressure from the workers to the fetcher: a partition whose fetched, unfinished records reach the limit is
 * paused, and resumed once half of them are done. The poll loop keeps polling throughout, so the member stays in its
 * group however slow the work is. Memory is bounded by partitions times the limit. Poll thread only.
 */
final class Throttle {

    private final int limit;
    private final Set<TopicPartition> paused = new HashSet<>();

    /** @param limit fetched, unfinished records per partition before it is paused */
    Throttle(int limit) {
        this.limit = limit;
    }

    /** Pauses the partitions just fetched whose backlog is full, and resumes those that drained. */
    void apply(Consumer<?, ?> kafka, TaskDone taskDone, Set<TopicPartition> fetched) {
        List<TopicPartition> toPause = null;
        for (TopicPartition tp : fetched) {
            if (taskDone.inFlight(tp) >= limit && !paused.contains(tp)) {
                if (toPause == null) {
                    toPause = new ArrayList<>();
                }
                toPause.add(tp);
            }
        }
        if (toPause != null) {
            kafka.pause(toPause);
            paused.addAll(toPause);
        }
        if (paused.isEmpty()) {
            return;
        }
        List<TopicPartition> toResume = new ArrayList<>();
        Set<TopicPartition> assigned = kafka.assignment();
        for (Iterator<TopicPartition> it = paused.iterator(); it.hasNext(); ) {
            TopicPartition tp = it.next();
            if (!assigned.contains(tp)) {
                it.remove();
            } else if (taskDone.inFlight(tp) <= limit / 2) {
                toResume.add(tp);
                it.remove();
            }
        }
        if (!toResume.isEmpty()) {
            kafka.resume(toResume);
        }
    }

    /** Forgets partitions that left this member. */
    void forget(Collection<TopicPartition> partitions) {
        paused.removeAll(partitions);
    }
}
