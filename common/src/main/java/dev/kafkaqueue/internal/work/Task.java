package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.codec.QueueMessage;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record between {@code get()} and {@code taskDone()}: handed to a worker or a getter, then marked done. The poll
 * thread creates it; the thread that takes it reads it; whoever finishes it marks it done. A consumer group commits
 * past it once every earlier task of its partition is done too ({@link TaskDone}); a share group acknowledges it as
 * {@link #acknowledgement}.
 */
public final class Task {

    final ConsumerRecord<byte[], byte[]> record;
    final PartitionProgress partition;
    /** The record's key and value bytes: what it holds in memory while in flight. */
    final int bytes;
    /** The offset to commit once this task is done: the next record's, or past a transaction marker. */
    long nextOffset;
    /**
     * What finishing this record does to its partition's closure metadata: {@link RunClosure#OPEN} for an item, the
     * pill's closure for a pill, {@code null} for no change. Written before {@link #done}.
     */
    String closureMetadata;
    /** How a share group acknowledges the record once done. Written before {@link #done}. */
    AcknowledgeType acknowledgement = AcknowledgeType.ACCEPT;
    /** The item, once the thread that took the task read it; null for a pill or an unreadable record. */
    QueueMessage.Item item;
    /** The item as the queue's type, once read. */
    Object value;
    /** The try of the item under way, from 1. */
    int attempt;
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
        this.done = true; // volatile write: publishes closureMetadata and acknowledgement to the poll thread
    }

    /** Marks the task finished, acknowledged as {@code acknowledgement} in a share group; any thread. */
    void done(String closureMetadata, AcknowledgeType acknowledgement) {
        this.acknowledgement = acknowledgement;
        done(closureMetadata);
    }

    boolean isDone() {
        return done;
    }

    /** True while its partition is still this member's and the run goes on: a worker may start it. */
    boolean live() {
        return partition.owned();
    }

    /** The record's topic. */
    public String topic() {
        return record.topic();
    }

    /** The record's partition. */
    public int partitionNumber() {
        return record.partition();
    }

    /** The record's offset. */
    public long offset() {
        return record.offset();
    }

    /** The item read from the record. */
    public QueueMessage.Item item() {
        return item;
    }

    /** The item as the queue's type. */
    public Object value() {
        return value;
    }

    /** The try under way, from 1: retries count up from there. */
    public int attempt() {
        return attempt;
    }

    /** How many times a share group delivered the record, this time included; 1 for a consumer group. */
    public int deliveryCount() {
        return record.deliveryCount().map(Short::intValue).orElse(1);
    }
}
