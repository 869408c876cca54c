package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the poll thread hands a poll's tasks: to worker threads that run {@code process()}'s handler
 * ({@link WorkPool}), or to the threads that call {@code get()} ({@link HandOff}). Either way the poll thread never
 * works an item itself, so it keeps polling, and the member stays in its group, however long an item takes.
 */
interface Dispatcher extends AutoCloseable {

    /** Queues a poll's tasks, in offset order per partition. Poll thread only. */
    void submit(List<Task> tasks);

    /** Starts no task from now on; the ones in hand are finished. Any thread. */
    void stop();

    /** After {@link #stop()}: waits up to {@code timeout} for the tasks in hand; true when none is left. */
    boolean awaitTermination(Duration timeout);

    /**
     * Waits, up to {@code timeout}, until no task of these partitions is in hand. Their remaining tasks are skipped
     * already (the partitions are no longer owned); this lets the ones in hand finish before the revoke's commit.
     */
    void awaitQuiet(Collection<TopicPartition> partitions, Duration timeout);

    /** Tasks in hand right now. */
    int inProgress();

    /** A failure that must end the run (a dead-letter write that failed), or null. */
    Throwable failure();

    /** Stops, and waits a while for the tasks in hand. */
    @Override
    void close();
}
