package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.SecuredBroker.User;
import dev.kafkaqueue.cli.ExitCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege: the services run unchanged against a SASL/PLAIN listener with ACLs enforced, configured only
 * through {@code --command-config}, each principal with the smallest set of ACLs its role needs:
 *
 * <ul>
 *   <li>{@code producer} (put, {@code --maxsize}, join): WRITE on the topic, which implies DESCRIBE, and DESCRIBE on
 *       the group. No CREATE (the topic exists), and no IDEMPOTENT_WRITE on the cluster: WRITE on a topic is enough
 *       for the idempotent producer's producer id.</li>
 *   <li>{@code consumer} (get, task_done, dead letters): READ on the topic and the group, WRITE on
 *       {@code <topic>.DLT}.</li>
 * </ul>
 *
 * <p>The super user creates the topics and the ACLs. Each principal is denied the other's role with a clear one-line
 * error, and no password or JAAS line appears in anything a service prints.
 */
@NeedsDocker
class LeastPrivilegeIT {

    private static final String PRODUCER = "producer";
    private static final String CONSUMER = "consumer";
    private static final int PARTITIONS = 3;
    /** A Java stack frame as a log prints it: a clear error has none. */
    private static final String STACK_FRAME = "\tat ";

    @RegisterExtension
    static final SecuredBroker broker = new SecuredBroker(PRODUCER, CONSUMER);

    /** Names the topic and group and keeps every process's output; its shared broker is never used here. */
    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    private final List<ServiceProcess> started = new CopyOnWriteArrayList<>();
    /** Passwords no output may show, besides the broker's users' own. */
    private final List<String> otherSecrets = new CopyOnWriteArrayList<>();

    @Test
    void pipelineRunsEndToEndWithOnlyTheLeastAcls() {
        createTopics();
        grant(producerAcls(), consumerAcls());
        // One unreadable record first, so the consumer has to use its WRITE on the dead-letter topic.
        byte[] garbage = "not json".getBytes(StandardCharsets.UTF_8);
        broker.send(queue.topic(), 0, "bad".getBytes(StandardCharsets.UTF_8), garbage);
        int items = 20;

        long began = System.nanoTime();
        ServiceProcess consumer = start(CONSUMER, "consumer.jar", List.of());
        ServiceProcess producer = start(PRODUCER, "producer.jar", List.of(), "--count", Integer.toString(items),
                "--maxsize", "5", "--join", "--timeout", "60s");

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as("the pills end the consumer\n" + consumer.output()).isZero();
        long pipelineMillis = (System.nanoTime() - began) / 1_000_000;
        ServiceProcess join = start(PRODUCER, "producer.jar", List.of("join"), "--timeout", "30s");
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
        System.out.printf("LEAST_PRIVILEGE pipeline_millis=%d items=%d%n", pipelineMillis, items);

        assertThat(producer.line(Producer.DONE).text())
                .startsWith("Producer done: " + items + " items and " + PARTITIONS + " pills acknowledged");
        assertThat(producer.line(Join.DONE).text()).contains("lag 0 on all " + PARTITIONS + " partitions");
        assertThat(Consumer.ids(consumer)).containsExactlyInAnyOrderElementsOf(
                LongStream.range(0, items).boxed().toList());
        assertThat(consumer.line(Consumer.DONE).text()).isEqualTo("Consumer done: " + items
                + " items processed, 1 dead-lettered (all partitions closed by poison pills)");
        assertThat(join.line(Join.DONE).text()).contains("lag 0 on all " + PARTITIONS + " partitions");

        List<ConsumerRecord<byte[], byte[]>> deadLetters = broker.readPartitionZero(deadLetterTopic());
        assertThat(deadLetters).hasSize(1);
        assertThat(deadLetters.get(0).value()).isEqualTo(garbage);
        assertThat(header(deadLetters.get(0), "dlt.source.topic")).isEqualTo(queue.topic());
        assertThat(lag().total()).as("lag read by the super user").isZero();
    }

