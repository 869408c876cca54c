package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One record larger than Kafka's default 1 MiB, on a topic whose {@code max.message.bytes} allows it, between the
 * items: it must never wedge its partition. The consumer fetches it (an oversized first batch is returned whole,
 * whatever {@code max.partition.fetch.bytes} says), cannot read it, dead-letters it and goes on; the items after it
 * are processed, the consumer ends at the pill with exit 0, and the group's lag is 0.
 *
 * <p>Where the consumer creates the dead-letter topic, it gets the source's limit and the record goes whole. Where
 * the dead-letter topic already exists with a smaller limit, a truncated copy goes instead, with headers giving the
 * original size, the reason and the source coordinates, and the whole record can still be read there.
 */
class OversizedRecordIT {

    /** What the user set: 3 MB. */
    private static final int TOPIC_LIMIT = 3 * 1024 * 1024;
    /** 1.5 MB: over the default 1 MiB of max.request.size, max.message.bytes and max.partition.fetch.bytes. */
    private static final int BIG = 1_500_000;
    /** A dead-letter topic created by hand before the consumer ever ran, with a small limit. */
    private static final int SMALL_DLT_LIMIT = 256 * 1024;
    private static final int ITEMS = 5;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void aRecordOverOneMegabyteIsDeadLetteredWholeAndTheItemsAfterItAreProcessed() throws Exception {
        createTopic(queue.topic(), TOPIC_LIMIT);
        byte[] big = randomBytes(BIG);
        RecordMetadata sent = sendBig(big);

        ServiceProcess consumer = runPipeline();

        List<DeadLetterTopic.DeadLetter> letters = DeadLetterTopic.read(queue);
        assertThat(letters).as("the big record, dead-lettered once").hasSize(1);
        DeadLetterTopic.DeadLetter letter = letters.get(0);
        assertThat(letter.value()).as("whole: the dead-letter topic was created with the source's limit")
                .isEqualTo(big);
        assertThat(letter.key()).isEqualTo(utf8("big"));
        assertThat(letter.header("origin")).isEqualTo("kcat");
        assertThat(letter.header("dlt.truncated")).isNull();
        assertThat(letter.sourceTopic()).isEqualTo(queue.topic());
        assertThat(letter.source()).isEqualTo(new DeadLetterTopic.Source(sent.partition(), sent.offset()));
        assertThat(maxMessageBytes(DeadLetterTopic.defaultName(queue.topic())))
                .as("the dead-letter topic takes what the source takes").isGreaterThanOrEqualTo(TOPIC_LIMIT);
        assertThat(consumer.stderr()).as("no truncation warning").noneMatch(l -> l.text().contains("truncated"));
    }

    @Test
    void whenTheDeadLetterTopicTakesLessATruncatedCopyNamesTheOriginalSizeTheReasonAndTheSource() throws Exception {
        String deadLetterTopic = DeadLetterTopic.defaultName(queue.topic());
        createTopic(queue.topic(), TOPIC_LIMIT);
        createTopic(deadLetterTopic, SMALL_DLT_LIMIT);
        byte[] big = randomBytes(BIG);
        RecordMetadata sent = sendBig(big);

        ServiceProcess consumer = runPipeline();

        List<DeadLetterTopic.DeadLetter> letters = DeadLetterTopic.read(queue);
        assertThat(letters).as("a truncated copy of the big record, once").hasSize(1);
        DeadLetterTopic.DeadLetter copy = letters.get(0);
        assertThat(copy.value().length).as("cut to fit the dead-letter topic, not emptied")
                .isBetween(SMALL_DLT_LIMIT / 2, SMALL_DLT_LIMIT);
        assertThat(copy.value()).as("the start of the original value")
                .isEqualTo(Arrays.copyOf(big, copy.value().length));
        assertThat(copy.key()).isEqualTo(utf8("big"));
        assertThat(copy.header("origin")).isEqualTo("kcat");
        assertThat(copy.header("dlt.truncated")).isEqualTo("value");
        assertThat(copy.header("dlt.original.value.size")).isEqualTo(Integer.toString(BIG));
        assertThat(copy.header("dlt.original.key.size")).isEqualTo("3");
        assertThat(copy.header("dlt.truncated.reason"))
                .contains("RecordTooLargeException", "raise max.message.bytes of topic " + deadLetterTopic);
        assertThat(copy.sourceTopic()).isEqualTo(queue.topic());
        assertThat(copy.source()).isEqualTo(new DeadLetterTopic.Source(sent.partition(), sent.offset()));
        assertThat(copy.errorClass()).isEqualTo(UnreadableRecordException.class.getName());

        assertThat(consumer.stderr()).as("the warning says what to change")
                .anyMatch(l -> l.text().contains("wrote a truncated copy")
                        && l.text().contains("raise max.message.bytes of topic " + deadLetterTopic));
        Records.QueueRecord original = queue.records().stream()
                .filter(r -> r.partition() == sent.partition() && r.offset() == sent.offset()).findFirst()
                .orElseThrow();
        assertThat(original.raw().value()).as("the whole record, re-read from the source coordinates").isEqualTo(big);
    }

    /** Puts the items after the big record, runs a consumer to the pill and checks what both report. */
    private ServiceProcess runPipeline() {
        String run = "oversized-" + UUID.randomUUID().toString().substring(0, 8);
        ServiceProcess producer = queue.producer().count(ITEMS).runId(run).flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess consumer = queue.consumer().flag("--item-log", "each").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as("the big record does not wedge the partition\n"
                + consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        assertThat(Consumer.ids(consumer)).as("the items after the big record")
                .containsExactlyElementsOf(LongStream.range(0, ITEMS).boxed().toList());
        assertThat(consumer.line(Consumer.DONE).text())
                .isEqualTo("Consumer done: " + ITEMS + " items processed, 1 dead-lettered "
                        + "(all partitions closed by poison pills)");

        ServiceProcess join = queue.join().timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
        assertThat(queue.lag().total()).isZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).consumers(consumer).deadLetters(queue)
                .check("oversized-record");
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.deadLettered()).isEqualTo(1);
        return consumer;
    }

    /** The big record, first on partition 0, written as kcat would: a plain producer allowed to send it. */
    private RecordMetadata sendBig(byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, queue.broker().bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TOPIC_LIMIT),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            return producer.send(new ProducerRecord<>(queue.topic(), 0, utf8("big"), value,
                    List.of(new RecordHeader("origin", utf8("kcat"))))).get(30, SECONDS);
        }
    }

    private void createTopic(String topic, int maxMessageBytes) throws Exception {
        try (Admin admin = queue.broker().admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes))))).all().get(30, SECONDS);
        }
    }

    private int maxMessageBytes(String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = queue.broker().admin()) {
            return Integer.parseInt(admin.describeConfigs(List.of(resource)).all().get(30, SECONDS).get(resource)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
        }
    }

    /** Incompressible, so no compression anywhere can make it fit. */
    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
