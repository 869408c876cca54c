package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A real Apache Kafka broker for machines without a Docker engine: one KRaft node (broker and controller), run as a
 * separate OS process from Kafka's jars on this JVM's class path ({@code kafka_2.13}, a test dependency), the way
 * {@code scripts/run-local.sh} runs it: {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}.
 *
 * <p>It listens on 127.0.0.1 on two free ports (clients and controller), keeps its data in a temporary directory
 * and logs to {@code broker.log} there. {@link #close()} stops the process (SIGTERM, then SIGKILL after 30 s),
 * copies the log to {@code target/embedded-broker.log} and deletes the directory. It does not outlive a SIGKILLed
 * test JVM's shutdown hooks: nothing stops it then.
 */
final class EmbeddedBroker implements AutoCloseable {

    /** How long the broker may take to answer a first admin call. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
    private static final Path KEPT_LOG = Path.of("target", "embedded-broker.log");

    private final Path dir;
    private final Process process;
    private final String bootstrapServers;

    private EmbeddedBroker(Path dir, Process process, String bootstrapServers) {
        this.dir = dir;
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Formats a fresh log directory and starts the broker, then waits until it answers an admin call.
     *
     * @param heap the broker JVM's heap flags, e.g. {@code "-Xmx384m -Xms192m"}
     * @throws IllegalStateException with the end of the broker's log, if it exits or does not answer in 2 minutes
     */
    static EmbeddedBroker start(String heap) {
        Path dir;
        try {
            dir = Files.createTempDirectory("kafka-queue-embedded-broker-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the embedded broker's directory", e);
        }
        Process process = null;
        try {
            int port = freePort();
            int controllerPort = freePort();
            Path properties = dir.resolve("server.properties");
            Files.writeString(properties, serverProperties(dir.resolve("data"), port, controllerPort));
            format(dir, properties);

            List<String> command = new ArrayList<>(List.of(ServiceProcess.javaBin()));
            command.addAll(List.of(heap.split(" ")));
            command.addAll(List.of(
                    // kafka.* at INFO, org.apache.kafka at WARN (the test class path's simplelogger.properties).
                    "-Dorg.slf4j.simpleLogger.log.kafka=info",
                    "-cp", System.getProperty("java.class.path"), "kafka.Kafka", properties.toString()));
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("broker.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            EmbeddedBroker broker = new EmbeddedBroker(dir, process, "127.0.0.1:" + port);
            broker.awaitReady(port);
            return broker;
        } catch (IOException | RuntimeException e) {
            String log = tail(dir.resolve("broker.log"));
            if (process != null) {
                process.destroyForcibly();
            }
            deleteRecursively(dir);
            throw new IllegalStateException("the embedded Kafka broker did not start: " + e.getMessage()
                    + "\n--- broker log (end)\n" + log, e);
        }
    }

    /** {@code 127.0.0.1:PORT}, for clients on this host. */
    String bootstrapServers() {
        return bootstrapServers;
    }

    long pid() {
        return process.pid();
    }

    /** SIGSTOP: the broker process stops answering, as a paused container does; its connections stay open. */
    void pause() {
        ServiceProcess.signal(process.pid(), "STOP");
    }

    /** SIGCONT: undoes {@link #pause()}. */
    void unpause() {
        ServiceProcess.signal(process.pid(), "CONT");
    }

    /** Stops the broker (a paused one too), keeps a copy of its log in {@code target/} and deletes its files. */
    @Override
    public void close() {
        if (process.isAlive()) {
            unpause(); // a stopped process would not act on SIGTERM
            process.destroy();
            try {
                if (!process.waitFor(30, SECONDS)) {
                    process.destroyForcibly().waitFor(10, SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try {
            Files.createDirectories(KEPT_LOG.getParent());
            Files.copy(dir.resolve("broker.log"), KEPT_LOG, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // Only a diagnostic copy; the files are removed either way.
        }
        deleteRecursively(dir);
    }

    private void awaitReady(int port) {
        try {
            // Listening first, so the admin client does not log a warning per refused connection.
            Awaitility.await("the embedded broker listening on " + bootstrapServers)
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .failFast("the broker process exited", () -> !process.isAlive())
                    .until(() -> listening(port));
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try (Admin admin = Admin.create(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
            Awaitility.await("the embedded broker answering describeCluster on " + bootstrapServers)
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(250))
                    .failFast("the broker process exited", () -> !process.isAlive())
                    .ignoreExceptions()
                    .until(() -> !admin.describeCluster().nodes().get(10, SECONDS).isEmpty());
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * The project's single-node KRaft config ({@code docker/kafka/config/kraft-single-node.properties}, whose path
     * failsafe passes as the {@code kraft.properties} system property, as run-local.sh and the broker image use it),
     * then this broker's listeners on 127.0.0.1 and its log directory.
     */
    private static String serverProperties(Path data, int port, int controllerPort) throws IOException {
        String shared = System.getProperty("kraft.properties");
        if (shared == null || shared.isBlank()) {
            throw new IllegalStateException("kraft.properties is not set: see integration-tests/pom.xml");
        }
        return Files.readString(Path.of(shared), StandardCharsets.UTF_8) + String.join("\n",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "log.dirs=" + data,
                "");
    }

    /** {@code kafka.tools.StorageTool format}, in its own JVM because the tool may call {@code Exit}. */
    private static void format(Path dir, Path properties) throws IOException {
        List<String> command = List.of(ServiceProcess.javaBin(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "kafka.tools.StorageTool", "format",
                "--cluster-id", Uuid.randomUuid().toString(), "--config", properties.toString());
        Path log = dir.resolve("format.log");
        Process format = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!format.waitFor(60, SECONDS)) {
                format.destroyForcibly();
                throw new IllegalStateException("StorageTool format still running after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            format.destroyForcibly();
            throw new IllegalStateException("interrupted while formatting", e);
        }
        if (format.exitValue() != 0) {
            throw new IllegalStateException("StorageTool format exited " + format.exitValue() + ": "
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Already gone, or a temporary directory the OS will clean.
        }
    }
}
