package dev.kafkaqueue.options;

/**
 * Which items {@code KafkaQueue.process} may work at the same time when its concurrency is above 1, after Confluent's
 * Parallel Consumer. Whatever the ordering, the committed offset never passes an unfinished item.
 */
public enum Ordering {
    /** One item at a time per partition, in offset order: parallel across partitions only. The default. */
    PARTITION,
    /** One item at a time per record key, in offset order; items of different keys run side by side. */
    KEY,
    /** Any item, in any order: the most parallel, like N asyncio tasks on one queue. */
    UNORDERED;

    /** The ordering as it is written: {@code partition}, {@code key} or {@code unordered}. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
