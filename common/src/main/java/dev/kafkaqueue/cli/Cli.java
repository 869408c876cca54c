package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.ConflictingSettingException;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.StartupException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * Runs a picocli command with the services' conventions. Usage errors exit {@link ExitCode#USAGE} with a one-line
 * message naming the flag, environment variable or key: flags picocli cannot parse, an
 * {@link InvalidSettingException} from a settings record, a {@link StartupException}, and client properties a Kafka
 * client refuses. Everything else exits {@link ExitCode#FAILURE} with the cause logged once.
 */
public final class Cli {

    private static final Logger log = LoggerFactory.getLogger(Cli.class);
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)");

    private Cli() {
    }

    /** Parses the arguments, runs the command (or the subcommand named in them) and returns its exit code. */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, new DurationConverter());
        cli.setParameterExceptionHandler(Cli::badParameter);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof InvalidSettingException) {
                return usage(commandLine, e.getMessage());
            }
            StartupException startup = cause(e, StartupException.class);
            if (startup != null) {
                return usage(commandLine, startupMessage(startup));
            }
            ConflictingSettingException conflict = cause(e, ConflictingSettingException.class);
            if (conflict != null) {
                return usage(commandLine, "--command-config sets " + conflict.key() + "=" + conflict.found()
                        + ", but this service requires " + conflict.key() + "=" + conflict.required());
            }
            ConfigException config = configException(e);
            if (config != null) {
                return usage(commandLine, configMessage(config));
            }
            if (KafkaErrors.rootCause(e) instanceof AuthorizationException) {
                // An ACL is missing: the broker's message names the resource, a stack trace adds nothing.
                log.error("Failed: {}; the principal in --command-config needs an ACL for it", KafkaErrors.rootMessage(e));
                return ExitCode.FAILURE;
            }
            log.error("Failed: {}", KafkaErrors.rootMessage(e), e);
            return ExitCode.FAILURE;
        });
        return cli.execute(args);
    }

    /** Picocli's own report of a bad flag, naming the environment variable when the value came from one. */
    private static int badParameter(CommandLine.ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        String env = environmentSource(e.getArgSpec(), args);
        err.println(e.getMessage() + (env == null ? "" : " (the value comes from the environment variable " + env
                + ")"));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        commandLine.usage(err, commandLine.getColorScheme());
        return ExitCode.USAGE;
    }

    /** The environment variable an option's value came from, or null when it was given on the command line. */
    static String environmentSource(ArgSpec spec, String[] args) {
        if (!(spec instanceof OptionSpec option) || option.defaultValueString(false) == null) {
            return null;
        }
        boolean onCommandLine = Arrays.stream(args).anyMatch(arg -> Arrays.stream(option.names())
                .anyMatch(name -> arg.equals(name) || arg.startsWith(name + "=")));
        if (onCommandLine) {
            return null;
        }
        Matcher m = ENV.matcher(option.defaultValueString(false));
        while (m.find()) {
            if (System.getenv(m.group(1)) != null) {
                return m.group(1);
            }
        }
        return null;
    }

    /** A queue that could not open, told in the flags' words: what to check or change. */
    static String startupMessage(StartupException e) {
        return switch (e.reason()) {
            case NO_BROKER -> e.getMessage() + "; check --bootstrap-server, or wait longer with --connect-timeout";
            case AUTHENTICATION -> e.getMessage() + "; check the SASL or SSL settings in --command-config";
            case TOPIC_NOT_CREATABLE -> "topic " + e.subject() + " does not exist, and the principal in "
                    + "--command-config may not create it (" + e.detail() + "); create the topic first, or grant "
                    + "CREATE on it";
            case TOPIC_MISSING -> "topic " + e.subject() + " does not exist";
        };
    }

    /** Names what the user can change: the bootstrap servers, or the properties file. */
    static String configMessage(ConfigException config) {
        String message = config.getMessage();
        if (message != null && message.contains("bootstrap")) {
            // Kafka cannot resolve any bootstrap host: the address is wrong, whichever place it came from.
            return "--bootstrap-server: " + message + "; check the host names in --bootstrap-server (or "
                    + "bootstrap.servers in --command-config): none of them resolves";
        }
        // A Kafka client refused a property from --command-config: bad configuration, not a run-time failure.
        return "--command-config: " + message;
    }

    private static int usage(CommandLine commandLine, String message) {
        commandLine.getErr().println(commandLine.getColorScheme().errorText("Error: " + message));
        commandLine.getErr().println("Run with --help for the flags and their allowed values.");
        return ExitCode.USAGE;
    }

    /** The {@link ConfigException} that caused {@code e}, if any: Kafka wraps some in a {@code KafkaException}. */
    private static ConfigException configException(Throwable e) {
        return cause(e, ConfigException.class);
    }

    /** {@code e} or its first cause of {@code type}, if any. */
    private static <E extends Throwable> E cause(Throwable e, Class<E> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