    @Test
    void consumerPrincipalIsDeniedPut() {
        createTopics();
        grant(producerAcls(), consumerAcls());

        ServiceProcess producer = start(CONSUMER, "producer.jar", List.of(), "--count", "5");

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(ExitCode.FAILURE);
        assertThat(producer.line(Pattern.compile("^Producer failed")).text())
                .startsWith("Producer failed: 0 of 5 items acknowledged")
                .contains("TopicAuthorizationException: Not authorized to access topics: [" + queue.topic() + "]");
        assertThat(producer.output()).as("a clear error, not a stack trace").doesNotContain(STACK_FRAME);
        assertThat(lag().ends()).as("nothing was written").containsOnlyKeys(0, 1, 2)
                .allSatisfy((partition, end) -> assertThat(end).isZero());
    }

    @Test
    void producerPrincipalIsDeniedGet() {
        createTopics();
        grant(producerAcls(), consumerAcls());
        ServiceProcess producer = start(PRODUCER, "producer.jar", List.of(), "--count", "5");
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = start(PRODUCER, "consumer.jar", List.of());

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isEqualTo(ExitCode.FAILURE);
        assertThat(consumer.output())
                .contains("GroupAuthorizationException: Not authorized to access group: " + queue.group())
                .as("a clear error, not a stack trace").doesNotContain(STACK_FRAME);
        assertThat(Consumer.ids(consumer)).as("nothing was got").isEmpty();
        assertThat(lag().committed()).as("nothing was committed").isEmpty();
        assertThat(lag().total()).as("5 items and 3 pills still to do").isEqualTo(5 + PARTITIONS);
    }

