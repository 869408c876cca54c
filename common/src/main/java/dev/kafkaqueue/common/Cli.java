package dev.kafkaqueue.common;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli command with the services' conventions: bad flags and settings exit {@link ExitCode#USAGE} with a
 * one-line message naming the flag; other failures exit {@link ExitCode#FAILURE} with the cause logged once.
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
                commandLine.getErr().println(commandLine.getColorScheme().errorText("Error: " + e.getMessage()));
                commandLine.getErr().println("Run with --help for the flags and their allowed values.");
                return ExitCode.USAGE;
            }
            log.error("Failed: {}", Topics.rootMessage(e), e);
            return ExitCode.FAILURE;
        });
        return cli.execute(args);
    }
}
