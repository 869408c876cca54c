package dev.kafkaqueue.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.QueueAddress;
import dev.kafkaqueue.queue.QueueMessage;
import dev.kafkaqueue.queue.RecordCodec;
import dev.kafkaqueue.service.ItemLog;
import dev.kafkaqueue.service.ServiceMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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

/** The poll loop against Kafka's MockConsumer and MockProducer: no broker. */
class QueueConsumerTest {

    private static final String TOPIC = "jobs";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);

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
    private final ServiceMetrics metrics = ServiceMetrics.start("consumer-test", OptionalInt.empty());
    private long nextOffset;

    @Test
    void processesCommitsAndEndsOnThePill() {
        givenRecords(item(0), item(1), item(2), pill());

        int exit = consumer(settings(CommitMode.BATCH, 0), item -> processed.add(item.id())).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactly(0L, 1L, 2L);
        OffsetAndMetadata offset = committed.get(P0);
        assertThat(offset.offset()).isEqualTo(4);
        assertThat(offset.metadata()).startsWith("kafka-queue:pill:r1:");
        assertThat(kafka.closed()).isTrue();
        assertThat(metrics.registry().get("queue.items.done").functionCounter().count()).isEqualTo(3);
    }

    @Test
    void unreadableRecordsGoToTheDeadLetterTopicWithTheirOriginAndThePartitionKeepsFlowing() {
        ConsumerRecord<byte[], byte[]> first = item(0);
        ConsumerRecord<byte[], byte[]> garbage = record("not json".getBytes(StandardCharsets.UTF_8));
        garbage.headers().add(new RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)));
        givenRecords(first, garbage, record(null), item(1), pill());

        int exit = consumer(settings(CommitMode.BATCH, 0), item -> processed.add(item.id())).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
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
        assertThat(metrics.scrape()).contains("queue_items_dead_lettered_total{service=\"consumer-test\"} 2.0");
        assertThat(committed.get(P0).offset()).isEqualTo(5);
    }

    @Test
    void aFailureThatClearsIsRetriedAndOneThatDoesNotIsDeadLettered() {
        givenRecords(item(0), item(1), pill());
        ItemProcessor flaky = InjectedFailures.wrap(item -> processed.add(item.id()), "0:2,1");

        int exit = consumer(settings(CommitMode.BATCH, 0), flaky).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactly(0L);
        assertThat(dlt.history()).singleElement()
                .satisfies(letter -> assertThat(header(letter, DeadLetters.ERROR_MESSAGE))
                        .contains("injected failure for item 1"));
    }

    @Test
    void whenTheDeadLetterWriteFailsTheOffsetIsNotCommittedAndTheConsumerStops() {
        MockProducer<byte[], byte[]> failing =
                new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        givenRecords(item(0), record(new byte[0]), item(1), pill());
        QueueConsumer consumer = new QueueConsumer(settings(CommitMode.PER_RECORD, 0), item -> processed.add(item.id()),
                DedupWindow.inMemory(100), () -> kafka,
                () -> new DeadLetters(failing, TOPIC + ".DLT", Duration.ofSeconds(1)), kafka::endOffsets, metrics);
        failing.sendException = new TopicAuthorizationException("no WRITE on " + TOPIC + ".DLT");

        int exit = consumer.run();

        assertThat(exit).isEqualTo(ExitCode.FAILURE);
        assertThat(processed).containsExactly(0L);
        assertThat(committed.get(P0).offset()).isEqualTo(1);
    }

    @Test
    void aSignalDuringTheClosureCheckIsAGracefulStopNotAFailure() {
        givenRecords(item(0), item(1)); // no pill: the consumer keeps polling and checking closures
        QueueConsumer consumer = consumer(settings(CommitMode.BATCH, 0), item -> processed.add(item.id()));
        duringClosureCheck = consumer::stop;

        int exit = consumer.run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactly(0L, 1L);
        assertThat(committed.get(P0).offset()).isEqualTo(2);
        assertThat(kafka.closed()).isTrue();
    }

    @Test
    void withoutTaskDoneNothingIsCommittedAndCountStopsTheConsumer() {
        givenRecords(item(0), item(1), item(2));

        int exit = consumer(settings(CommitMode.NONE, 3), item -> processed.add(item.id())).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactly(0L, 1L, 2L);
        assertThat(committed).isEmpty();
    }

    @Test
    void anItemAlreadyAppliedIsNotAppliedAgain() {
        givenRecords(item(0), item(0), item(1), pill());

        consumer(settings(CommitMode.BATCH, 0), item -> processed.add(item.id())).run();

        assertThat(processed).containsExactly(0L, 1L);
    }

    @Test
    void unorderedItemsOvertakeASlowOneButTheCommitWaitsForIt() {
        givenRecords(item(0), item(1), item(2), item(3), pill());
        CountDownLatch othersDone = new CountDownLatch(3);
        Map<TopicPartition, OffsetAndMetadata> committedWhileZeroWorked = new HashMap<>();
        ItemProcessor slowZero = item -> {
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

        int exit = consumer(settings(CommitMode.BATCH, 0, 4, Ordering.UNORDERED), slowZero).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactlyInAnyOrder(0L, 1L, 2L, 3L).endsWith(0L);
        assertThat(committedWhileZeroWorked).doesNotContainKey(P0); // 1..3 were done, but 0 was not
        assertThat(committed.get(P0).offset()).isEqualTo(5);
        assertThat(committed.get(P0).metadata()).startsWith("kafka-queue:pill:r1:");
    }

    @Test
    void aSignalDuringARetryBackoffEndsTheRunAtOnceAndLeavesTheItemUncommitted() {
        givenRecords(item(0), item(1), pill());
        ItemProcessor failingOne = item -> {
            if (item.id() == 1) {
                throw new IllegalStateException("down");
            }
            processed.add(item.id());
        };
        ConsumerSettings longBackoff = new ConsumerSettings(
                new QueueAddress(new ClientConfig("unused:9092", Map.of()), TOPIC, "workers"), Duration.ZERO, CommitMode.BATCH, Duration.ofSeconds(1), 0, TOPIC + ".DLT",
                Optional.empty(), 100, 5, Duration.ofMinutes(10), null, ItemLog.Mode.EACH, Duration.ofSeconds(1), 1,
                Ordering.PARTITION, Optional.empty());
        QueueConsumer consumer = consumer(longBackoff, failingOne);
        Executors.newSingleThreadScheduledExecutor().schedule(consumer::stop, 300, TimeUnit.MILLISECONDS);

        long started = System.nanoTime();
        int exit = consumer.run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMinutes(1));
        assertThat(processed).containsExactly(0L);
        assertThat(committed.get(P0).offset()).isEqualTo(1);
        assertThat(dlt.history()).isEmpty();
    }

    @Test
    void aStopFinishesTheItemInHandAndCommitsItButStartsNoOther() {
        givenRecords(item(0), item(1), item(2), pill());
        CountDownLatch secondStarted = new CountDownLatch(1);
        QueueConsumer[] self = new QueueConsumer[1];
        ItemProcessor slow = item -> {
            if (item.id() == 1) {
                secondStarted.countDown();
                self[0].stop();
                TimeUnit.MILLISECONDS.sleep(300); // still working when the stop comes
            }
            processed.add(item.id());
        };
        self[0] = consumer(settings(CommitMode.BATCH, 0), slow);

        int exit = self[0].run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).containsExactly(0L, 1L);
        assertThat(committed.get(P0).offset()).isEqualTo(2);
    }

    @Test
    void manyUnorderedItemsEndOnThePillWithEverythingCommitted() {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            records.add(item(i));
        }
        records.add(pill());
        givenRecords(records.toArray(ConsumerRecord[]::new));
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        ItemProcessor jittery = item -> {
            TimeUnit.MICROSECONDS.sleep(random.split().nextInt(3_000));
            synchronized (processed) {
                processed.add(item.id());
            }
        };

        int exit = consumer(settings(CommitMode.BATCH, 0, 4, Ordering.UNORDERED), jittery).run();

        assertThat(exit).isEqualTo(ExitCode.OK);
        assertThat(processed).hasSize(300);
        assertThat(committed.get(P0).offset()).isEqualTo(301);
        assertThat(committed.get(P0).metadata()).startsWith("kafka-queue:pill:r1:");
    }

    private QueueConsumer consumer(ConsumerSettings settings, ItemProcessor processor) {
        return new QueueConsumer(settings, processor, DedupWindow.inMemory(100), () -> kafka,
                () -> new DeadLetters(dlt, settings.deadLetterTopic(), Duration.ofSeconds(1)), kafka::endOffsets, metrics);
    }

    private static ConsumerSettings settings(CommitMode mode, int count) {
        return settings(mode, count, 1, Ordering.PARTITION);
    }

    private static ConsumerSettings settings(CommitMode mode, int count, int concurrency, Ordering ordering) {
        return new ConsumerSettings(new QueueAddress(new ClientConfig("unused:9092", Map.of()), TOPIC, "workers"),
                Duration.ZERO, mode,
                Duration.ofSeconds(1), count, TOPIC + ".DLT", Optional.empty(), 100, 2, Duration.ofMillis(1), null,
                ItemLog.Mode.EACH, Duration.ofSeconds(1), concurrency, ordering, Optional.empty());
    }

    /** Assigns partition 0 at the first poll and hands all records to it. */
    @SafeVarargs
    private void givenRecords(ConsumerRecord<byte[], byte[]>... records) {
        kafka.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
        kafka.updateBeginningOffsets(new HashMap<>(Map.of(P0, 0L)));
        kafka.updateEndOffsets(new HashMap<>(Map.of(P0, (long) records.length)));
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
