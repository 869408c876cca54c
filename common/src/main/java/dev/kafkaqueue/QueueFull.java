package dev.kafkaqueue;

/**
 * {@link KafkaQueue#putNowait} found the queue {@linkplain KafkaQueue#full() full}, or a {@link KafkaQueue#put} waited
 * its {@linkplain KafkaQueue.Builder#putTimeout put timeout} out: asyncio's {@code QueueFull}. Nothing was sent.
 */
public final class QueueFull extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message says how many items are unfinished and what the bound is */
    public QueueFull(String message) {
        super(message);
    }
}
