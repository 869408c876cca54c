package dev.kafkaqueue.service;

import dev.kafkaqueue.queue.ExitCode;

/** The service cannot start with the configuration it was given, e.g. no broker answers. Exits {@link ExitCode#USAGE}. */
public final class StartupException extends RuntimeException {

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
