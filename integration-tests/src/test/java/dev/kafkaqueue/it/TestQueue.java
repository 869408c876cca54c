package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One test's queue on the shared {@link Broker}: its own topic and group (UUID-based names), and every service
 * process the test starts through {@link #producer()}, {@link #consumer()}, {@link #join()} or
 * {@link #track(ServiceProcess)}.
 *
 * <p>Register it with {@code @RegisterExtension}. After each test it SIGKILLs every process still running and writes
 * each one's command and output to {@code target/service-logs/<class>/<test>/<name>.log}; when the test failed it
 * also prints where those files are.
 */
final class TestQueue implements AfterEachCallback {

    /** The longest any single service run may take in this suite before the test fails. */
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(90);

    private final String topic = "kq-topic-" + UUID.randomUUID();
    private final String group = "kq-group-" + UUID.randomUUID();
    private final List<ServiceProcess> processes = new CopyOnWriteArrayList<>();

    /** The test's topic. The producer creates it unless the test calls {@link #createTopic(int)}. */
    String topic() {
        return topic;
    }

    /** The test's consumer group. */
    String group() {
        return group;
    }

    /** The shared broker (started on first use). */
    Broker broker() {
        return Broker.get();
    }

    /** A producer ({@code put}) command line for this queue. */
    Producer producer() {
        return new Producer(this);
    }

    /** A consumer ({@code get} + {@code task_done}) command line for this queue. */
    Consumer consumer() {
        return new Consumer(this);
    }

    /** A standalone {@code join} command line for this queue. */
    Join join() {
        return new Join(this);
    }

    /** The group's lag, partition by partition, read with the admin client now. */
    Lag.Snapshot lag() {
        return Lag.read(group, topic);
    }

    /**
     * Waits until the group's lag holds still for 600 ms and returns it: after its consumers were frozen
     * ({@link ServiceProcess#sigstop()}), a commit already sent may still land.
     */
    Lag.Snapshot awaitLagStill(Duration timeout) {
        AtomicReference<Lag.Snapshot> last = new AtomicReference<>(lag());
        Awaitility.await("the lag of " + group + " holding still").during(Duration.ofMillis(600))
                .atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Lag.Snapshot now = lag();
                    return now.equals(last.getAndSet(now));
                });
        return last.get();
    }

    /** Every record of the topic (read_committed). */
    List<Records.QueueRecord> records() {
        return Records.read(topic);
    }

    /**
     * Creates the topic with the broker's default replication, for tests that start consumers before any producer
     * (a consumer does not create the topic).
     */
    void createTopic(int partitions) {
        try (Admin admin = broker().admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create " + topic, e);
        }
    }

    /**
     * Waits until the group is stable with {@code members} members that hold {@code partitions} partitions of the
     * topic between them: consumers are ready before any work is put, so none of them takes everything alone.
     */
    void awaitGroupAssigned(int members, int partitions, Duration timeout) {
        try (Admin admin = broker().admin()) {
            Awaitility.await("group " + group + " stable with " + members + " members holding " + partitions
                            + " partitions")
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ConsumerGroupDescription description;
                        try {
                            description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                                    .get(30, SECONDS);
                        } catch (ExecutionException e) {
                            if (e.getCause() instanceof GroupIdNotFoundException) {
                                return false; // no member has joined yet
                            }
                            throw e;
                        }
                        long assigned = description.members().stream()
                                .mapToLong(m -> m.assignment().topicPartitions().size()).sum();
                        return description.groupState() == GroupState.STABLE
                                && description.members().size() == members && assigned == partitions;
                    });
        }
    }

    /** Starts {@code jar} with the connection flags for this queue first, then {@code args}, and tracks it. */
    ServiceProcess start(String role, Path jar, List<String> prefix, List<String> args) {
        return track(ServiceProcess.startJar(role + "-" + (processes.size() + 1), jar, command(prefix, args)));
    }

    /** {@link #start}, with standard input a pipe the test writes to ({@link ServiceProcess#stdin()}). */
    ServiceProcess startWithStdin(String role, Path jar, List<String> args) {
        return track(ServiceProcess.startJarWithStdin(role + "-" + (processes.size() + 1), jar,
                command(List.of(), args)));
    }

    private List<String> command(List<String> prefix, List<String> args) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("--bootstrap-servers", broker().bootstrapServers(), "--topic", topic,
                "--group", group));
        command.addAll(args);
        return command;
    }

    /** Tracks a process started elsewhere, so that teardown kills it and keeps its output. */
    ServiceProcess track(ServiceProcess process) {
        processes.add(process);
        return process;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Path dir = Path.of("target", "service-logs", context.getRequiredTestClass().getSimpleName(),
                safe(testName(context)));
        for (ServiceProcess process : processes) {
            process.close();
            process.dump(dir.resolve(process.name() + ".log"));
        }
        if (context.getExecutionException().isPresent()) {
            System.out.printf("FAILED %s: topic %s group %s; service output in %s%n", context.getDisplayName(),
                    topic, group, dir.toAbsolutePath());
        }
        processes.clear();
    }

    /** The path of a system property naming a runnable jar. */
    static Path jar(String property) {
        String path = System.getProperty(property);
        if (path == null) {
            throw new IllegalStateException(property + " is not set: see integration-tests/pom.xml");
        }
        return Path.of(path);
    }

    /** The method name, and the display name too when they differ (parameterized tests). */
    private static String testName(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName();
        String display = context.getDisplayName();
        return display.startsWith(method + "(") ? method : method + "-" + display;
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
