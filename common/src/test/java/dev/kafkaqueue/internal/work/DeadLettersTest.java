package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kafkaqueue.events.DeadLetterHeaders;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The dead-letter writer and its truncation policy, against a MockProducer that refuses records over a limit. */
class DeadLettersTest {

    private static final String DLT = "jobs.DLT";
    private static final int LIMIT = 64 * 1024;

    /** Refuses, as a broker does, any record whose key, value and headers together exceed {@code refuseOver}. */
    private static final class LimitedProducer extends MockProducer<byte[], byte[]> {
        private final int refuseOver;

        LimitedProducer(int refuseOver) {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
            this.refuseOver = refuseOver;
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            if (size(record) > refuseOver) {
                return CompletableFuture.failedFuture(new RecordTooLargeException(
                        "The request included a message larger than the max message size the server will accept."));
            }
            return super.send(record, callback);
        }
    }

    private final UnreadableRecordException error = new UnreadableRecordException("not JSON: too big to read");

    @Test
    void aRecordThatFitsGoesWholeWithItsOrigin() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        ConsumerRecord<byte[], byte[]> record = record(utf8("k"), bytes(1_000));

        new DeadLetters(producer, DLT, Duration.ofSeconds(1)).publish(record, error);

        ProducerRecord<byte[], byte[]> letter = producer.history().get(0);
        assertThat(letter.value()).isEqualTo(record.value());
        assertThat(header(letter, DeadLetters.SOURCE_OFFSET)).isEqualTo("7");
        assertThat(letter.headers().lastHeader(DeadLetters.TRUNCATED)).isNull();
    }

    @Test
    void aRecordTheTopicRefusesGoesAsATruncatedCopyThatSaysWhatWasCutAndWhere() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        byte[] value = bytes(3 * LIMIT);
        ConsumerRecord<byte[], byte[]> record = record(utf8("k"), value);
        record.headers().add(new RecordHeader("trace", utf8("abc")));

        DeadLetters letters = new DeadLetters(source -> new DeadLetters.Sink(producer, LIMIT), DLT,
                Duration.ofSeconds(1));
        letters.publish(record, error);

        assertThat(producer.history()).as("one copy, the truncated one").hasSize(1);
        ProducerRecord<byte[], byte[]> copy = producer.history().get(0);
        assertThat(size(copy)).isLessThanOrEqualTo(LIMIT);
        assertThat(copy.key()).isEqualTo(utf8("k"));
        assertThat(copy.value()).isEqualTo(Arrays.copyOf(value, copy.value().length)).hasSizeGreaterThan(LIMIT / 2);
        assertThat(header(copy, "trace")).isEqualTo("abc");
        assertThat(header(copy, DeadLetters.TRUNCATED)).isEqualTo("value");
        assertThat(header(copy, DeadLetters.ORIGINAL_VALUE_SIZE)).isEqualTo(Integer.toString(3 * LIMIT));
        assertThat(header(copy, DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo("1");
        assertThat(header(copy, DeadLetters.SOURCE_TOPIC)).isEqualTo("jobs");
        assertThat(header(copy, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(copy, DeadLetters.SOURCE_OFFSET)).isEqualTo("7");
        assertThat(header(copy, DeadLetters.ERROR_MESSAGE)).isEqualTo("not JSON: too big to read");
        assertThat(header(copy, DeadLetters.TRUNCATED_REASON))
                .contains("RecordTooLargeException", "the whole record stays at jobs-0@7",
                        "raise max.message.bytes of topic jobs.DLT to at least ");
    }

    @Test
    void whenTheKeyAloneIsTooLargeOnlyTheDeadLetterHeadersGo() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        ConsumerRecord<byte[], byte[]> record = record(bytes(2 * LIMIT), bytes(10));

        new DeadLetters(source -> new DeadLetters.Sink(producer, LIMIT), DLT, Duration.ofSeconds(1))
                .publish(record, error);

        ProducerRecord<byte[], byte[]> copy = producer.history().get(0);
        assertThat(copy.key()).isNull();
        assertThat(copy.value()).isEmpty();
        assertThat(header(copy, DeadLetters.TRUNCATED)).isEqualTo("key,value,headers");
        assertThat(header(copy, DeadLetters.ORIGINAL_KEY_SIZE)).isEqualTo(Integer.toString(2 * LIMIT));
        assertThat(header(copy, DeadLetters.SOURCE_OFFSET)).isEqualTo("7");
    }

    @Test
    void whenAnUnknownLimitIsSmallerThanAssumedTheCopyIsCutFurther() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        ConsumerRecord<byte[], byte[]> record = record(null, bytes(3 * LIMIT));

        // The sink believes the broker's default 1 MiB; the topic takes 64 KiB: the value-only cut is refused too.
        new DeadLetters(producer, DLT, Duration.ofSeconds(1)).publish(record, error);

        assertThat(producer.history()).singleElement()
                .satisfies(copy -> assertThat(header(copy, DeadLetters.TRUNCATED)).isEqualTo("key,value,headers"));
    }

    @Test
    void whenEvenAnEmptyCopyIsRefusedTheWriteFailsAndNamesTheLimitToRaise() {
        LimitedProducer producer = new LimitedProducer(100);
        ConsumerRecord<byte[], byte[]> record = record(null, bytes(LIMIT));

        assertThatThrownBy(() -> new DeadLetters(producer, DLT, Duration.ofSeconds(1)).publish(record, error))
                .isInstanceOf(DeadLetterException.class)
                .hasMessageStartingWith("cannot write jobs-0@7 to dead-letter topic jobs.DLT: even an empty copy")
                .hasMessageContaining("raise max.message.bytes of topic jobs.DLT to at least ");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aLongErrorMessageIsCapped() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        String longMessage = "x".repeat(10 * DeadLetters.ERROR_MESSAGE_MAX_CHARS);

        new DeadLetters(producer, DLT, Duration.ofSeconds(1))
                .publish(record(null, bytes(10)), new IllegalStateException(longMessage));

        assertThat(header(producer.history().get(0), DeadLetters.ERROR_MESSAGE))
                .hasSize(DeadLetters.ERROR_MESSAGE_MAX_CHARS + 3).endsWith("...");
    }

    /** A failure that names its own dead-letter headers, as the consumer's --exec does. */
    private static final class FailureWithHeaders extends Exception implements DeadLetterHeaders {
        private static final long serialVersionUID = 1L;
        private final transient Map<String, String> headers;

        FailureWithHeaders(String message, Map<String, String> headers) {
            super(message);
            this.headers = headers;
        }

        @Override
        public Map<String, String> deadLetterHeaders() {
            return headers;
        }
    }

    @Test
    void aFailuresOwnHeadersFollowTheQueuesOnes() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("dlt.exec.exit.status", "3");
        extra.put("dlt.exec.stderr", "cp: cannot stat 'a.jpg'\nno space left");
        extra.put("dlt.exec.unset", null);

        new DeadLetters(producer, DLT, Duration.ofSeconds(1))
                .publish(record(null, bytes(10)), new FailureWithHeaders("exit status 3", extra));

        ProducerRecord<byte[], byte[]> letter = producer.history().get(0);
        assertThat(header(letter, DeadLetters.ERROR_MESSAGE)).isEqualTo("exit status 3");
        assertThat(header(letter, "dlt.exec.exit.status")).isEqualTo("3");
        assertThat(header(letter, "dlt.exec.stderr")).isEqualTo("cp: cannot stat 'a.jpg'\nno space left");
        assertThat(letter.headers().lastHeader("dlt.exec.unset")).as("a null value is left out").isNull();
    }

    @Test
    void aFailuresOwnHeadersAreCappedEachAndInAll() {
        LimitedProducer producer = new LimitedProducer(LIMIT);
        Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            extra.put("dlt.big." + i, "y".repeat(10 * DeadLetters.ERROR_MESSAGE_MAX_CHARS));
        }

        new DeadLetters(producer, DLT, Duration.ofSeconds(1))
                .publish(record(null, bytes(10)), new FailureWithHeaders("failed", extra));

        ProducerRecord<byte[], byte[]> letter = producer.history().get(0);
        assertThat(header(letter, "dlt.big.0")).hasSize(DeadLetters.ERROR_MESSAGE_MAX_CHARS + 3);
        long extraBytes = 0;
        for (Header h : letter.headers()) {
            if (h.key().startsWith("dlt.big.")) {
                extraBytes += h.key().length() + h.value().length;
            }
        }
        assertThat(extraBytes).isPositive().isLessThanOrEqualTo(DeadLetters.EXTRA_HEADERS_MAX_BYTES);
        assertThat(letter.headers().lastHeader("dlt.big.9")).as("past the cap: left out").isNull();
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
        return new ConsumerRecord<>("jobs", 0, 7, key, value);
    }

    private static int size(ProducerRecord<byte[], byte[]> record) {
        int size = (record.key() == null ? 0 : record.key().length) + (record.value() == null ? 0
                : record.value().length);
        for (Header header : record.headers()) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return size;
    }

    private static byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
