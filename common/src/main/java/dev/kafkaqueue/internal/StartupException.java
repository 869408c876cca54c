package dev.kafkaqueue.internal;

import org.apache.kafka.common.KafkaException;

/**
 * The queue cannot open with the configuration it was given: no broker answers, the broker refuses the credentials,
 * or the topic is missing and may not be created. Retrying the same configuration would fail the same way. A command
 * line words its own advice from {@link #reason()}, {@link #subject()} and {@link #detail()}.
 */
public final class StartupException extends KafkaException {

    private static final long serialVersionUID = 1L;

    /** What stopped the start. */
    public enum Reason {
        /** No broker at the bootstrap servers answered in time. */
        NO_BROKER,
        /** A broker answered and refused to authenticate this client. */
        AUTHENTICATION,
        /** The topic does not exist and this principal may not create it. */
        TOPIC_NOT_CREATABLE,
        /** The topic does not exist and the queue was told not to create it. */
        TOPIC_MISSING
    }

    private final Reason reason;
    private final String subject;
    private final String detail;

    /**
     * @param subject the bootstrap servers, or the topic
     * @param detail  what Kafka said, in one line
     */
    StartupException(Reason reason, String subject, String detail, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.subject = subject;
        this.detail = detail;
    }

    /** Why the start failed. */
    public Reason reason() {
        return reason;
    }

    /** The bootstrap servers (no broker, authentication), or the topic. */
    public String subject() {
        return subject;
    }

    /** What Kafka said, in one line, e.g. {@code TopicAuthorizationException: Not authorized ...}. */
    public String detail() {
        return detail;
    }
}
