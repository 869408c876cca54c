package dev.kafkaqueue.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.queue.BackpressureGate;
import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.QueueAddress;
import dev.kafkaqueue.queue.StopSignal;
import dev.kafkaqueue.service.ItemLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class PutTest {

    private static final String TOPIC = "jobs";

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final StopSignal stop = new StopSignal();

    @Test
    void putsEveryItemThenAPillOnEveryPartitionAndReportsDurationAndRate() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(2);

        int exit = put(settings(3, 0, Optional.empty()), unbounded()).run(producer);

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(producer.history()).hasSize(5);
        assertThat(producer.history().subList(3, 5)).extracting(r -> r.partition()).containsExactly(0, 1);
        assertThat(producer.flushed()).isTrue();
        assertThat(text()).containsPattern("Producer done: 3 items and 2 pills acknowledged in \\d+\\.\\d+s "
                + "\\(\\d+\\.\\d items/s\\) \\(run run-1\\)");
    }

    @Test
    void oneItemAndOnePillAreSingular() throws Exception {
        int exit = put(settings(1, 0, Optional.empty()), unbounded()).run(producer(1));

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(text()).contains("Producer done: 1 item and 1 pill acknowledged");
    }

    @Test
    void aSignalDuringAFullQueueWaitEndsAtOnceFlushesAndReports() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(1);
        // Nobody commits, and the next sample is an hour away: only the signal can end the wait.
        BackpressureGate full = new BackpressureGate(2, () -> {
            stop.stop();
            return Map.of();
        }, Duration.ofHours(1));

        long started = System.nanoTime();
        int exit = put(settings(5, 2, Optional.empty()), full).run(producer);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(exit).as("README: SIGTERM before the pills exits 1").isEqualTo(ExitCode.FAILURE);
        assertThat(took).isLessThan(Duration.ofSeconds(1));
        assertThat(producer.flushed()).isTrue();
        assertThat(producer.history()).as("two items, no pills").hasSize(2);
        assertThat(text()).contains("Producer stopped by signal: 2 of 5 items acknowledged, no poison pills sent");
    }

    @Test
    void aBackpressureTimeoutExitsThreeWithItsReport() throws Exception {
        BackpressureGate full = new BackpressureGate(1, Map::of, Duration.ofMillis(5));
        ProducerSettings settings = settings(3, 1, Optional.empty(), Duration.ofMillis(50));

        int exit = put(settings, full).run(producer(1));

        assertThat(exit).isEqualTo(ExitCode.TIMEOUT);
        assertThat(text()).contains("Producer stopped: backpressure: 1 unfinished item (maxsize 1)")
                .contains("1 of 3 items acknowledged, no poison pills sent");
    }

    @Test
    void aFencedProducerSaysSoByWhichIdAndHowManyItemsWereAcknowledgedAndCommitted() throws Exception {
        // The first transaction (100 items) commits; a second producer with the same id then takes over.
        MockProducer<byte[], byte[]> producer = failingSecondCommit(
                new ProducerFencedException("There is a newer producer with the same transactionalId"));

        int exit = put(settings(150, 0, Optional.of("tx-1")), unbounded()).run(producer);

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(text()).contains("Producer fenced: another producer started with the same --transactional-id "
                + "'tx-1' and took over; 150 of 150 items acknowledged, 100 of them in committed transactions");
    }

    @Test
    void aCommitMetByTheNewerProducersAbortIsReportedAsFencedToo() throws Exception {
        // The newer producer's initTransactions has the coordinator abort this one's open transaction; a commit that
        // arrives meanwhile is refused with INVALID_TXN_STATE, not PRODUCER_FENCED (seen in TransactionsIT under load).
        MockProducer<byte[], byte[]> producer = failingSecondCommit(new InvalidTxnStateException(
                "The producer attempted a transactional operation in an invalid state."));

        int exit = put(settings(150, 0, Optional.of("tx-1")), unbounded()).run(producer);

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(text()).contains("Producer fenced: another producer started with the same --transactional-id "
                + "'tx-1' and took over; 150 of 150 items acknowledged, 100 of them in committed transactions");
    }

    /** A transactional producer whose second commit fails with {@code failure}. */
    private static MockProducer<byte[], byte[]> failingSecondCommit(RuntimeException failure) {
        return new MockProducer<>(cluster(1), true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            private int commits;

            @Override
            public void commitTransaction() {
                if (++commits == 2) {
                    throw failure;
                }
                super.commitTransaction();
            }
        };
    }

    @Test
    void aSignalDuringTheIntervalEndsTheWaitAtOnce() throws Exception {
        stop.stop();
        ProducerSettings settings = new ProducerSettings(queue(),
                new ProducerSettings.Run(3, "run-1", ProducerSettings.Pills.SEND, Optional.empty()),
                new ProducerSettings.NewTopic(OptionalInt.empty(), (short) -1),
                new ProducerSettings.Pacing(0, Duration.ofSeconds(1), Duration.ofHours(1), Duration.ofMillis(1),
                        Duration.ofSeconds(1)),
                ProducerSettings.AfterPut.EXIT, ItemLog.Mode.EACH);

        int exit = put(settings, unbounded()).run(producer(1));

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(text()).contains("Producer stopped by signal: 0 of 3 items acknowledged");
    }

    private Put put(ProducerSettings settings, BackpressureGate gate) {
        return new Put(settings, gate, new SimpleMeterRegistry().counter("put"), stop, out);
    }

    private static BackpressureGate unbounded() {
        return new BackpressureGate(0, Map::of, Duration.ofMillis(1));
    }

    private static ProducerSettings settings(int count, int maxsize, Optional<String> transactionalId) {
        return settings(count, maxsize, transactionalId, Duration.ofSeconds(30));
    }

    private static ProducerSettings settings(int count, int maxsize, Optional<String> transactionalId,
                                             Duration timeout) {
        return new ProducerSettings(queue(),
                new ProducerSettings.Run(count, "run-1", ProducerSettings.Pills.SEND, transactionalId),
                new ProducerSettings.NewTopic(OptionalInt.empty(), (short) -1),
                new ProducerSettings.Pacing(maxsize, timeout, Duration.ZERO, Duration.ofMillis(1),
                        Duration.ofSeconds(1)),
                ProducerSettings.AfterPut.EXIT, ItemLog.Mode.EACH);
    }

    private static QueueAddress queue() {
        return new QueueAddress(new ClientConfig("unused:9092", Map.of()), TOPIC, "workers");
    }

    private static MockProducer<byte[], byte[]> producer(int partitions) {
        return new MockProducer<>(cluster(partitions), true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Cluster cluster(int partitions) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> infos = IntStream.range(0, partitions)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node})).toList();
        return new Cluster("test", List.of(node), infos, Set.of(), Set.of());
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
