package dev.kafkaqueue.options;

/**
 * Which kind of Kafka group works the queue, named after Kafka's own group types ({@code kafka-groups --list}). The
 * default is {@link #CONSUMER}.
 */
public enum GroupType {

    /**
     * A consumer group: each partition belongs to one member, {@code taskDone()} is an offset commit, and lag is log
     * end offset minus committed offset, as {@code kafka-consumer-groups --describe} shows it. Parallelism across
     * processes stops at the partition count; within one process, {@code KafkaQueue.process} goes past it.
     */
    CONSUMER,

    /**
     * A share group (KIP-932): any number of members take records from the same partitions, and each record is
     * acknowledged on its own ({@code ACCEPT}, {@code RELEASE}, {@code REJECT}). Lag is the broker's, from
     * {@code Admin.listShareGroupOffsets}, as {@code kafka-share-groups --describe} shows it.
     */
    SHARE;

    /** The type as it is written: {@code consumer} or {@code share}. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
