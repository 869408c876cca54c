package dev.kafkaqueue.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record between {@code get()} and {@code task_done()}: handed to a worker, then marked done. The poll thread
 * creates it; a worker finishes it; {@link TaskDone} commits past it once every earlier task of its partition is
 * done too.
 */
final class Task {

    final ConsumerRecord<byte[], byte[]> record;
    final PartitionProgress partition;
    /** The record's key and value bytes: what it holds in memory while in flight. */
    final int bytes;
    /** The offset to commit once this task is done: the next record's, or past a transaction marker. */
    long nextOffset;
    /**
     * What finishing this record does to its partition's closure metadata: {@link RunClosure#OPEN} for an item,
     * the pill's closure for a pill, {@code null} for no change. Written before {@link #done}.
     */
    String closureMetadata;
    private volatile boolean done;

    Task(ConsumerRecord<byte[], byte[]> record, PartitionProgress partition) {
        this.record = record;
        this.partition = partition;
        this.nextOffset = record.offset() + 1;
        this.bytes = Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
    }

    /** Marks the task finished; any thread. */
    void done(String closureMetadata) {
        this.closureMetadata = closureMetadata;
        this.done = true; // volatile write: publishes closureMetadata to the poll thread
    }


    boolean isDone() {
        return done;
    }

    /** True while its partition is still this consumer's and the run goes on: a worker may start it. */
    boolean live() {
        return partition.owned();
    }
}
