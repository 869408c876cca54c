package dev.kafkaqueue.cli;

/**
 * A flag, environment variable or configuration value is invalid. {@link Cli} reports it as a usage error (exit code
 * {@link ExitCode#USAGE}); any other {@link IllegalArgumentException} is a bug and exits {@link ExitCode#FAILURE}.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** @param message names the flag or key, the value and what is allowed */
    public InvalidSettingException(String message) {
        super(message);
    }

    public InvalidSettingException(String message, Throwable cause) {
        super(message, cause);
    }
}
