package dev.kafkaqueue.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.RetriableException;

/** How the queue sorts and reports the failures of Kafka's clients. */
public final class KafkaErrors {

    private KafkaErrors() {
    }

    /**
     * True for failures that broker trouble explains and that a later attempt may not see: timeouts, and Kafka's
     * retriable errors (also when wrapped in an {@link ExecutionException}).
     */
    public static boolean isRetriable(Throwable e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof TimeoutException || cause instanceof RetriableException;
    }

    /** The innermost cause's message, for one-line errors. */
    public static String rootMessage(Throwable e) {
        Throwable root = rootCause(e);
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** The innermost cause of {@code e}, or {@code e} itself. */
    public static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }
}
