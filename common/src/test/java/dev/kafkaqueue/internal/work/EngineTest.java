package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.codec.Payloads;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The engine's poll loop on a consumer group, against Kafka's MockConsumer and MockProducer: no broker. */
class EngineTest {

    private static final String TOPIC = "jobs";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

    /** The work on one item, as a test writes it. */
    @FunctionalInterface
    interface Work {
        void run(QueueMessage.Item item) throws Exception;
    }

    private final RecordCodec codec = new RecordCodec();
    private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    /** Runs inside the consumer's closure check ({@code partitionsFor}) when set: a signal arriving there. */
    private Runnable duringClosureCheck;
    private final MockConsumer<byte[], byte[]> kafka = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name()) {
        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitSync(offsets);
            committed.putAll(offsets); // readable after close(), unlike MockConsumer#committed
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            super.commitAsync(offsets, callback);
            committed.putAll(offsets);
        }

        @Override
        public synchronized List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
            if (duringClosureCheck != null) {
                duringClosureCheck.run();
                throw new WakeupException(); // what a real consumer does once woken in a blocking call
            }
            return super.partitionsFor(topic, timeout);
        }
    };
    private final MockProducer<byte[], byte[]> dlt =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final List<Long> processed = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private long nextOffset;

    @Test
    void processesCommitsAndEndsOnThePill() throws Exception {
        givenRecords(item(0), item(1), item(2), pill());

        Engine.Result result = run(options(CommitMode.BATCH), item -> processed.add(item.id()));

        assertThat(result.ending()).isEqualTo(Engine.Ending.CLOSED);
        assertThat(processed).containsExactly(0L, 1L, 2L);
        OffsetAndMetadata offset = committed.get(P0);
        assertThat(offset.offset()).isEqualTo(4);
        assertThat(offset.metadata()).startsWith("kafka-queue:pill:r1:");
        assertThat(kafka.closed()).isTrue();
        assertThat(registry.get("queue.items.done").functionCounter().count()).isEqualTo(3);
    }

    @Test
    void unreadableRecordsGoToTheDeadLetterTopicWithTheirOriginAndThePartitionKeepsFlowing() throws Exception {
        ConsumerRecord<byte[], byte[]> first = item(0);
        ConsumerRecord<byte[], byte[]> garbage = record("not json".getBytes(StandardCharsets.UTF_8));
        garbage.headers().add(new RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)));
        givenRecords(first, garbage, record(null), item(1), pill());

        Engine.Result result = run(options(CommitMode.BATCH), item -> processed.add(item.id()));

        assertThat(result.ending()).isEqualTo(Engine.Ending.CLOSED);
        assertThat(processed).containsExactly(0L, 1L);
        List<ProducerRecord<byte[], byte[]>> letters = dlt.history();
        assertThat(letters).hasSize(2);
        ProducerRecord<byte[], byte[]> letter = letters.get(0);
        assertThat(letter.topic()).isEqualTo(TOPIC + ".DLT");
        assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo("not json");
        assertThat(header(letter, "trace")).isEqualTo("abc");
        assertThat(header(letter, DeadLetters.SOURCE_TOPIC)).isEqualTo(TOPIC);
        assertThat(header(letter, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
        assertThat(header(letter, DeadLetters.ERROR_CLASS)).endsWith("UnreadableRecordException");
        assertThat(header(letters.get(1), DeadLetters.ERROR_MESSAGE)).contains("null value");
        assertThat(registry.get("queue.items.dead.lettered").counter().count()).isEqualTo(2);
        assertThat(committed.get(P0).offset()).isEqualTo(5);
    }

    @Test
    void aFailureThatClearsIsRetriedAndOneThatDoesNotIsDeadLettered() throws Exception {
        givenRecords(item(0), item(1), pill());
        Map<Long, Integer> failuresLeft = new HashMap<>(Map.of(0L, 2, 1L, Integer.MAX_VALUE));
        Work flaky = item -> {
            if (failuresLeft.merge(item.id(), -1, Integer::sum) >= 0) {
                throw new IllegalStateException("injected failure for item " + item.id());
            }
            processed.add(item.id());
        };

        Engine.Result result = run(options(CommitMode.BATCH), flaky);

        assertThat(result.ending()).isEqualTo(Engine.Ending.CLOSED);
        assertThat(processed).containsExactly(0L);
        assertThat(dlt.history()).singleElement()
                .satisfies(letter -> assertThat(header(letter, DeadLetters.ERROR_MESSAGE))
                        .contains("injected failure for item 1"));
    }

    @Test
    void whenTheDeadLetterWriteFailsTheOffsetIsNotCommittedAndTheConsumerStops() throws Exception {
        MockProducer<byte[], byte[]> failing =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        givenRecords(item(0), record(new byte[0]), item(1), pill());
        failing.sendException = new TopicAuthorizationException("no WRITE on " + TOPIC + ".DLT");

        Engine.Result result = engine(options(CommitMode.PER_RECORD), item -> processed.add(item.id()), 1, 0,
                new DeadLetters(failing, TOPIC + ".DLT", Duration.ofSeconds(1))).awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.FAILED);
        assertThat(result.failure()).isInstanceOf(DeadLetterException.class);
        assertThat(processed).containsExactly(0L);
        assertThat(committed.get(P0).offset()).isEqualTo(1);
    }

    @Test
    void aSignalDuringTheClosureCheckIsAGracefulStopNotAFailure() throws Exception {
        givenRecords(item(0), item(1), pill()); // the pill makes the consumer ask the group whether the run is closed
        // The engine polls from its constructor on, so the check can come before the engine is assigned here.
        CompletableFuture<Engine<?>> started = new CompletableFuture<>();
        duringClosureCheck = () -> started.join().stop();
        Engine<?> engine = engine(options(CommitMode.BATCH), item -> processed.add(item.id()), 1, 0, deadLetters());
        started.complete(engine);

        Engine.Result result = engine.awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.STOPPED);
        assertThat(processed).containsExactly(0L, 1L);
        assertThat(committed.get(P0).offset()).isEqualTo(3); // the pill's too: committed before the check
        assertThat(kafka.closed()).isTrue();
    }

    @Test
    void withoutTaskDoneNothingIsCommittedAndCountStopsTheConsumer() throws Exception {
        givenRecords(item(0), item(1), item(2));

        Engine.Result result = engine(options(CommitMode.NONE), item -> processed.add(item.id()), 1, 3,
                deadLetters()).awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.LIMIT);
        assertThat(processed).containsExactly(0L, 1L, 2L);
        assertThat(committed).isEmpty();
    }

    @Test
    void anItemAlreadyAppliedIsNotAppliedAgain() throws Exception {
        givenRecords(item(0), item(0), item(1), pill());

        run(options(CommitMode.BATCH), item -> processed.add(item.id()));

        assertThat(processed).containsExactly(0L, 1L);
    }

    @Test
    void unorderedItemsOvertakeASlowOneButTheCommitWaitsForIt() throws Exception {
        givenRecords(item(0), item(1), item(2), item(3), pill());
        CountDownLatch othersDone = new CountDownLatch(3);
        Map<TopicPartition, OffsetAndMetadata> committedWhileZeroWorked = new HashMap<>();
        Work slowZero = item -> {
            if (item.id() == 0) {
                assertThat(othersDone.await(10, TimeUnit.SECONDS)).isTrue();
                synchronized (committed) {
                    committedWhileZeroWorked.putAll(committed);
                }
            }
            synchronized (processed) {
                processed.add(item.id());
            }
            if (item.id() != 0) {
                othersDone.countDown();
            }
        };

        Engine.Result result = engine(options(CommitMode.BATCH, Ordering.UNORDERED, Duration.ofMillis(1)), slowZero, 4,
                0, deadLetters()).awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.CLOSED);
        assertThat(processed).containsExactlyInAnyOrder(0L, 1L, 2L, 3L).endsWith(0L);
        assertThat(committedWhileZeroWorked).doesNotContainKey(P0); // 1..3 were done, but 0 was not
        assertThat(committed.get(P0).offset()).isEqualTo(5);
        assertThat(committed.get(P0).metadata()).startsWith("kafka-queue:pill:r1:");
    }

    @Test
    void aSignalDuringARetryBackoffEndsTheRunAtOnceAndLeavesTheItemUncommitted() throws Exception {
        givenRecords(item(0), item(1), pill());
        Work failingOne = item -> {
            if (item.id() == 1) {
                throw new IllegalStateException("down");
            }
            processed.add(item.id());
        };
        Engine<String> engine = engine(options(CommitMode.BATCH, Ordering.PARTITION, Duration.ofMinutes(10)),
                failingOne, 1, 0, deadLetters());
        Executors.newSingleThreadScheduledExecutor().schedule(engine::stop, 300, TimeUnit.MILLISECONDS);

        long started = System.nanoTime();
        Engine.Result result = engine.awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.STOPPED);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMinutes(1));
        assertThat(processed).containsExactly(0L);
        assertThat(committed.get(P0).offset()).isEqualTo(1);
        assertThat(dlt.history()).isEmpty();
    }

    @Test
    void aStopFinishesTheItemInHandAndCommitsItButStartsNoOther() throws Exception {
        givenRecords(item(0), item(1), item(2), pill());
        CompletableFuture<Engine<?>> self = new CompletableFuture<>(); // work can start before the engine is assigned
        Work slow = item -> {
            if (item.id() == 1) {
                self.join().stop();
                TimeUnit.MILLISECONDS.sleep(300); // still working when the stop comes
            }
            processed.add(item.id());
        };
        Engine<?> engine = engine(options(CommitMode.BATCH), slow, 1, 0, deadLetters());
        self.complete(engine);

        Engine.Result result = engine.awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.STOPPED);
        assertThat(processed).containsExactly(0L, 1L);
        assertThat(committed.get(P0).offset()).isEqualTo(2);
    }

    @Test
    void manyUnorderedItemsEndOnThePillWithEverythingCommitted() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            records.add(item(i));
        }
        records.add(pill());
        givenRecords(records);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        Work jittery = item -> {
            TimeUnit.MICROSECONDS.sleep(random.split().nextInt(3_000));
            synchronized (processed) {
                processed.add(item.id());
            }
        };

        Engine.Result result = engine(options(CommitMode.BATCH, Ordering.UNORDERED, Duration.ofMillis(1)), jittery, 4,
                0, deadLetters()).awaitEnd();

        assertThat(result.ending()).isEqualTo(Engine.Ending.CLOSED);
        assertThat(processed).hasSize(300);
        assertThat(committed.get(P0).offset()).isEqualTo(301);
        assertThat(committed.get(P0).metadata()).startsWith("kafka-queue:pill:r1:");
    }

    private Engine.Result run(WorkOptions options, Work work) throws InterruptedException {
        return engine(options, work, 1, 0, deadLetters()).awaitEnd();
    }

    private Engine<String> engine(WorkOptions options, Work work, int concurrency, long limit, DeadLetters letters) {
        Engine.Parts parts = new Engine.Parts(DedupWindow.inMemory(100), letters,
                (closure, startedAt, meters, beforeCommit) -> new ConsumerGroupBackend(options, props -> kafka,
                        closure, (partitions, timeout) -> kafka.endOffsets(partitions), meters, beforeCommit,
                        new ClientMetrics(null)), 0, null);
        return new Engine<>(options, Payloads.of(String.class, ObjectMapper::new), parts, QueueListener.NONE, registry,
                (task, item) -> work.run(task.item()), concurrency, limit, () -> { });
    }

    private DeadLetters deadLetters() {
        return new DeadLetters(dlt, TOPIC + ".DLT", Duration.ofSeconds(1));
    }

    private static WorkOptions options(CommitMode mode) {
        return options(mode, Ordering.PARTITION, Duration.ofMillis(1));
    }

    private static WorkOptions options(CommitMode mode, Ordering ordering, Duration retryBackoff) {
        return new WorkOptions(new ClientConfig("unused:9092", Map.of()), TOPIC, "workers", GroupType.CONSUMER,
                new WorkOptions.Commit(mode, Duration.ofSeconds(1)), ordering,
                new WorkOptions.Retry(retryBackoff.toMinutes() > 1 ? 5 : 2, retryBackoff), TOPIC + ".DLT",
                new WorkOptions.Dedup(100, Optional.empty()), Optional.empty(), Duration.ofSeconds(1), "own-run");
    }

    /** Assigns partition 0 at the first poll and hands all records to it. */
    @SafeVarargs
    private void givenRecords(ConsumerRecord<byte[], byte[]>... records) {
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            all.add(record);
        }
        givenRecords(all);
    }

    private void givenRecords(List<ConsumerRecord<byte[], byte[]>> records) {
        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
        kafka.updateBeginningOffsets(new HashMap<>(Map.of(P0, 0L)));
        kafka.updateEndOffsets(new HashMap<>(Map.of(P0, (long) records.size())));
        kafka.schedulePollTask(() -> {
            kafka.rebalance(List.of(P0));
            for (ConsumerRecord<byte[], byte[]> record : records) {
                kafka.addRecord(record);
            }
        });
    }

    private ConsumerRecord<byte[], byte[]> item(long id) {
        return record(codec.encode(new QueueMessage.Item(id, "item-" + id, "r1", Instant.now())));
    }

    private ConsumerRecord<byte[], byte[]> pill() {
        return record(codec.encode(new QueueMessage.PoisonPill("r1", Instant.now())));
    }

    private ConsumerRecord<byte[], byte[]> record(byte[] value) {
        return new ConsumerRecord<>(TOPIC, 0, nextOffset++, null, value);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
