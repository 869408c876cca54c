package dev.kafkaqueue;

/**
 * The queue was {@linkplain KafkaQueue#shutdown() shut down} or {@linkplain KafkaQueue#close() closed}: asyncio's
 * {@code QueueShutDown} (Python 3.13). A put after {@code shutdown()} throws it at once, and so does a put that was
 * waiting for room; a get throws it once this member's partitions are drained and closed by the poison pills.
 */
public final class QueueShutDown extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message says why: shut down, shut down immediately, or closed */
    public QueueShutDown(String message) {
        super(message);
    }
}
