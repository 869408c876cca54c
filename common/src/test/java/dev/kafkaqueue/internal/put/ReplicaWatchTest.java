package dev.kafkaqueue.internal.put;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.ClientConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

class ReplicaWatchTest {

    private static final Node B1 = new Node(1, "kafka", 9092);
    private static final Node B2 = new Node(2, "kafka-2", 9092);
    private static final Node B3 = new Node(3, "kafka-3", 9092);
    private static final List<Node> ALL = List.of(B1, B2, B3);

    private final List<String> warnings = new ArrayList<>();
    private final List<String> infos = new ArrayList<>();

    @Test
    void aTopicWhosePartitionsHaveAtLeastMinInSyncReplicasBlocksNothing() {
        TopicDescription oneDown = topic(partition(0, B1, B1, B3), partition(1, B3, B3, B1), partition(2, B1, B1, B3));

        assertThat(ReplicaWatch.blocked(oneDown, OptionalInt.of(2))).isEmpty();
    }

    @Test
    void partitionsBelowMinInSyncReplicasAreNamedWithTheirIsrAndKafkasErrorName() {
        TopicDescription twoDown = topic(partition(0, B1, B1), partition(1, B1, B1), partition(2, B1, B1, B2));

        assertThat(ReplicaWatch.blocked(twoDown, OptionalInt.of(2))).hasValue("jobs-0 isr [1], jobs-1 isr [1] have "
                + "fewer in-sync replicas than min.insync.replicas=2, so the brokers refuse acks=all writes "
                + "(NOT_ENOUGH_REPLICAS)");
    }

    @Test
    void aPartitionWithoutALeaderIsNamedEvenWhenMinInSyncReplicasCannotBeRead() {
        TopicDescription topic = topic(partition(0, null), partition(1, B1, B1));

        assertThat(ReplicaWatch.blocked(topic, OptionalInt.empty())).hasValue("jobs-0 has no leader");
        assertThat(ReplicaWatch.blocked(topic, OptionalInt.of(2))).hasValue("jobs-1 isr [1] has fewer in-sync "
                + "replicas than min.insync.replicas=2, so the brokers refuse acks=all writes (NOT_ENOUGH_REPLICAS); "
                + "jobs-0 has no leader");
    }

    @Test
    void aLongListOfPartitionsIsCut() {
        TopicDescription topic = topic(IntStream.range(0, 10).mapToObj(p -> partition(p, B1, B1))
                .toArray(TopicPartitionInfo[]::new));

        assertThat(ReplicaWatch.blocked(topic, OptionalInt.of(2)).orElseThrow())
                .startsWith("jobs-0 isr [1], jobs-1 isr [1], jobs-2 isr [1], jobs-3 isr [1], jobs-4 isr [1], "
                        + "jobs-5 isr [1] and 4 more have fewer");
    }

    @Test
    void saysOnceThatPutsWaitAndOnceThatTheyGoOn() {
        TopicDescription healthy = topic(partition(0, B1, B1, B2, B3));
        TopicDescription twoDown = topic(partition(0, B1, B1));
        ReplicaWatch watch = watch(state(healthy), state(twoDown), state(twoDown), state(twoDown), state(healthy),
                state(healthy));

        for (int i = 0; i < 3; i++) {
            watch.check();
        }
        assertThat(warnings).containsExactly("Puts wait: jobs-0 isr [1] has fewer in-sync replicas than "
                + "min.insync.replicas=2, so the brokers refuse acks=all writes (NOT_ENOUGH_REPLICAS); the producer "
                + "keeps retrying them for up to delivery.timeout.ms=300000 until the brokers can take them");
        assertThat(infos).isEmpty();

        for (int i = 0; i < 3; i++) {
            watch.check();
        }
        assertThat(warnings).hasSize(1);
        assertThat(infos).singleElement().asString()
                .matches("Puts go on: every partition of jobs has a leader and enough in-sync replicas again, "
                        + "after \\d+ s of waiting");
    }

    @Test
    void closingAfterPutsWentThroughBetweenTwoChecksSaysTheyGoOn() {
        ReplicaWatch watch = watch(state(topic(partition(0, B1, B1))), state(topic(partition(0, B1, B1, B2))));

        watch.check();
        watch.close();

        assertThat(warnings).hasSize(1);
        assertThat(infos).singleElement().asString().startsWith("Puts go on: ");
    }

    @Test
    void closingWithoutAWaitChecksNothing() {
        AtomicInteger reads = new AtomicInteger();
        ReplicaWatch watch = new ReplicaWatch("jobs", () -> {
            reads.incrementAndGet();
            return state(topic(partition(0, B1, B1, B2)));
        }, Duration.ofMinutes(5), warnings::add, infos::add);

        watch.check();
        watch.close();

        assertThat(reads).hasValue(1);
        assertThat(warnings).isEmpty();
        assertThat(infos).isEmpty();
    }

    @Test
    void aCheckThatFailsSaysNothingAndChangesNothing() {
        TopicDescription twoDown = topic(partition(0, B1, B1));
        Deque<Object> answers = new ArrayDeque<>(List.of(state(twoDown), new TimeoutException("brokers away"),
                state(twoDown)));
        ReplicaWatch watch = new ReplicaWatch("jobs", () -> {
            Object next = answers.remove();
            if (next instanceof Exception e) {
                throw e;
            }
            return (ReplicaWatch.State) next;
        }, Duration.ofMinutes(5), warnings::add, infos::add);

        watch.check();
        watch.check();
        watch.check();

        assertThat(warnings).hasSize(1);
        assertThat(infos).isEmpty();
    }

    @Test
    void aPutWaitsForReplicasAsLongAsTheProducersTimeoutAndNeverLessThanKafkasDefault() {
        assertThat(deliveryTimeout(Duration.ofMinutes(5), Map.of())).isEqualTo(300_000);
        assertThat(deliveryTimeout(Duration.ofSeconds(60), Map.of())).isEqualTo(120_000);
        assertThat(deliveryTimeout(Duration.ofMinutes(5), Map.of(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "45000")))
                .as("a setting given to the queue wins").isEqualTo("45000");
    }

    private static Object deliveryTimeout(Duration putTimeout, Map<String, Object> config) {
        PutOptions options = new PutOptions(new ClientConfig("localhost:9092", config), "jobs", "workers", 0, "run-1",
                0, Optional.empty(), Optional.of(putTimeout), Duration.ofMillis(200), Duration.ofSeconds(30));
        return Putter.producerProperties(options).get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
    }

    @Test
    void anIdleProducersTopicIsNotAsked() {
        int[] asked = {0};
        ReplicaWatch watch = new ReplicaWatch("jobs", () -> {
            asked[0]++;
            throw new IllegalStateException("asked");
        }, Duration.ofMinutes(5), warnings::add, infos::add, () -> false);

        watch.check();

        assertThat(asked[0]).isZero();
    }

    private ReplicaWatch watch(ReplicaWatch.State... states) {
        Deque<ReplicaWatch.State> answers = new ArrayDeque<>(List.of(states));
        return new ReplicaWatch("jobs", answers::remove, Duration.ofMinutes(5), warnings::add, infos::add);
    }

    private static ReplicaWatch.State state(TopicDescription topic) {
        return new ReplicaWatch.State(topic, OptionalInt.of(2));
    }

    private static TopicDescription topic(TopicPartitionInfo... partitions) {
        return new TopicDescription("jobs", false, List.of(partitions));
    }

    private static TopicPartitionInfo partition(int partition, Node leader, Node... isr) {
        return new TopicPartitionInfo(partition, leader, ALL, List.of(isr));
    }
}
