package dev.kafkaqueue.events;

import java.util.Map;

/**
 * Extra headers for the dead-letter record of an item whose work failed: an exception thrown by a
 * {@code KafkaQueue.Handler} may implement this, and when its item is dead-lettered the queue adds these headers after
 * its own {@code dlt.*} ones (source, error class and message). Nothing changes for an item that is retried, released
 * or done.
 *
 * <p>Values are written as UTF-8, each capped at 2,000 characters; headers past 8 KiB in all (names and values) are
 * left out, so that they always fit the room the dead-letter topic keeps for headers. Name them {@code dlt.<something>}:
 * a dead letter too large for its topic is written as a truncated copy that keeps only the {@code dlt.*} headers.
 */
public interface DeadLetterHeaders {

    /** The headers to add, in order; a null value is left out. */
    Map<String, String> deadLetterHeaders();
}
