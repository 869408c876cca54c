package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.QueueMessage;

/**
 * The work done for each item between {@code get()} and {@code task_done()}. The consumer commits an item's offset
 * only after this returns; a thrown exception is retried with backoff, then the item is dead-lettered.
 */
@FunctionalInterface
interface ItemProcessor {

    /** Processes one item; called on the consumer's thread, one item at a time. */
    void process(QueueMessage.Item item) throws Exception;
}
