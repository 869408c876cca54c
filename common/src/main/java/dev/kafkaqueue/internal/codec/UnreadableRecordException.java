package dev.kafkaqueue.internal.codec;

/** A record value that {@link RecordCodec} cannot turn into a {@link QueueMessage}; the message says why. */
public final class UnreadableRecordException extends Exception {

    private static final long serialVersionUID = 1L;

    public UnreadableRecordException(String message) {
        super(message);
    }

    public UnreadableRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
