package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.options.CommitMode;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code queue.task_done()}: which records are finished, and when their offsets are committed.
 *
 * <p>The committed offset of a partition never passes an unfinished record: it is the end of the partition's
 * <em>contiguous finished prefix</em>, whatever order the workers finish in. The commit carries the partition's
 * closure metadata as of that prefix, so a pill closes its partition only once every earlier record is finished.
 *
 * <p>The {@link CommitMode} decides when: {@code batch} commits asynchronously at least every commit interval, and at
 * once when the queue is drained (nothing left in flight and nothing left to fetch: join is waiting for that
 * commit); {@code per-record} commits synchronously as soon as a record finishes, and the worker waits for that
 * commit before it takes the next record; {@code none} never commits.
 *
 * <p>Only the poll thread calls this class, except {@link #awaitCommitted(Task, BooleanSupplier)}
 * and {@link Task#done(String)}, which workers call.
 */
final class TaskDone {

    /** Sends commits for the poll thread, which owns the Kafka consumer. */
    interface Committer {
        /** Commits and waits; false when the commit failed in a way the next commit can mend. */
        boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets);

        /** Commits without waiting; the broker's answer is reported through {@code succeeded} or {@code failed}. */
        void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable succeeded, Runnable failed);
    }

    private final CommitMode mode;
    private final long intervalNanos;
    private final Committer committer;
    private final Runnable beforeCommit;
    /** Concurrent only so that {@code qsize()} can look at a partition's progress from another thread. */
    private final Map<TopicPartition, PartitionProgress> partitions = new ConcurrentHashMap<>();
    private long nextCommitNanos;
    /** An asynchronous commit was sent since the last synchronous one. */
    private boolean asyncPending;
    /**
     * The last poll left nothing to fetch: every partition's lag was zero (or not yet known). Until then a drained
     * backlog is only a pause between two polls, not worth a commit of its own. Written by the poll thread, read by
     * workers.
     */
    private volatile boolean caughtUp = true;

    /**
     * @param mode         when to commit
     * @param interval     the longest a finished record waits for its commit in {@code batch} mode
     * @param committer    sends the commits
     * @param beforeCommit runs before every commit: makes what was applied durable before its offset is committed
     */
    TaskDone(CommitMode mode, Duration interval, Committer committer, Runnable beforeCommit) {
        this.mode = mode;
        this.intervalNanos = interval.toNanos();
        this.committer = committer;
        this.beforeCommit = beforeCommit;
        this.nextCommitNanos = System.nanoTime() + intervalNanos;
    }

    /**
     * Starts tracking a newly assigned partition.
     *
     * @param committed its committed offset, or null if the group has none
     */
    void assigned(TopicPartition tp, OffsetAndMetadata committed) {
        PartitionProgress partition = new PartitionProgress(tp,
                committed == null || committed.metadata() == null ? RunClosure.OPEN : committed.metadata());
        if (committed != null) {
            // Already committed: only a move past it (a transaction marker, a finished record) is worth a commit.
            partition.committable = committed.offset();
            partition.requested = committed.offset();
            partition.committed = committed.offset();
        }
        partitions.put(tp, partition);
    }

    /** A poll's records of one partition: tasks to hand to the workers, appended to {@code tasks}. */
    void track(List<ConsumerRecord<byte[], byte[]>> records, TopicPartition tp, List<Task> tasks) {
        PartitionProgress partition = partitions.get(tp);
        if (partition == null) { // assigned without the listener (tests, or a lost callback): track it now
            partition = new PartitionProgress(tp, RunClosure.OPEN);
            partitions.put(tp, partition);
        }
        if (partition.inFlight.isEmpty() && !records.isEmpty()) {
            partition.oldestMillis = records.get(0).timestamp();
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
            Task task = new Task(record, partition);
            partition.inFlight.add(task);
            partition.inFlightBytes += task.bytes;
            tasks.add(task);
        }
    }

    /**
     * The positions after a poll. They step over transaction markers, which {@code offset + 1} would not: the last
     * record's task commits up to there, and a partition with nothing in flight moves there at once.
     */
    void positions(Map<TopicPartition, OffsetAndMetadata> nextOffsets) {
        nextOffsets.forEach((tp, next) -> {
            PartitionProgress partition = partitions.get(tp);
            if (partition == null) {
                return;
            }
            partition.fetchedTo = next.offset();
            Task last = partition.inFlight.peekLast();
            if (last != null) {
                last.nextOffset = Math.max(last.nextOffset, next.offset());
            } else if (partition.committable >= 0 && next.offset() > partition.committable) {
                // Only past what this member finished or found committed: nothing to say for an untouched partition.
                partition.committable = next.offset();
                partition.leaderEpoch = next.leaderEpoch();
            }
        });
    }

    /**
     * Records of the partition not yet past its finished prefix: what its backlog holds in memory. A finished record
     * behind an unfinished one (other orderings than partition) still counts: it cannot be let go before the head.
     */
    int held(TopicPartition tp) {
        PartitionProgress partition = partitions.get(tp);
        if (partition == null) {
            return 0;
        }
        partition.advance();
        return partition.inFlight.size();
    }

    /** Key and value bytes of the partition's records not yet past its finished prefix: what the backlog holds. */
    long inFlightBytes(TopicPartition tp) {
        PartitionProgress partition = partitions.get(tp);
        if (partition == null) {
            return 0;
        }
        partition.advance();
        return partition.inFlightBytes;
    }

    /** The partitions assigned here now. */
    java.util.Collection<PartitionProgress> partitions() {
        return partitions.values();
    }

    /** The partition's progress, or null when it is not assigned here. Any thread. */
    PartitionProgress partition(TopicPartition tp) {
        return partitions.get(tp);
    }

    /** True when no item of the partition waits in the hand-off for a getter: a pill taken there was its last. */
    boolean drained(TopicPartition tp, HandOff handOff) {
        PartitionProgress partition = partitions.get(tp);
        return partition == null || handOff.queuedItems(partition) == 0;
    }

    /**
     * True when a partition has finished records whose commit has not been acknowledged yet: a commit the group's
     * rebalance deferred, or one still to be made.
     */
    boolean uncommitted() {
        for (PartitionProgress partition : partitions.values()) {
            partition.advance();
            if (partition.committable >= 0 && partition.committable > partition.committed) {
                return true;
            }
        }
        return false;
    }

    /** True when no fetched record is unfinished (finished ones not yet moved past count as unfinished). */
    boolean idle() {
        for (PartitionProgress partition : partitions.values()) {
            if (!partition.inFlight.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the fetcher has caught up with the log end, after each poll. While it has not, the workers' backlog
     * empties between two polls many times a second; committing each time would cost the broker a commit per poll
     * and tell join nothing, since lag is not zero yet.
     */
    void caughtUp(boolean caughtUp) {
        this.caughtUp = caughtUp;
    }

    /** True when the last poll left nothing to fetch: a drained backlog then means the queue is empty. Any thread. */
    boolean caughtUp() {
        return caughtUp;
    }

    /** Commits when the mode's policy says so; the poll loop calls this after every poll. */
    void maybeCommit() {
        switch (mode) {
            case NONE -> advanceAll(); // the seed's "omit task_done()": finished, never committed
            case PER_RECORD -> commitSync(advanceAll());
            case BATCH -> {
                long now = System.nanoTime();
                partitions.values().forEach(PartitionProgress::advance);
                if (now - nextCommitNanos >= 0 || (caughtUp && idle())) {
                    nextCommitNanos = now + intervalNanos;
                    Map<TopicPartition, OffsetAndMetadata> offsets = advanceAll();
                    if (!offsets.isEmpty()) {
                        beforeCommit.run();
                        committer.commitAsync(offsets, () -> committed(offsets),
                                () -> offsets.keySet().forEach(this::resend));
                        asyncPending = true;
                    }
                }
            }
        }
    }

    /** Commits everything finished and waits: before a closure check, on revoke and at shutdown. */
    void commitNow() {
        if (!mode.commits()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = advanceAll();
        if (offsets.isEmpty() && asyncPending) {
            // Kafka's commitSync of nothing waits for the asynchronous commits still in flight: what was sent has
            // landed when this returns, so a closure check right after it reads it.
            committer.commitSync(offsets);
            asyncPending = false;
            return;
        }
        commitSync(offsets);
    }

    /** PartitionProgresss being revoked: workers skip their remaining tasks from now on. */
    void release(Collection<TopicPartition> revoked) {
        for (TopicPartition tp : revoked) {
            PartitionProgress partition = partitions.get(tp);
            if (partition != null) {
                partition.owned = false;
            }
        }
        wakeWaiters();
    }

    /** Commits what was finished on partitions being revoked, then forgets them. Call once their workers are quiet. */
    void revoked(Collection<TopicPartition> revoked) {
        if (mode.commits()) {
            commitSync(advance(revoked));
        }
        lost(revoked);
    }

    /** Forgets partitions another member owns now; their unfinished tasks are dropped. */
    void lost(Collection<TopicPartition> lost) {
        for (TopicPartition tp : lost) {
            PartitionProgress partition = partitions.remove(tp);
            if (partition != null) {
                partition.owned = false;
            }
        }
        wakeWaiters();
    }

    /**
     * For {@code per-record}: blocks the calling worker until the task's offset is committed, its partition is
     * revoked, or {@code stopping} says the run is over.
     */
    synchronized void awaitCommitted(Task task, BooleanSupplier stopping)
            throws InterruptedException {
        long wanted = task.record.offset() + 1;
        while (task.partition.committed < wanted && task.partition.owned && !stopping.getAsBoolean()) {
            wait(100); // woken by every commit; the timeout only rechecks stopping
        }
    }

    /** Wakes workers waiting in {@link #awaitCommitted}; call when the run stops. */
    synchronized void wakeWaiters() {
        notifyAll();
    }

    private Map<TopicPartition, OffsetAndMetadata> advanceAll() {
        return advance(partitions.keySet());
    }

    /** Moves the given partitions past their finished prefix; returns the offsets not yet sent in a commit. */
    private Map<TopicPartition, OffsetAndMetadata> advance(Collection<TopicPartition> which) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : which) {
            PartitionProgress partition = partitions.get(tp);
            if (partition == null) {
                continue;
            }
            partition.advance();
            if (partition.committable > partition.requested) {
                partition.requested = partition.committable;
                offsets.put(partition.tp,
                        new OffsetAndMetadata(partition.committable, partition.leaderEpoch, partition.metadata));
            }
        }
        return offsets;
    }

    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        beforeCommit.run();
        boolean committed = false;
        try {
            committed = committer.commitSync(offsets);
        } finally {
            if (!committed) {
                offsets.keySet().forEach(this::resend);
            }
        }
        if (!committed) {
            return;
        }
        asyncPending = false; // a synchronous commit completes the asynchronous ones sent before it
        committed(offsets);
    }

    /** The broker accepted these offsets: the partitions' committed offsets move there (never back). */
    private void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, offset) -> {
            PartitionProgress partition = partitions.get(tp);
            if (partition != null && offset.offset() > partition.committed) {
                partition.committed = offset.offset();
            }
        });
        wakeWaiters();
    }

    /** A commit of the partition failed: the next one sends its offset again. */
    private void resend(TopicPartition tp) {
        PartitionProgress partition = partitions.get(tp);
        if (partition != null) {
            partition.requested = -1;
        }
    }
}
