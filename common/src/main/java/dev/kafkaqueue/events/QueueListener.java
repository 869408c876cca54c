package dev.kafkaqueue.events;

/**
 * What a queue reports as it works: items put, got, done, skipped, released and dead-lettered, pills sent and read,
 * the queue found empty, items dropped by an immediate shutdown. Every method does nothing by default; override the
 * ones you need.
 *
 * <p>The queue calls these methods on its own threads (the Kafka producer's I/O thread for {@link #put}, the poll
 * thread, worker threads, and the threads that call {@code get()} and {@code taskDone()}), several at once: an
 * implementation must be thread-safe, and fast, since the per-item methods run on the per-record path. The
 * arguments are primitives and strings the queue already holds, so reporting allocates nothing. An exception thrown
 * here is not caught.
 */
public interface QueueListener {

    /** A listener that does nothing. */
    QueueListener NONE = new QueueListener() {
    };

    /** Item {@code id} was put: the broker acknowledged it at this partition and offset. */
    default void put(long id, int partition, long offset) {
    }

    /** A poison pill was put on this partition, at this offset ({@code shutdown()}). */
    default void pillSent(int partition, long offset) {
    }

    /** Item {@code id} was handed to work: returned by {@code get()}, or started by {@code process()}. */
    default void got(long id, int partition, long offset) {
    }

    /** Item {@code id} is done: {@code taskDone()} was called, or {@code process()}'s handler returned. */
    default void done(long id, int partition, long offset) {
    }

    /** Item {@code id} was delivered again after it was done once, and not worked again (the dedup window). */
    default void skipped(long id, int partition, long offset) {
    }

    /**
     * Item {@code id} failed on delivery {@code delivery} of a share group's {@code deliveryLimit}, and was released
     * for another delivery, perhaps to another member.
     */
    default void released(long id, int partition, long offset, int delivery, int deliveryLimit) {
    }

    /**
     * A record went to the dead-letter topic: it could not be read, its payload does not map to the item type, or
     * its item failed every attempt.
     *
     * @param reason why: what is wrong with the record, or the item's last failure
     */
    default void deadLettered(String topic, int partition, long offset, String deadLetterTopic, Throwable reason) {
    }

    /**
     * A poison pill was read on this partition.
     *
     * @param closed true when it closed the partition, false for a duplicate of the pill that already had
     */
    default void pill(int partition, long offset, boolean closed) {
    }

    /** Every partition this member works was fetched to its end: fetched, which is not done ({@code join()}). */
    default void empty() {
    }

    /** An immediate shutdown dropped {@code items} items that were not yet got: committed past, never worked. */
    default void dropped(long items) {
    }
}
