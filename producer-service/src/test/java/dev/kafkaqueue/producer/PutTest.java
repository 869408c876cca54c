package dev.kafkaqueue.producer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kafkaqueue.QueueFull;
import dev.kafkaqueue.QueueShutDown;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.StopSignal;
import dev.kafkaqueue.internal.codec.Payloads;
import dev.kafkaqueue.internal.put.BackpressureGate;
import dev.kafkaqueue.internal.put.PutOptions;
import dev.kafkaqueue.internal.put.Putter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The producer's run and its report, with the queue's producer over Kafka's MockProducer: no broker. */
class PutTest {

    private static final String TOPIC = "jobs";

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final StopSignal stop = new StopSignal();
    private final StopSignal closed = new StopSignal();

    @Test
    void putsEveryItemThenAPillOnEveryPartitionAndReportsDurationAndRate() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(2);

        int exit = put(settings(3, 0, Optional.empty()), producer, unbounded());

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(producer.history()).hasSize(5);
        assertThat(producer.history().subList(3, 5)).extracting(r -> r.partition()).containsExactly(0, 1);
        assertThat(producer.flushed()).isTrue();
        assertThat(text()).containsPattern("Producer done: 3 items and 2 pills acknowledged in \\d+\\.\\d+s "
                + "\\(\\d+\\.\\d items/s\\) \\(run run-1\\)");
    }

    @Test
    void oneItemAndOnePillAreSingular() throws Exception {
        int exit = put(settings(1, 0, Optional.empty()), producer(1), unbounded());

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(text()).contains("Producer done: 1 item and 1 pill acknowledged");
    }

    @Test
    void aSignalDuringAFullQueueWaitEndsAtOnceFlushesAndReports() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(1);
        // Nobody commits, and the next sample is an hour away: only the signal can end the wait. The signal closes
        // the queue, as the service's shutdown hook does.
        BackpressureGate.CommittedOffsets nobody = () -> {
            stop.stop();
            closed.stop();
            return Map.of();
        };

        long started = System.nanoTime();
        int exit = put(settings(5, 2, Optional.empty(), Duration.ofHours(1)), producer, nobody);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(exit).as("README: SIGTERM before the pills exits 1").isEqualTo(ExitCode.FAILURE);
        assertThat(took).isLessThan(Duration.ofSeconds(5));
        assertThat(producer.history()).as("two items, no pills").hasSize(2);
        assertThat(text()).contains("Producer stopped by signal: 2 of 5 items acknowledged, no poison pills sent");
    }

    @Test
    void aBackpressureTimeoutExitsThreeWithItsReport() throws Exception {
        ProducerSettings settings = settings(3, 1, Optional.empty(), Duration.ofMillis(50));

        int exit = put(settings, producer(1), Map::of);

        assertThat(exit).isEqualTo(ExitCode.TIMEOUT);
        assertThat(text()).contains("Producer stopped: backpressure: 1 unfinished item (maxsize 1)")
                .contains("1 of 3 items acknowledged, no poison pills sent");
    }

    @Test
    void aFencedProducerSaysSoByWhichIdAndHowManyItemsWereAcknowledgedAndCommitted() throws Exception {
        // The first transaction (100 items) commits; a second producer with the same id then takes over.
        MockProducer<byte[], byte[]> producer = failingSecondCommit(
                new ProducerFencedException("There is a newer producer with the same transactionalId"));

        int exit = put(settings(150, 0, Optional.of("tx-1")), producer, unbounded());

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

        int exit = put(settings(150, 0, Optional.of("tx-1")), producer, unbounded());

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(text()).contains("Producer fenced: another producer started with the same --transactional-id "
                + "'tx-1' and took over; 150 of 150 items acknowledged, 100 of them in committed transactions");
    }

    @Test
    void aSignalDuringTheIntervalEndsTheWaitAtOnce() throws Exception {
        stop.stop();
        ProducerSettings settings = new ProducerSettings(queue(),
                new ProducerSettings.Run(new ProducerSettings.Generated(3), "run-1", ProducerSettings.Pills.SEND,
                        Optional.empty()),
                new ProducerSettings.NewTopic(OptionalInt.empty(), (short) -1),
                new ProducerSettings.Pacing(0, Duration.ofSeconds(1), Duration.ofHours(1), Duration.ofMillis(1),
                        Duration.ofSeconds(1)),
                ProducerSettings.AfterPut.EXIT, ItemLog.Mode.EACH);

        int exit = put(settings, producer(1), unbounded());

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(text()).contains("Producer stopped by signal: 0 of 3 items acknowledged");
    }

    @Test
    void fencingIsToldApartFromOtherFailures() {
        assertThat(Put.isFenced(new org.apache.kafka.common.KafkaException(new ProducerFencedException("x"))))
                .isTrue();
        assertThat(Put.isFenced(new org.apache.kafka.common.KafkaException("broker down"))).isFalse();
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
    void inputLinesArePutWithTheirLineNumbersAsIdsThenThePills() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(2);

        int exit = putLines(ProducerSettings.Format.TEXT, "https://a.example/x\r\n\nlast, no newline", producer, 0);

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(producer.history()).hasSize(5);
        assertThat(producer.history().subList(0, 3)).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                .as("ids are line numbers").containsExactly("1", "2", "3");
        assertThat(payloads(producer, 3)).containsExactly("\"https://a.example/x\"", "\"\"", "\"last, no newline\"");
        assertThat(text()).contains("Produced 1 (partition", "Produced 3 (partition",
                "Producer done: 3 items and 2 pills acknowledged");
    }

    @Test
    void jsonLinesPutTheirValues() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(1);

        int exit = putLines(ProducerSettings.Format.JSON, "{\"url\": \"https://a.example\"}\n[1, 2]\n\"text\"\n7\n",
                producer, 0);

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(payloads(producer, 4)).containsExactly("{\"url\":\"https://a.example\"}", "[1,2]", "\"text\"", "7");
    }

    @Test
    void aLineThatIsNotJsonStopsTheRunNamingItAfterThePutsBeforeItWithoutPills() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(2);

        int exit = putLines(ProducerSettings.Format.JSON, "{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n", producer, 0);

        assertThat(exit).as("a bad input is a usage error").isEqualTo(ExitCode.USAGE);
        assertThat(producer.history()).as("line 1 only: no pills").hasSize(1);
        assertThat(text()).containsPattern("Producer stopped: line 2: not valid JSON: .+; 1 item acknowledged, "
                + "no poison pills sent");
    }

    @Test
    void aLineTooLargeForTheTopicStopsTheRunWithItsSizeAndTheLimit() throws Exception {
        MockProducer<byte[], byte[]> producer = producer(1);

        int exit = putLines(ProducerSettings.Format.TEXT, "small\nsmall too\n" + "x".repeat(500) + "\nnever read\n",
                producer, 300);

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(producer.history()).hasSize(2);
        assertThat(text()).containsPattern("Producer stopped: line 3: item 3 is \\d+ bytes as a record, more than the "
                + "300 bytes topic jobs takes .*; 2 items acknowledged, no poison pills sent");
    }

    private int putLines(ProducerSettings.Format format, String input, MockProducer<byte[], byte[]> producer,
                         int largestRecord) throws Exception {
        ProducerSettings settings = new ProducerSettings(queue(),
                new ProducerSettings.Run(new ProducerSettings.Lines(Optional.empty(), format), "run-1",
                        ProducerSettings.Pills.SEND, Optional.empty()),
                new ProducerSettings.NewTopic(OptionalInt.empty(), (short) -1),
                new ProducerSettings.Pacing(0, Duration.ofSeconds(30), Duration.ZERO, Duration.ofMillis(1),
                        Duration.ofSeconds(1)),
                ProducerSettings.AfterPut.EXIT, ItemLog.Mode.EACH);
        try (InputLines lines = new InputLines(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                format, 1_048_576)) {
            return put(settings, producer, unbounded(), Put.lines(lines), largestRecord);
        }
    }

    /** The payloads of the first {@code n} records, as the JSON they were sent as. */
    private static List<String> payloads(MockProducer<byte[], byte[]> producer, int n) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        return producer.history().subList(0, n).stream().map(r -> {
            try {
                return mapper.readTree(r.value()).get("payload").toString();
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    /** Runs the producer's puts through the queue's producer over {@code producer}, as the service would. */
    private int put(ProducerSettings settings, MockProducer<byte[], byte[]> producer,
                    BackpressureGate.CommittedOffsets committed) throws InterruptedException {
        int count = ((ProducerSettings.Generated) settings.run().items()).count();
        return put(settings, producer, committed, Put.generated(count), 0);
    }

    private int put(ProducerSettings settings, MockProducer<byte[], byte[]> producer,
                    BackpressureGate.CommittedOffsets committed, Put.Source source, int largestRecord)
            throws InterruptedException {
        ItemLog items = new ItemLog(ItemLog.Mode.EACH, "Produced", out, Duration.ofSeconds(5));
        ProducerOutput output = new ProducerOutput(out, items);
        PutOptions options = new PutOptions(new ClientConfig("unused:9092", Map.of()), TOPIC, "workers",
                settings.pacing().maxsize(), settings.run().runId(), settings.run().items().firstId(),
                settings.run().transactionalId(), Optional.of(settings.pacing().timeout()), Duration.ofMillis(5),
                Duration.ofSeconds(1));
        Putter putter = new Putter(options, committed, largestRecord, output, closed, new SimpleMeterRegistry(),
                new ClientMetrics(null), props -> producer);
        return new Put(settings, output, items, stop, out).run(target(putter), source);
    }

    /** The queue's puts, as {@code KafkaQueue} makes them of its producer. */
    private Put.Target target(Putter putter) {
        Payloads<JsonNode> payloads = Payloads.of(JsonNode.class, ObjectMapper::new);
        return new Put.Target() {
            @Override
            public CompletableFuture<Void> putAsync(JsonNode item) throws InterruptedException {
                if (closed.isStopped()) {
                    throw new QueueShutDown("the queue is closed");
                }
                try {
                    return putter.put((id, runId, at) -> payloads.item(id, item, runId, at), true);
                } catch (Putter.Refused refused) {
                    if (refused.why() == Putter.Refused.Why.STOPPED) {
                        throw new QueueShutDown("the queue is closed");
                    }
                    throw new QueueFull(refused.getMessage());
                }
            }

            @Override
            public void flush() {
                putter.flush();
            }

            @Override
            public void shutdown() {
                putter.sendPills();
            }

            @Override
            public void close() {
                putter.close();
            }

            @Override
            public long acknowledged() {
                return putter.acknowledged();
            }
        };
    }

    private static BackpressureGate.CommittedOffsets unbounded() {
        return Map::of;
    }

    private static ProducerSettings settings(int count, int maxsize, Optional<String> transactionalId) {
        return settings(count, maxsize, transactionalId, Duration.ofSeconds(30));
    }

    private static ProducerSettings settings(int count, int maxsize, Optional<String> transactionalId,
                                             Duration timeout) {
        return new ProducerSettings(queue(),
                new ProducerSettings.Run(new ProducerSettings.Generated(count), "run-1", ProducerSettings.Pills.SEND,
                        transactionalId),
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