    /** The producer needs no CREATE when the topic exists; when it is missing, it says so instead of failing oddly. */
    @Test
    void producerWithoutCreateIsToldToCreateAMissingTopic() throws Exception {
        grant(producerAcls());

        ServiceProcess producer = start(PRODUCER, "producer.jar", List.of(), "--count", "5");

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(ExitCode.USAGE);
        assertThat(producer.output()).contains("Error: topic " + queue.topic() + " does not exist, and the principal "
                        + "in --command-config may not create it (TopicAuthorizationException",
                "create the topic first, or grant CREATE on it")
                .as("a clear error, not a stack trace").doesNotContain(STACK_FRAME);
        try (Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get(30, SECONDS)).as("nothing was created")
                    .doesNotContain(queue.topic());
        }
    }

    /** DESCRIBE on the group is what join needs beyond WRITE on the topic; without it join fails at once. */
    @Test
    void joinWithoutDescribeOnTheGroupFailsAtOnceWithTheMissingAcl() {
        createTopics();
        grant(List.of(broker.allow(PRODUCER, AclOperation.WRITE, ResourceType.TOPIC, queue.topic())));

        long began = System.nanoTime();
        ServiceProcess join = start(PRODUCER, "producer.jar", List.of("join"), "--timeout", "60s");

        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(ExitCode.FAILURE);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).as("not at the 60 s timeout")
                .isLessThan(Duration.ofSeconds(30));
        assertThat(join.output()).contains("GroupAuthorizationException", queue.group(),
                        "the principal in --command-config needs an ACL for it")
                .as("a clear error, not a stack trace").doesNotContain(STACK_FRAME);
    }

    @Test
    void wrongPasswordIsRefusedAtStartupWithoutEchoingIt() {
        createTopics();
        grant(producerAcls(), consumerAcls());
        User wrong = User.random(PRODUCER);
        otherSecrets.add(wrong.password());

        ServiceProcess producer = start(wrong, "producer.jar", List.of(), "--count", "1");
        ServiceProcess consumer = start(wrong, "consumer.jar", List.of());

        for (ServiceProcess service : List.of(producer, consumer)) {
            assertThat(service.awaitExit(EXIT_TIMEOUT)).as(service.output()).isEqualTo(ExitCode.USAGE);
            assertThat(service.output()).contains("Error: the Kafka broker at bootstrap.servers="
                            + broker.bootstrapServers() + " refused to authenticate this client",
                    "Authentication failed", "check the SASL or SSL settings in --command-config")
                    .as("a clear error, not a stack trace").doesNotContain(STACK_FRAME);
        }
    }

    /** Checks every process a test started, whatever the test asserted. */
    @AfterEach
    void noPasswordOrJaasLineInAnyOutput() throws Exception {
        assertThat(started).as("processes checked").isNotEmpty();
        User producer = broker.user(PRODUCER);
        assertThat(Files.readString(SecuredBroker.commandConfig(dir, producer)))
                .as("the needles are what a leak would print").contains("sasl.jaas.config=", producer.password());
        List<String> secrets = new ArrayList<>(broker.passwords());
        secrets.addAll(otherSecrets);
        for (ServiceProcess process : started) {
            String output = process.output();
            for (String secret : secrets) {
                assertThat(output).as(process.name() + " prints no password").doesNotContain(secret);
            }
            assertThat(output).as(process.name() + " prints no JAAS line")
                    .doesNotContain("sasl.jaas.config=", "PlainLoginModule", "password=\"");
        }
    }

    private void createTopics() {
        broker.createTopics(Map.of(queue.topic(), PARTITIONS, deadLetterTopic(), 1));
    }

    /** put, --maxsize and join: WRITE on the topic (DESCRIBE comes with it), DESCRIBE on the group. */
    private List<AclBinding> producerAcls() {
        return List.of(
                broker.allow(PRODUCER, AclOperation.WRITE, ResourceType.TOPIC, queue.topic()),
                broker.allow(PRODUCER, AclOperation.DESCRIBE, ResourceType.GROUP, queue.group()));
    }

    /** get, task_done and dead letters: READ on the topic and the group, WRITE on the dead-letter topic. */
    private List<AclBinding> consumerAcls() {
        return List.of(
                broker.allow(CONSUMER, AclOperation.READ, ResourceType.TOPIC, queue.topic()),
                broker.allow(CONSUMER, AclOperation.READ, ResourceType.GROUP, queue.group()),
                broker.allow(CONSUMER, AclOperation.WRITE, ResourceType.TOPIC, deadLetterTopic()));
    }

    @SafeVarargs
    private void grant(List<AclBinding>... sets) {
        List<AclBinding> acls = new ArrayList<>();
        for (List<AclBinding> set : sets) {
            acls.addAll(set);
        }
        broker.grant(acls);
    }

    private ServiceProcess start(String user, String jarProperty, List<String> subcommand, String... args) {
        return start(broker.user(user), jarProperty, subcommand, args);
    }

    /**
     * Starts a service jar as {@code user}: connection flags first, a command config holding nothing but the SASL
     * settings, then {@code args}.
     */
    private ServiceProcess start(User user, String jarProperty, List<String> subcommand, String... args) {
        List<String> command = new ArrayList<>(subcommand);
        command.addAll(List.of("--bootstrap-servers", broker.bootstrapServers(),
                "--command-config", SecuredBroker.commandConfig(dir, user).toString(),
                "--topic", queue.topic(), "--group", queue.group()));
        command.addAll(List.of(args));
        String role = jarProperty.replace(".jar", "") + (subcommand.isEmpty() ? "" : "-" + subcommand.get(0));
        ServiceProcess process = queue.track(ServiceProcess.startJar(
                role + "-as-" + user.name() + "-" + (started.size() + 1), TestQueue.jar(jarProperty), command));
        started.add(process);
        return process;
    }

    private String deadLetterTopic() {
        return queue.topic() + ".DLT";
    }

    private Lag.Snapshot lag() {
        try (Admin admin = broker.admin()) {
            return Lag.read(admin, queue.group(), queue.topic());
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
