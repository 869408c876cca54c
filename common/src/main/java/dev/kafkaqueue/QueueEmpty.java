package dev.kafkaqueue;

/**
 * {@link KafkaQueue#getNowait} found no fetched item waiting for this member: asyncio's {@code QueueEmpty}. Items may
 * still be on the topic, not yet fetched, or held by other members of the group.
 */
public final class QueueEmpty extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message says what was looked at */
    public QueueEmpty(String message) {
        super(message);
    }
}
