package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage on the queue topic. A raw producer writes records the consumer cannot read (and a few odd but readable
 * ones) between the items the producer service puts. Every unreadable record must reach the dead-letter topic with
 * its original key, value and headers plus the {@code dlt.*} headers; its offset must be committed, so the partitions
 * keep flowing, the consumer ends at the pills with exit 0 and join reaches lag 0. Readable records with odd keys or
 * unknown headers are processed normally.
 */
class BadInputIT {

    private static final int ITEMS = 40;
    private static final int PARTITIONS = 2;
    /** "Several hundred KiB": well over a default batch (16 KiB), well under the broker's 1 MiB record limit. */
    private static final int LARGE = 400 * 1024;
    private static final byte[] INVALID_UTF8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE};
    private static final String UNREADABLE = UnreadableRecordException.class.getName();

    /**
     * One record the raw producer writes.
     *
     * @param what          what is odd about it, for failure messages
     * @param goodId        the item id when the record is readable and must be processed; null when it is bad
     * @param expectedError a fragment of the {@code dlt.error.message} a bad record must get; null when it is good
     */
    record Injection(String what, byte[] key, byte[] value, List<Header> headers, Long goodId, String expectedError) {
        boolean bad() {
            return goodId == null;
        }
    }

    /** An injection as it was acknowledged. */
    record Sent(Injection injection, int partition, long offset) {
        DeadLetterTopic.Source source() {
            return new DeadLetterTopic.Source(partition, offset);
        }
    }

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    private final RecordCodec codec = new RecordCodec();

    @Test
    void everyUnreadableRecordIsDeadLetteredWithItsBytesAndHeadersAndTheQueueStillDrains() {
        String run = "bad-input-" + UUID.randomUUID().toString().substring(0, 8);
        Path applied = dir.resolve("applied.log");
        List<Injection> injections = injections(run);
        queue.createTopic(PARTITIONS);
        ServiceProcess consumer = queue.consumer().workMs(10).appliedLog(applied).flag("--item-log", "each").start();
        queue.awaitGroupAssigned(1, PARTITIONS, Duration.ofSeconds(60));

        List<Sent> sent = new ArrayList<>();
        ServiceProcess producer;
        try (KafkaProducer<byte[], byte[]> raw = rawProducer()) {
            raw.partitionsFor(queue.topic()); // metadata now, so each injection below is a single quick send
            producer = queue.producer().count(ITEMS).intervalMs(100).runId(run).flag("--item-log", "each").start();
            for (int i = 0; i < injections.size(); i++) {
                // Interleaved: injection i goes in after the producer's (i + 1)-th acknowledged item.
                producer.awaitLines(Producer.PRODUCED, i + 1, Duration.ofSeconds(60));
                sent.add(send(raw, i % PARTITIONS, injections.get(i)));
            }
        }

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as("the pills end the consumer\n" + consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        Map<Integer, Long> pills = pillOffsets(producer);
        assertThat(sent).as("every injection went in before its partition's pill, so the consumer had to read it")
                .allSatisfy(s -> assertThat(s.offset()).isLessThan(pills.get(s.partition())));

        List<Sent> bad = sent.stream().filter(s -> s.injection().bad()).toList();
        List<Long> goodIds = sent.stream().filter(s -> !s.injection().bad()).map(s -> s.injection().goodId()).toList();
        assertDeadLettered(DeadLetterTopic.read(queue), bad);

        List<Long> produced = Producer.produced(producer).stream().map(Producer.Produced::id).toList();
        assertThat(produced).containsExactlyInAnyOrderElementsOf(LongStream.range(0, ITEMS).boxed().toList());
        List<Long> expectedApplied = new ArrayList<>(produced);
        expectedApplied.addAll(goodIds);
        assertThat(Consumer.ids(consumer)).as("good records, odd keys and unknown headers included, are processed once")
                .containsExactlyInAnyOrderElementsOf(expectedApplied);
        assertThat(consumer.lines(Pattern.compile("^Dead-lettered "))).as("one dead letter per bad record")
                .hasSize(bad.size());
        Matcher done = consumer.firstMatch(Consumer.DONE);
        assertThat(Long.parseLong(done.group(1))).as("items processed").isEqualTo(expectedApplied.size());
        assertThat(Long.parseLong(done.group(2))).as("dead-lettered").isEqualTo(bad.size());

        long onTopic = queue.records().stream().filter(r -> !r.isPill()).count();
        assertThat((long) expectedApplied.size() + bad.size()).as("good + dead-lettered == injected")
                .isEqualTo(onTopic).isEqualTo((long) ITEMS + injections.size());

        assertJoinReachesZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).acked(run, goodIds).consumers(consumer)
                .appliedLog(applied).deadLetters(queue).check("bad-input");
        System.out.printf("BAD_INPUT injected=%d good_processed=%d dead_lettered=%d lost=%d dup_applied=%d%n",
                ITEMS + injections.size(), Consumer.ids(consumer).size(), oracle.deadLettered(), oracle.lost(),
                oracle.dupApplied());
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.applied()).isEqualTo(expectedApplied.size());
        assertThat(oracle.deadLettered()).isEqualTo(bad.size());
    }

    @Test
    void aConfiguredDeadLetterTopicNameIsUsedInsteadOfTheDefault() {
        String run = "bad-input-" + UUID.randomUUID().toString().substring(0, 8);
        String deadLetters = queue.topic() + "-rejects";
        Path applied = dir.resolve("applied.log");
        queue.createTopic(1);
        List<Injection> injections = List.of(
                bad("null value", utf8("tombstone"), null, List.of(), "null value"),
                bad("not JSON", null, utf8("<xml>not json</xml>"), List.of(header("content-type", "text/xml")),
                        "not JSON"),
                bad("unknown schema version", utf8("v9"), utf8(itemJson(9, 5000, run)), List.of(),
                        "unknown schema version 9"));
        List<Sent> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> raw = rawProducer()) {
            injections.forEach(injection -> sent.add(send(raw, 0, injection)));
        }
        ServiceProcess producer = queue.producer().count(5).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = queue.consumer().appliedLog(applied).flag("--dlt-topic", deadLetters).start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        assertDeadLettered(DeadLetterTopic.read(queue.broker().bootstrapServers(), deadLetters), sent);
        assertThat(DeadLetterTopic.exists(queue.broker().bootstrapServers(), DeadLetterTopic.defaultName(queue.topic())))
                .as("nothing went to the default <topic>.DLT").isFalse();
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertJoinReachesZero();
        Oracle.Result oracle = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue.broker().bootstrapServers(), deadLetters).check("bad-input-dlt-topic");
        assertThat(oracle.lost()).as(oracle.toString()).isZero();
        assertThat(oracle.dupApplied()).as(oracle.toString()).isZero();
        assertThat(oracle.deadLettered()).isEqualTo(injections.size());
    }

    /** The dead letters are exactly the bad records, each once, with its bytes, its headers and the dlt.* headers. */
    private void assertDeadLettered(List<DeadLetterTopic.DeadLetter> deadLetters, List<Sent> bad) {
        Map<DeadLetterTopic.Source, DeadLetterTopic.DeadLetter> bySource = new HashMap<>();
        deadLetters.forEach(d -> assertThat(bySource.put(d.source(), d)).as("dead-lettered twice: %s", d).isNull());
        assertThat(bySource.keySet()).as("the dead letters are the bad records, nothing else")
                .containsExactlyInAnyOrderElementsOf(bad.stream().map(Sent::source).toList());
        for (Sent s : bad) {
            Injection injection = s.injection();
            DeadLetterTopic.DeadLetter d = bySource.get(s.source());
            assertThat(d.key()).as("key of %s", injection.what()).isEqualTo(injection.key());
            assertThat(d.value()).as("value of %s", injection.what()).isEqualTo(injection.value());
            assertThat(hex(d.originalHeaders())).as("headers of %s", injection.what())
                    .isEqualTo(hex(injection.headers()));
            assertThat(d.sourceTopic()).as("source topic of %s", injection.what()).isEqualTo(queue.topic());
            assertThat(d.errorClass()).as("error class of %s", injection.what()).isEqualTo(UNREADABLE);
            assertThat(d.errorMessage()).as("error message of %s", injection.what())
                    .contains(injection.expectedError());
        }
    }

    private void assertJoinReachesZero() {
        ServiceProcess join = queue.join().timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as("join: every offset committed\n" + join.output()).isZero();
        Lag.Snapshot lag = queue.lag();
        assertThat(lag.total()).isZero();
        assertThat(lag.committed()).as("committed == log end on every partition").isEqualTo(lag.ends());
    }

    /** The raw records, in the order they go in: bad ones, and readable ones with odd keys, headers or size. */
    private List<Injection> injections(String run) {
        String producedAt = Instant.now().toString();
        return List.of(
                bad("not JSON", utf8("k-not-json"), utf8("this is not JSON"),
                        List.of(header("origin", "legacy-system")), "not JSON"),
                good(1000, "unknown headers on a good record", utf8("1000"), run,
                        List.of(header("x-trace-id", "4bf92f3577b34da6"),
                                new RecordHeader("x-binary", new byte[] {0, (byte) 0xFF, 7}))),
                bad("JSON array", utf8("k-array"), utf8("[1,2,3]"), List.of(), "expected a JSON object, got array"),
                bad("JSON object of the wrong shape", null, utf8("{\"hello\":\"world\"}"), List.of(),
                        "missing field 'schema'"),
                bad("id of the wrong type", utf8("k-id"), utf8("{\"schema\":1,\"type\":\"item\",\"id\":\"seven\","
                        + "\"payload\":\"p\",\"runId\":\"" + run + "\",\"producedAt\":\"" + producedAt + "\"}"),
                        List.of(), "field 'id' must be an integer"),
                bad("an unexpected field", utf8("k-extra"), utf8(itemJson(1, 5001, run).replace("}",
                        ",\"priority\":5}")), List.of(), "unexpected field 'priority'"),
                bad("unknown schema version", utf8("k-v2"), utf8(itemJson(2, 5002, run)),
                        List.of(header("schema-registry-id", "42")), "unknown schema version 2"),
                bad("null value (tombstone)", utf8("k-null"), null, List.of(header("why", "tombstone")),
                        "null value"),
                bad("empty value", utf8("k-empty"), new byte[0], List.of(), "empty value"),
                bad("unknown control type", null, utf8("{\"schema\":1,\"type\":\"shutdown\",\"runId\":\"" + run
                        + "\",\"producedAt\":\"" + producedAt + "\"}"), List.of(), "unknown type 'shutdown'"),
                bad("a pill without its run", null, utf8("{\"schema\":1,\"type\":\"poison-pill\"}"), List.of(),
                        "missing field 'runId'"),
                good(1001, "invalid UTF-8 in the key of a good record", INVALID_UTF8, run, List.of()),
                bad("a truncated value of several hundred KiB", utf8("k-large"), concat(utf8(
                        "{\"schema\":1,\"type\":\"item\",\"id\":5003,\"payload\":\""), repeat((byte) 'a', LARGE)),
                        List.of(header("size", Integer.toString(LARGE))), "not JSON"),
                good(1002, "a good item of several hundred KiB", utf8("1002"), run, List.of()),
                bad("invalid UTF-8 in the value", utf8("k-utf8"), concat(utf8(
                        "{\"schema\":1,\"type\":\"item\",\"id\":5004,\"payload\":\""), INVALID_UTF8, utf8("\",\"runId\":\""
                        + run + "\",\"producedAt\":\"" + producedAt + "\"}")), List.of(), "Invalid UTF-8"),
                bad("invalid UTF-8 in key and value", INVALID_UTF8, concat(utf8("\""), INVALID_UTF8, utf8("\"")),
                        List.of(new RecordHeader("bytes", INVALID_UTF8)), "Invalid UTF-8"));
    }

    private Injection good(long id, String what, byte[] key, String run, List<Header> headers) {
        String payload = id == 1002 ? "p".repeat(LARGE) : "raw-" + id;
        byte[] value = codec.encode(new QueueMessage.Item(id, payload, run, Instant.now()));
        return new Injection(what, key, value, headers, id, null);
    }

    private static Injection bad(String what, byte[] key, byte[] value, List<Header> headers, String expectedError) {
        return new Injection(what, key, value, headers, null, expectedError);
    }

    private KafkaProducer<byte[], byte[]> rawProducer() {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, queue.broker().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                // The 400 KiB records must fit in one request; the broker takes up to about 1 MiB per record.
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * LARGE,
                ProducerConfig.LINGER_MS_CONFIG, 0),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private Sent send(KafkaProducer<byte[], byte[]> raw, int partition, Injection injection) {
        try {
            RecordMetadata metadata = raw.send(new ProducerRecord<>(queue.topic(), partition, injection.key(),
                    injection.value(), injection.headers())).get(30, TimeUnit.SECONDS);
            return new Sent(injection, metadata.partition(), metadata.offset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot inject " + injection.what(), e);
        }
    }

    private static Map<Integer, Long> pillOffsets(ServiceProcess producer) {
        Map<Integer, Long> pills = new HashMap<>();
        for (ServiceProcess.Line line : producer.lines(Producer.PILL_SENT)) {
            Matcher m = Producer.PILL_SENT.matcher(line.text());
            if (m.matches()) {
                pills.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
            }
        }
        assertThat(pills).as("a pill on every partition").hasSize(PARTITIONS);
        return pills;
    }

    private static String itemJson(int schema, long id, String run) {
        return "{\"schema\":" + schema + ",\"type\":\"item\",\"id\":" + id + ",\"payload\":\"p\",\"runId\":\"" + run
                + "\",\"producedAt\":\"" + Instant.now() + "\"}";
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, utf8(value));
    }

    /** Headers as "key=hex" strings, comparable with equals. */
    private static List<String> hex(List<Header> headers) {
        return headers.stream().map(h -> h.key() + "=" + (h.value() == null ? "null" : HexFormat.of()
                .formatHex(h.value()))).collect(Collectors.toList());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(UTF_8);
    }

    private static byte[] repeat(byte b, int times) {
        byte[] bytes = new byte[times];
        Arrays.fill(bytes, b);
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
