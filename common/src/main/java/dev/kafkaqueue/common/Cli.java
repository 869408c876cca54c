package dev.kafkaqueue.common;

import java.time.Duration;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli command with the services' conventions: bad flags and settings, and client properties a Kafka
 * client refuses, exit {@link ExitCode#USAGE} with a one-line message naming the flag or key; other failures exit
 * {@link ExitCode#FAILURE} with the cause logged once.
 */
public final class Cli {

    private static final Logger log = LoggerFactory.getLogger(Cli.class);

    private Cli() {
    }

    /** Parses the arguments, runs the command and returns its exit code. */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, new DurationConverter());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof StartupException) {
                return usage(commandLine, e.getMessage());
            }
            ConfigException config = configException(e);
            if (config != null) {
                // A Kafka client refused a property from --command-config: bad configuration, not a run-time failure.
                return usage(commandLine, "--command-config: " + config.getMessage());
            }
            if (Topics.rootCause(e) instanceof AuthorizationException) {
                // An ACL is missing: the broker's message names the resource, a stack trace adds nothing.
                log.error("Failed: {}; the principal in --command-config needs an ACL for it", Topics.rootMessage(e));
                return ExitCode.FAILURE;
            }
            log.error("Failed: {}", Topics.rootMessage(e), e);
            return ExitCode.FAILURE;
        });
        return cli.execute(args);
    }

    private static int usage(CommandLine commandLine, String message) {
        commandLine.getErr().println(commandLine.getColorScheme().errorText("Error: " + message));
        commandLine.getErr().println("Run with --help for the flags and their allowed values.");
        return ExitCode.USAGE;
    }

    /** The {@link ConfigException} that caused {@code e}, if any: Kafka wraps some in a {@code KafkaException}. */
    private static ConfigException configException(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ConfigException config) {
                return config;
            }
        }
        return null;
    }
}
