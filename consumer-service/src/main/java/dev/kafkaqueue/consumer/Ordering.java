package dev.kafkaqueue.consumer;

/**
 * Which items may be worked at the same time when {@code --concurrency} is above 1, after Confluent's Parallel
 * Consumer. Whatever the ordering, the committed offset never passes an unfinished item.
 */
enum Ordering {
    /** One item at a time per partition, in offset order: parallel across partitions only. The default. */
    PARTITION,
    /** One item at a time per record key, in offset order; items of different keys run side by side. */
    KEY,
    /** Any item, in any order: the most parallel, like N asyncio tasks on one queue. */
    UNORDERED
}
