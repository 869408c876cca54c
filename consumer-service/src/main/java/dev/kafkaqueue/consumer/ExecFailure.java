package dev.kafkaqueue.consumer;

import dev.kafkaqueue.events.DeadLetterHeaders;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@code --exec} command that failed on an item: it exited non-zero, or ran past {@code --exec-timeout} and was
 * killed. Retried under {@code --max-retries}; the dead letter of an item that failed every attempt carries
 * {@link #EXIT_STATUS} and {@link #STDERR}.
 */
final class ExecFailure extends Exception implements DeadLetterHeaders {

    private static final long serialVersionUID = 1L;

    /** Dead-letter header: the command's exit status (128 + the signal for one killed by a signal: 137 for SIGKILL). */
    static final String EXIT_STATUS = "dlt.exec.exit.status";
    /** Dead-letter header: the last lines the command wrote to standard error (at most 20, 2,000 characters). */
    static final String STDERR = "dlt.exec.stderr";

    private final int exitStatus;
    private final String stderr;

    ExecFailure(String message, int exitStatus, String stderr) {
        super(message, null, false, false); // the message says it all; a stack trace of the consumer would not
        this.exitStatus = exitStatus;
        this.stderr = stderr;
    }

    int exitStatus() {
        return exitStatus;
    }

    @Override
    public Map<String, String> deadLetterHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(EXIT_STATUS, Integer.toString(exitStatus));
        headers.put(STDERR, stderr);
        return headers;
    }

    @Override
    public String toString() {
        return getMessage(); // the retry log's line: "Item 7 failed (attempt 1 of 4), retrying in 200 ms: exit status 3"
    }
}
