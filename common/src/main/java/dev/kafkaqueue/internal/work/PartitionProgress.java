package dev.kafkaqueue.internal.work;

import java.util.ArrayDeque;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * {@link TaskDone}'s record of one assigned partition: its fetched tasks in offset order, the end of their finished
 * prefix with the closure metadata there, and what was committed. {@link TaskDone} reads and moves these fields on the
 * poll thread; workers only mark tasks done, and read {@link #owned()} and the committed offset.
 */
final class PartitionProgress {

    final TopicPartition tp;
    final ArrayDeque<Task> inFlight = new ArrayDeque<>();
    /** Key and value bytes of the tasks in {@link #inFlight}: what they hold in memory. Poll thread only. */
    long inFlightBytes;
    long committable = -1;
    Optional<Integer> leaderEpoch = Optional.empty();
    String metadata;
    long requested = -1;
    volatile long committed = -1;
    volatile boolean owned = true;
    /** The offset after the last record fetched: where the fetcher is. Written by the poll thread, read by any. */
    volatile long fetchedTo = -1;
    /**
     * The CreateTime of the oldest record fetched here and not yet past the finished prefix, in epoch milliseconds;
     * -1 when none is. Written by the poll thread, read by a metrics scrape.
     */
    volatile long oldestMillis = -1;
    /** Tasks taken by a getter and not yet done (pull mode): what a revoke waits for. Any thread. */
    final java.util.concurrent.atomic.AtomicInteger inHand = new java.util.concurrent.atomic.AtomicInteger();

    PartitionProgress(TopicPartition tp, String metadata) {
        this.tp = tp;
        this.metadata = metadata;
    }

    TopicPartition topicPartition() {
        return tp;
    }

    boolean owned() {
        return owned;
    }

    /** How long the oldest unfinished record fetched here has waited, in seconds; 0 when none is. Any thread. */
    double oldestAgeSeconds() {
        long oldest = oldestMillis;
        return oldest < 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
    }

    /** Moves past the finished head of the queue; true when the committable offset moved. Poll thread only. */
    boolean advance() {
        Task last = null;
        for (Task head = inFlight.peek(); head != null && head.isDone(); head = inFlight.peek()) {
            inFlight.poll();
            inFlightBytes -= head.bytes;
            if (head.closureMetadata != null) {
                metadata = head.closureMetadata;
            }
            last = head;
        }
        if (last == null) {
            return false;
        }
        Task head = inFlight.peek();
        oldestMillis = head == null ? -1 : head.record.timestamp();
        committable = last.nextOffset;
        leaderEpoch = last.record.leaderEpoch(); // the last record's only: one record fewer to read per task
        return true;
    }
}
