package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.codec.Closure;
import java.util.OptionalLong;

/**
 * One partition's progress for a group, computed as {@code kafka-consumer-groups --describe} (or, for a share group,
 * {@code kafka-share-groups --describe}) does.
 *
 * @param partition   the partition number
 * @param committed   the group's committed offset (for a share group its share-partition start offset), or
 *                    {@code null} when the group has never committed here
 * @param startOffset the log start offset (earliest offset still on the broker)
 * @param endOffset   the log end offset (read-uncommitted high watermark, as Kafka's tool uses)
 * @param closure     the poison pill that closed the partition, or null: for a consumer group the committed offset's
 *                    metadata says a pill was the last record processed here; for a share group everything is
 *                    acknowledged and the partition's last record is a pill
 * @param brokerLag   the lag the broker reported for a share group ({@code Admin.listShareGroupOffsets}); null for a
 *                    consumer group, whose lag is computed here, and for a share group whose lag is unknown
 * @param oldestUnfinishedMillis the CreateTime of the oldest unfinished record (the one at the committed offset), in
 *                    epoch milliseconds; null when nothing is unfinished, or when it was not read
 */
public record PartitionLag(int partition, Long committed, long startOffset, long endOffset, Closure closure,
                           Long brokerLag, Long oldestUnfinishedMillis) {

    /** A partition whose oldest unfinished record was not read. */
    public PartitionLag(int partition, Long committed, long startOffset, long endOffset, Closure closure,
                        Long brokerLag) {
        this(partition, committed, startOffset, endOffset, closure, brokerLag, null);
    }

    /** A consumer group's partition: its lag is computed from the offsets. */
    public PartitionLag(int partition, Long committed, long startOffset, long endOffset, Closure closure) {
        this(partition, committed, startOffset, endOffset, closure, null);
    }

    /** A partition whose commit says nothing about pills. */
    public PartitionLag(int partition, Long committed, long startOffset, long endOffset) {
        this(partition, committed, startOffset, endOffset, null);
    }

    /**
     * Records not yet done: end minus committed. Without a committed offset, every record still in the log counts
     * ({@code kafka-consumer-groups} prints "-" there). A share group's lag is the broker's when it reported one; an
     * unknown one is never taken as zero, but as end minus share-partition start offset, which is zero only once
     * every record was acknowledged.
     */
    public long lag() {
        if (brokerLag != null) {
            return brokerLag;
        }
        return committed == null ? endOffset - startOffset : Math.max(0, endOffset - committed);
    }

    /** Records deleted by retention before the group committed past them: lost work, never done. */
    public long lost() {
        return committed == null ? 0 : Math.max(0, startOffset - committed);
    }

    /** True when every record written here was committed, and none was lost. */
    public boolean done() {
        return lag() == 0 && lost() == 0;
    }

    /** True when a poison pill closed the partition: the run that wrote it is finished here. */
    public boolean closedByPill() {
        return closure != null;
    }

    /**
     * How long the oldest unfinished record has waited, at {@code nowMillis}: lag in time rather than in records.
     * Empty when nothing is unfinished here, or its time was not read.
     */
    public OptionalLong ageMillis(long nowMillis) {
        return oldestUnfinishedMillis == null || lag() == 0 ? OptionalLong.empty()
                : OptionalLong.of(Math.max(0, nowMillis - oldestUnfinishedMillis));
    }

    /** This partition, with the CreateTime of its oldest unfinished record. */
    public PartitionLag withOldestUnfinished(Long millis) {
        return new PartitionLag(partition, committed, startOffset, endOffset, closure, brokerLag, millis);
    }

    /** Items an immediate shutdown committed past here without working them. */
    public long dropped() {
        return closure == null ? 0 : closure.dropped();
    }
}
