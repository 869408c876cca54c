package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.events.DeadLetterHeaders;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.KafkaErrors;
import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records that cannot be processed to the dead-letter topic: the original key, value and headers, plus
 * headers naming the source topic, partition and offset, the error class and its message, and the failure's own
 * headers when the error carries some ({@link DeadLetterHeaders}).
 *
 * <p>Each write waits for its acknowledgement, so the caller commits the source offset only once the record is safe
 * in the dead-letter topic. Bad records are rare, so a synchronous write costs nothing on the normal path. Safe for
 * concurrent use by the worker threads: the producer is opened once, under a lock, and Kafka's producer is
 * thread-safe.
 *
 * <p>The producer is opened at the first dead letter, sized by {@link DeadLetterSizing} for the largest record the
 * source topic holds; that is also when a missing dead-letter topic is created with room for such records.
 *
 * <p>A record the dead-letter topic still refuses as too large (it existed with a smaller {@code max.message.bytes},
 * or the broker's limit is lower) is never dropped: a truncated copy goes instead, with {@link #TRUNCATED} naming what
 * was cut, the original sizes and {@link #TRUNCATED_REASON}, and the source headers to re-read the whole record from
 * while the source's retention lasts. A warning says which limit to raise. Only when even an empty copy is refused
 * does the write fail.
 */
final class DeadLetters implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    static final String SOURCE_TOPIC = "dlt.source.topic";
    static final String SOURCE_PARTITION = "dlt.source.partition";
    static final String SOURCE_OFFSET = "dlt.source.offset";
    static final String ERROR_CLASS = "dlt.error.class";
    static final String ERROR_MESSAGE = "dlt.error.message";
    /** On a truncated copy only: what was cut, {@code value} or {@code key,value,headers}. */
    static final String TRUNCATED = "dlt.truncated";
    /** On a truncated copy only: why, and which limit to raise for whole copies. */
    static final String TRUNCATED_REASON = "dlt.truncated.reason";
    /** On a truncated copy only: the original key's size in bytes (0 for a null key). */
    static final String ORIGINAL_KEY_SIZE = "dlt.original.key.size";
    /** On a truncated copy only: the original value's size in bytes (0 for a null value). */
    static final String ORIGINAL_VALUE_SIZE = "dlt.original.value.size";

    /** Caps the error message header, so that the room {@link DeadLetterSizing#HEADROOM} leaves always holds it. */
    static final int ERROR_MESSAGE_MAX_CHARS = 2_000;
    /** Caps a failure's own headers ({@link DeadLetterHeaders}), names and values together, for the same reason. */
    static final int EXTRA_HEADERS_MAX_BYTES = 8 * 1024;
    /** The broker's default {@code message.max.bytes}: the limit assumed when the dead-letter topic's is unknown. */
    static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    /** What a record batch adds around one record (batch header, record framing), generously. */
    private static final int RECORD_OVERHEAD = 1_024;

    /** What is cut from a copy that is too large, in the order they are tried. */
    enum Truncation {
        /** The value is cut to fit; key and headers stay. */
        VALUE("value"),
        /** Key and source headers are dropped and the value is empty: only the {@code dlt.*} headers remain. */
        KEY_VALUE_AND_HEADERS("key,value,headers");

        final String header;

        Truncation(String header) {
            this.header = header;
        }
    }

    /** An open producer and the largest record it is known to get into the dead-letter topic. */
    record Sink(Producer<byte[], byte[]> producer, int limit) {
    }

    private final Function<String, Sink> open;
    private final String topic;
    private final Duration timeout;
    /** Null until the first dead letter; guarded by {@code this}. */
    private Sink sink;

    /**
     * @param producer the producer to write with; owned from now on, closed by {@link #close()}
     * @param topic    the dead-letter topic
     * @param timeout  the longest wait for one write's acknowledgement
     */
    DeadLetters(Producer<byte[], byte[]> producer, String topic, Duration timeout) {
        this(new Sink(producer, BROKER_DEFAULT_MAX_MESSAGE_BYTES), topic, timeout);
    }

    private DeadLetters(Sink open, String topic, Duration timeout) {
        this(source -> open, topic, timeout);
        this.sink = open;
    }

    /**
     * @param open    opens the producer for a source topic, at the first dead letter
     * @param topic   the dead-letter topic
     * @param timeout the longest wait for one write's acknowledgement
     */
    DeadLetters(Function<String, Sink> open, String topic, Duration timeout) {
        this.open = open;
        this.topic = topic;
        this.timeout = timeout;
    }

    /** Dead letters written with a Kafka producer for the cluster, opened at the first dead letter. */
    static DeadLetters create(ClientConfig client, String topic, Duration timeout) {
        DeadLetterProducer producer = DeadLetterProducer.checked(client, timeout);
        return new DeadLetters(source -> producer.open(source, topic), topic, timeout);
    }

    /** The dead-letter topic's name. */
    String topic() {
        return topic;
    }

    /**
     * Writes the record with the error and waits for the acknowledgement; a record too large for the dead-letter
     * topic is written as a truncated copy (see the class comment).
     *
     * @throws DeadLetterException when the write fails: the caller must not commit the source offset
     */
    void publish(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        Sink out = sink(record);
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(SOURCE_TOPIC, utf8(record.topic()));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(record.offset())));
        headers.add(ERROR_CLASS, utf8(error.getClass().getName()));
        headers.add(ERROR_MESSAGE, utf8(capped(String.valueOf(error.getMessage()))));
        if (error instanceof DeadLetterHeaders extra) {
            addExtra(headers, extra);
        }
        try {
            send(out, record, new ProducerRecord<>(topic, null, record.key(), record.value(), headers));
        } catch (RecordTooLargeException tooLarge) {
            publishTruncated(out, record, headers, tooLarge);
        }
    }

    @Override
    public synchronized void close() {
        if (sink != null) {
            sink.producer().close(Duration.ofSeconds(5));
        }
    }

    private synchronized Sink sink(ConsumerRecord<byte[], byte[]> record) {
        if (sink == null) {
            try {
                sink = open.apply(record.topic());
            } catch (KafkaException e) {
                throw new DeadLetterException(topic, record,
                        "cannot open the dead-letter producer: " + KafkaErrors.rootMessage(e), e);
            }
        }
        return sink;
    }

    /** The truncation policy: each {@link Truncation} in turn, until one copy fits. */
    private void publishTruncated(Sink out, ConsumerRecord<byte[], byte[]> record, Headers headers,
                                  RecordTooLargeException tooLarge) {
        long size = length(record.key()) + length(record.value()) + length(headers);
        long needed = roundUpToKiB(size + RECORD_OVERHEAD);
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        String fix = "raise max.message.bytes of topic " + topic + " to at least " + needed + " (kafka-configs.sh "
                + "--alter --entity-type topics --entity-name " + topic + " --add-config max.message.bytes=" + needed
                + ")";
        String reason = "the record is " + size + " bytes with its headers, more than dead-letter topic " + topic
                + " takes (" + KafkaErrors.rootMessage(tooLarge) + "); the whole record stays at " + where
                + " while the source's retention lasts; for whole copies, " + fix;
        RecordTooLargeException last = tooLarge;
        for (Truncation truncation : Truncation.values()) {
            ProducerRecord<byte[], byte[]> copy = truncated(record, headers, truncation, out.limit(), reason);
            if (copy == null) {
                continue; // key and headers alone leave no room for the value: cut more
            }
            try {
                send(out, record, copy);
                log.warn("Dead letter {} ({} bytes) is too large for {}: wrote a truncated copy ({} of {} value "
                                + "bytes, header {}={}); the whole record stays at {} while the source's retention "
                                + "lasts. For whole copies, {}", where, size, topic, length(copy.value()),
                        length(record.value()), TRUNCATED, truncation.header, where, fix);
                return;
            } catch (RecordTooLargeException e) {
                last = e;
            }
        }
        throw new DeadLetterException(topic, record, "even an empty copy is too large (" + KafkaErrors.rootMessage(last)
                + "); " + fix, last);
    }

    /** The copy of {@code record} with {@code truncation} applied to fit {@code limit}; null if it cannot fit. */
    private ProducerRecord<byte[], byte[]> truncated(ConsumerRecord<byte[], byte[]> record, Headers letterHeaders,
                                                     Truncation truncation, int limit, String reason) {
        Headers headers = new RecordHeaders();
        for (Header header : letterHeaders) {
            if (truncation == Truncation.VALUE || header.key().startsWith("dlt.")) {
                headers.add(header);
            }
        }
        headers.add(TRUNCATED, utf8(truncation.header));
        headers.add(ORIGINAL_KEY_SIZE, utf8(Long.toString(length(record.key()))));
        headers.add(ORIGINAL_VALUE_SIZE, utf8(Long.toString(length(record.value()))));
        headers.add(TRUNCATED_REASON, utf8(capped(reason)));
        if (truncation == Truncation.KEY_VALUE_AND_HEADERS) {
            return new ProducerRecord<byte[], byte[]>(topic, null, (byte[]) null, new byte[0], headers);
        }
        long room = limit - RECORD_OVERHEAD - length(record.key()) - length(headers);
        if (room <= 0 || record.value() == null) {
            return null;
        }
        byte[] value = Arrays.copyOf(record.value(), (int) Math.min(room, record.value().length));
        return new ProducerRecord<>(topic, null, record.key(), value, headers);
    }

    /** Sends and waits; a record too large is thrown as such, anything else as a {@link DeadLetterException}. */
    private void send(Sink out, ConsumerRecord<byte[], byte[]> source, ProducerRecord<byte[], byte[]> letter) {
        try {
            out.producer().send(letter).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeadLetterException(topic, source, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RecordTooLargeException tooLarge) {
                throw tooLarge;
            }
            throw new DeadLetterException(topic, source, e.getCause());
        } catch (RecordTooLargeException e) {
            throw e;
        } catch (TimeoutException | KafkaException e) {
            throw new DeadLetterException(topic, source, e);
        }
    }

    /** A failure's own headers, each value capped, and no more than {@link #EXTRA_HEADERS_MAX_BYTES} in all. */
    private static void addExtra(Headers headers, DeadLetterHeaders extra) {
        Map<String, String> wanted = extra.deadLetterHeaders();
        if (wanted == null) {
            return;
        }
        int room = EXTRA_HEADERS_MAX_BYTES;
        for (Map.Entry<String, String> header : wanted.entrySet()) {
            if (header.getKey() == null || header.getValue() == null) {
                continue;
            }
            byte[] name = utf8(header.getKey());
            byte[] value = utf8(capped(header.getValue()));
            room -= name.length + value.length;
            if (room < 0) {
                log.debug("Dead-letter header {} left out: a failure's headers take at most {} bytes",
                        header.getKey(), EXTRA_HEADERS_MAX_BYTES);
                continue;
            }
            headers.add(header.getKey(), value);
        }
    }

    private static String capped(String text) {
        return text.length() <= ERROR_MESSAGE_MAX_CHARS ? text : text.substring(0, ERROR_MESSAGE_MAX_CHARS) + "...";
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static long length(Headers headers) {
        long total = 0;
        for (Header header : headers) {
            total += header.key().length() + length(header.value()) + 8; // 8: the two varint lengths, generously
        }
        return total;
    }

    private static long roundUpToKiB(long bytes) {
        return (bytes + 1023) / 1024 * 1024;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
