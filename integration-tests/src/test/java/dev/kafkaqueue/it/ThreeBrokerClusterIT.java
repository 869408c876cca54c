package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue on a three-broker KRaft cluster (replication factor 3, {@code min.insync.replicas} 2), with the leader
 * of a partition stopped mid-run: every acknowledged item is still processed once, and the run completes (pills,
 * consumers end, join done) on the two brokers left. {@code --maxsize} keeps the producer from running ahead of the
 * consumers, so the stop lands in the middle of the puts.
 *
 * <p>The services run as processes on the host, against {@link ThreeBrokerCluster}, not the suite's shared broker.
 */
@NeedsDocker
class ThreeBrokerClusterIT {

    private static final int ITEMS = 150;
    private static final int PARTITIONS = 3;
    private static final String RUN = "three-brokers";
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

    private static ThreeBrokerCluster cluster;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    private int started;

    @BeforeAll
    static void startCluster() {
        long started = System.nanoTime();
        cluster = ThreeBrokerCluster.start();
        System.out.printf("CLUSTER_START nodes=%d millis=%d bootstrap=%s%n", ThreeBrokerCluster.NODES,
                Duration.ofNanos(System.nanoTime() - started).toMillis(), cluster.bootstrapServers());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aBrokerStoppedMidRunLosesNothingAndThePipelineCompletes() throws Exception {
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = start("producer", "producer.jar", "--count", Integer.toString(ITEMS),
                "--partitions", Integer.toString(PARTITIONS), "--replication-factor", "3", "--run-id", RUN,
                "--interval-ms", "40", "--maxsize", "20", "--join", "--timeout", "120s", "--item-log", "each");
        producer.awaitLines(Producer.PRODUCED, 1, RUN_TIMEOUT);
        List<ServiceProcess> consumers = List.of(consumer(applied), consumer(applied));

        try (Admin admin = cluster.admin()) {
            TopicDescription topic = describe(admin);
            assertThat(topic.partitions()).hasSize(PARTITIONS)
                    .allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
            Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC,
                    queue.topic()))).all().get(30, SECONDS).values().iterator().next();
            assertThat(config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value()).isEqualTo("2");

            Awaitility.await("30 items processed on three brokers").atMost(RUN_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> consumers.stream().mapToInt(c -> Consumer.ids(c).size()).sum() >= 30);
            int victim = topic.partitions().stream().filter(p -> p.partition() == 0).findFirst().orElseThrow()
                    .leader().id();
            int producedBeforeStop = Producer.produced(producer).size();
            long stopping = System.nanoTime();
            cluster.stop(victim);
            System.out.printf("CLUSTER_STOP node=%d stop_ms=%d produced_before=%d%n", victim,
                    Duration.ofNanos(System.nanoTime() - stopping).toMillis(), producedBeforeStop);

            assertThat(producer.awaitExit(RUN_TIMEOUT)).as(producer.output()).isZero();
            assertThat(producer.line(Join.DONE).text()).contains("all " + PARTITIONS + " partitions");
            for (ServiceProcess consumer : consumers) {
                assertThat(consumer.awaitExit(RUN_TIMEOUT)).as(consumer.output()).isZero();
                assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
            }
            assertThat(Producer.produced(producer).size() - producedBeforeStop)
                    .as("items acknowledged by all in-sync replicas after the stop").isPositive();
            assertThat(describe(admin).partitions()).as("the stopped broker left every in-sync replica set")
                    .allSatisfy(p -> assertThat(p.isr()).extracting(Node::id).hasSize(2).doesNotContain(victim));
            assertThat(Lag.read(admin, queue.group(), queue.topic()).total()).isZero();
        }

        Oracle.Result result = new Oracle().acked(RUN, producer)
                .consumers(consumers.toArray(ServiceProcess[]::new)).appliedLog(applied)
                .deadLetters(cluster.bootstrapServers(), queue.topic() + ".DLT").check("three-brokers-one-stopped");
        assertThat(result.acked()).isEqualTo(ITEMS);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
    }

    private ServiceProcess consumer(Path applied) {
        return start("consumer", "consumer.jar", "--work-ms", "20", "--applied-log", applied.toString(),
                "--item-log", "each");
    }

    /** Starts a service against the cluster, on this test's topic and group; the queue keeps its output. */
    private ServiceProcess start(String role, String jarProperty, String... args) {
        List<String> command = new ArrayList<>(List.of("--bootstrap-servers", cluster.bootstrapServers(),
                "--topic", queue.topic(), "--group", queue.group()));
        command.addAll(List.of(args));
        return queue.track(ServiceProcess.startJar(role + "-" + (++started), TestQueue.jar(jarProperty), command));
    }

    private TopicDescription describe(Admin admin) throws Exception {
        Map<String, TopicDescription> topics = admin.describeTopics(List.of(queue.topic())).allTopicNames()
                .get(30, SECONDS);
        return topics.get(queue.topic());
    }
}
