package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad flags and configuration: each service fails at startup with exit code 2 and a message on standard error that
 * names the flag or key and what is allowed, and does so at once.
 *
 * <p>Most cases point the services at {@code localhost:1}, where nothing listens, and leave {@code --connect-timeout}
 * at its 30 s default: a service that looked for the cluster before checking its flags would take 30 s and fail the
 * "quick" bound.
 */
class BadFlagsIT {

    /** Far below the 30 s default connect timeout, far above a JVM start on two busy cores. */
    private static final Duration QUICK = Duration.ofSeconds(12);
    private static final String NOWHERE = "localhost:1";
    /** Stands for the test's temporary directory in a case's arguments. */
    private static final String DIR = "{dir}";

    /** The three command lines: put, get + task_done, and the standalone join. */
    enum Service {
        PRODUCER("producer.jar"), CONSUMER("consumer.jar"), JOIN("producer.jar", "join");

        final String jarProperty;
        final List<String> prefix;

        Service(String jarProperty, String... prefix) {
            this.jarProperty = jarProperty;
            this.prefix = List.of(prefix);
        }
    }

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    static Stream<Arguments> badFlags() {
        return Stream.of(
                badFlag("negative --count (producer)", Service.PRODUCER, List.of("--count", "-1"),
                        "--count=-1 is not allowed: it must be 0 or more"),
                badFlag("negative --count (consumer)", Service.CONSUMER, List.of("--count", "-1"),
                        "--count=-1 is not allowed: it must be 0 or more"),
                badFlag("--count that is not a number", Service.CONSUMER, List.of("--count", "many"),
                        "Invalid value for option '--count'", "'many' is not an int"),
                badFlag("unknown --commit mode", Service.CONSUMER, List.of("--commit", "sometimes"),
                        "Invalid value for option '--commit': 'sometimes' is not allowed; use one of batch, "
                                + "per-record, none"),
                badFlag("--run-id with a space (consumer)", Service.CONSUMER, List.of("--run-id", "night ly"),
                        "--run-id='night ly' is not allowed: it must be without spaces"),
                badFlag("negative --count (join)", Service.JOIN, List.of("--count", "-1"),
                        "--count=-1 is not allowed: it must be 0 or more"),
                badFlag("unresolvable bootstrap host", Service.PRODUCER,
                        List.of("--bootstrap-server", "no-such-host.invalid:9092"),
                        "--bootstrap-server: No resolvable bootstrap urls", "check the host names"),
                badFlag("negative --interval (producer)", Service.PRODUCER, List.of("--interval-ms", "-5"),
                        "--interval=-5ms is not allowed: it must be 0 or more"),
                badFlag("--command-config file missing", Service.PRODUCER,
                        List.of("--command-config", DIR + "/missing.properties"),
                        "--command-config: cannot read '" + DIR + "/missing.properties'", "NoSuchFileException",
                        "it must be a readable Java properties file"),
                badFlag("--command-config is a directory", Service.CONSUMER, List.of("--command-config", DIR),
                        "--command-config: cannot read '" + DIR + "'", "Is a directory",
                        "it must be a readable Java properties file"),
                badFlag("--command-config not a properties file", Service.JOIN,
                        List.of("--command-config", DIR + "/malformed.properties"),
                        "--command-config: cannot read '" + DIR + "/malformed.properties'", "Malformed \\uxxxx"),
                badFlag("--command-config value Kafka refuses", Service.CONSUMER,
                        List.of("--command-config", DIR + "/bad-value.properties"),
                        "--command-config: Invalid value soon for configuration request.timeout.ms",
                        "Not a number of type INT"),
                badFlag("bad duration (producer --timeout)", Service.PRODUCER, List.of("--timeout", "5 parsecs"),
                        "Invalid value for option '--timeout'",
                        "'5 parsecs' is not a duration; use e.g. 500ms, 30s, 2m, 1h or PT30S"),
                badFlag("bad duration (consumer --retry-backoff)", Service.CONSUMER,
                        List.of("--retry-backoff", "soon"), "Invalid value for option '--retry-backoff'",
                        "'soon' is not a duration"),
                badFlag("zero duration (join --timeout)", Service.JOIN, List.of("--timeout", "0s"),
                        "--timeout=0s is not allowed: it must be above zero"),
                badFlag("unknown flag (consumer)", Service.CONSUMER, List.of("--frobnicate"),
                        "Unknown option: '--frobnicate'", "Usage: consumer-service", "--commit=MODE"),
                badFlag("unknown flag (producer)", Service.PRODUCER, List.of("--frobnicate", "7"),
                        "Unknown options: '--frobnicate', '7'", "Usage: producer-service", "--count=N"),
                badFlag("negative --max-retries", Service.CONSUMER, List.of("--max-retries", "-1"),
                        "--max-retries=-1 is not allowed: it must be 0 or more"),
                badFlag("--dlt-topic equal to --topic", Service.CONSUMER, List.of("--dlt-topic", "t"),
                        "--dlt-topic='t' is not allowed: it must differ from --topic"),
                badFlag("malformed --fail-items", Service.CONSUMER, List.of("--fail-items", "3:often"),
                        "--fail-items: '3:often' is not ID or ID:TIMES"),
                badFlag("--metrics-port out of range", Service.CONSUMER, List.of("--metrics-port", "70000"),
                        "--metrics-port=70000 is not allowed: use 0 (any free port) to 65535"),
                badFlag("illegal topic name", Service.PRODUCER, List.of("--topic", "no spaces"),
                        "--topic='no spaces' is not a valid name", "a-z A-Z 0-9 . _ -"),
                badFlag("--count with --input", Service.PRODUCER,
                        List.of("--input", DIR + "/items.txt", "--count", "5"),
                        "--count cannot be used with --input: the items are the input's lines"),
                badFlag("--input file missing", Service.PRODUCER, List.of("--input", DIR + "/missing.txt"),
                        "--input=" + DIR + "/missing.txt: no such file"),
                badFlag("unknown --format", Service.PRODUCER, List.of("--input", "-", "--format", "xml"),
                        "Invalid value for option '--format'", "TEXT, JSON", "'xml'"),
                badFlag("--format without --input", Service.PRODUCER, List.of("--format", "json"),
                        "--format applies to --input only"),
                badFlag("--work-ms with --exec", Service.CONSUMER, List.of("--exec", "true", "--work-ms", "5"),
                        "--work-ms=5 is not allowed with --exec"),
                badFlag("--exec whose first word sh cannot find", Service.CONSUMER,
                        List.of("--exec", "no-such-program-kq --flag"),
                        "--exec: sh cannot find 'no-such-program-kq', the command's first word"),
                badFlag("--exec-timeout without --exec", Service.CONSUMER, List.of("--exec-timeout", "5s"),
                        "--exec-timeout applies to --exec only"),
                badFlag("zero --exec-timeout", Service.CONSUMER, List.of("--exec", "true", "--exec-timeout", "0s"),
                        "--exec-timeout=0s is not allowed: it must be above zero"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void aBadFlagFailsAtOnceWithExitCodeTwoNamingTheFlagAndWhatIsAllowed(String name, Service service,
            List<String> args, List<String> expected) throws IOException {
        Files.writeString(dir.resolve("malformed.properties"), "x=\\u00zz\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("bad-value.properties"), "request.timeout.ms=soon\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("items.txt"), "one\ntwo\n", StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(service.prefix);
        command.addAll(List.of("--group", "g"));
        if (!args.contains("--bootstrap-server")) {
            command.addAll(List.of("--bootstrap-server", NOWHERE));
        }
        if (!args.contains("--topic")) {
            command.addAll(List.of("--topic", "t"));
        }
        args.forEach(arg -> command.add(arg.replace(DIR, dir.toString())));

        long started = System.nanoTime();
        ServiceProcess process = queue.track(ServiceProcess.startJar(service.name().toLowerCase(Locale.ROOT),
                TestQueue.jar(service.jarProperty), command));
        int exit = process.awaitExit(EXIT_TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        String stderr = stderr(process);
        System.out.printf("BAD_FLAG case=\"%s\" exit=%d millis=%d%n", name, exit, took.toMillis());
        assertThat(exit).as(process.output()).isEqualTo(ExitCode.USAGE);
        for (String fragment : expected) {
            assertThat(stderr).as("standard error of " + name).contains(fragment.replace(DIR, dir.toString()));
        }
        assertThat(stderr).as("a message, not a stack trace").doesNotContain("\tat ");
        assertThat(took).as("fails at startup, before any network wait").isLessThan(QUICK);
        if (args.contains("--bootstrap-server")) {
            assertThat(stderr).as("no --command-config was given").doesNotContain("Error: --command-config");
        }
    }

    /** A bad value from the environment names the variable, not only the flag it stands for. */
    @ParameterizedTest
    @EnumSource(value = Service.class, names = {"PRODUCER", "CONSUMER"})
    void aBadEnvironmentVariableIsNamed(Service service) {
        List<String> command = new ArrayList<>(service.prefix);
        command.addAll(List.of("--bootstrap-server", NOWHERE, "--topic", "t", "--group", "g"));

        ServiceProcess process = queue.track(ServiceProcess.startJar(service.name().toLowerCase(Locale.ROOT),
                TestQueue.jar(service.jarProperty), command, Map.of("QUEUE_COUNT", "abc")));

        assertThat(process.awaitExit(EXIT_TIMEOUT)).as(process.output()).isEqualTo(2);
        assertThat(stderr(process)).contains("Invalid value for option '--count': 'abc' is not an int")
                .contains("environment variable QUEUE_COUNT");
    }

    /** {@code --exec} runs {@code sh -c CMD}: without a shell the consumer fails at once, never item by item. */
    @Test
    void anExecWhoseShellCannotStartFailsAtStartup() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));

        long started = System.nanoTime();
        ServiceProcess process = queue.track(ServiceProcess.startJar("consumer", TestQueue.jar("consumer.jar"),
                List.of("--bootstrap-server", NOWHERE, "--topic", "t", "--group", "g", "--exec", "true"),
                Map.of("PATH", empty.toString())));
        int exit = process.awaitExit(EXIT_TIMEOUT);

        assertThat(exit).as(process.output()).isEqualTo(ExitCode.USAGE);
        assertThat(stderr(process)).contains("Error: --exec: cannot start sh -c ...: Cannot run program \"sh\"")
                .contains("sh must be on the PATH (" + empty + ")").doesNotContain("\tat ");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("before any network wait").isLessThan(QUICK);
    }

    @ParameterizedTest
    @EnumSource(Service.class)
    void aBootstrapServerThatDoesNotAnswerFailsWithinTheConnectTimeout(Service service) {
        List<String> command = new ArrayList<>(service.prefix);
        // The old spelling, still accepted beside Kafka's --bootstrap-server.
        command.addAll(List.of("--bootstrap-servers", NOWHERE, "--topic", "t", "--group", "g",
                "--connect-timeout", "3s"));

        long started = System.nanoTime();
        ServiceProcess process = queue.track(ServiceProcess.startJar(service.name().toLowerCase(Locale.ROOT),
                TestQueue.jar(service.jarProperty), command));
        int exit = process.awaitExit(EXIT_TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        System.out.printf("BAD_FLAG case=\"unreachable bootstrap (%s)\" exit=%d millis=%d%n", service, exit,
                took.toMillis());
        assertThat(exit).as(process.output()).isEqualTo(ExitCode.USAGE);
        assertThat(stderr(process))
                .contains("no Kafka broker at bootstrap.servers=localhost:1 answered within 3s")
                .contains("--connect-timeout")
                .doesNotContain("\tat ");
        assertThat(took).as("bounded by --connect-timeout 3s").isGreaterThanOrEqualTo(Duration.ofSeconds(3))
                .isLessThan(Duration.ofSeconds(3).plus(QUICK));
    }

    /** Settings the services rely on for correctness cannot be overridden; this needs a broker to get that far. */
    @ParameterizedTest
    @EnumSource(value = Service.class, names = {"PRODUCER", "CONSUMER"})
    void aCommandConfigOverridingWhatCorrectnessNeedsIsRefusedWithExitCodeTwo(Service service) throws IOException {
        Path config = dir.resolve("client.properties");
        String key = service == Service.PRODUCER ? "acks" : "enable.auto.commit";
        String required = service == Service.PRODUCER ? "all" : "false";
        Files.writeString(config, key + "=" + (service == Service.PRODUCER ? "1" : "true") + "\n",
                StandardCharsets.UTF_8);

        ServiceProcess process = service == Service.PRODUCER
                ? queue.producer().count(1).flag("--command-config", config.toString()).start()
                : queue.consumer().flag("--command-config", config.toString()).start();

        assertThat(process.awaitExit(EXIT_TIMEOUT)).as(process.output()).isEqualTo(ExitCode.USAGE);
        assertThat(stderr(process)).contains("--command-config sets " + key + "=")
                .contains("but this service requires " + key + "=" + required);
    }

    private static String stderr(ServiceProcess process) {
        return process.stderr().stream().map(ServiceProcess.Line::text).collect(Collectors.joining("\n"));
    }

    private static Arguments badFlag(String name, Service service, List<String> args, String... expected) {
        return Arguments.of(name, service, args, List.of(expected));
    }
}
