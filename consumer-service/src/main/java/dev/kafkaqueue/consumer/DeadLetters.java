package dev.kafkaqueue.consumer;

import dev.kafkaqueue.common.ClientConfig;
import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes records that cannot be processed to the dead-letter topic: the original key, value and headers, plus
 * headers naming the source topic, partition and offset, the error class and its message.
 *
 * <p>Each write waits for its acknowledgement, so the caller commits the source offset only once the record is safe
 * in the dead-letter topic. Bad records are rare, so a synchronous write costs nothing on the normal path.
 */
final class DeadLetters implements Closeable {

    static final String SOURCE_TOPIC = "dlt.source.topic";
    static final String SOURCE_PARTITION = "dlt.source.partition";
    static final String SOURCE_OFFSET = "dlt.source.offset";
    static final String ERROR_CLASS = "dlt.error.class";
    static final String ERROR_MESSAGE = "dlt.error.message";

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Duration timeout;

    /**
     * @param producer the producer to write with; owned from now on, closed by {@link #close()}
     * @param topic    the dead-letter topic
     * @param timeout  the longest wait for one write's acknowledgement
     */
    DeadLetters(Producer<byte[], byte[]> producer, String topic, Duration timeout) {
        this.producer = producer;
        this.topic = topic;
        this.timeout = timeout;
    }

    /** Dead letters written with a new Kafka producer for the cluster. */
    static DeadLetters create(ClientConfig client, String topic, Duration timeout) {
        return new DeadLetters(new KafkaProducer<>(producerProperties(client, timeout)), topic, timeout);
    }

    /** The dead-letter topic's name. */
    String topic() {
        return topic;
    }

    /**
     * Writes the record with the error and waits for the acknowledgement.
     *
     * @throws DeadLetterException when the write fails: the caller must not commit the source offset
     */
    void publish(ConsumerRecord<byte[], byte[]> record, Throwable error) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(SOURCE_TOPIC, utf8(record.topic()));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(record.offset())));
        headers.add(ERROR_CLASS, utf8(error.getClass().getName()));
        headers.add(ERROR_MESSAGE, utf8(String.valueOf(error.getMessage())));
        try {
            producer.send(new ProducerRecord<>(topic, null, record.key(), record.value(), headers))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeadLetterException(topic, record, e);
        } catch (ExecutionException e) {
            throw new DeadLetterException(topic, record, e.getCause());
        } catch (TimeoutException | KafkaException e) {
            throw new DeadLetterException(topic, record, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    private static Map<String, Object> producerProperties(ClientConfig client, Duration timeout) {
        Map<String, Object> props = client.clientProperties();
        props.keySet().removeIf(key -> key.startsWith("transactional."));
        // A dead letter is only as good as its durability: the source offset is committed once this acknowledges.
        ClientConfig.putOwned(props, ProducerConfig.ACKS_CONFIG, "all");
        ClientConfig.putOwned(props, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        ClientConfig.putOwned(props, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        ClientConfig.putOwned(props, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class.getName());
        // Fail a write within the caller's timeout instead of Kafka's default two minutes.
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kafka-queue-dead-letters");
        return props;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A dead-letter write failed; the source record's offset must stay uncommitted. */
    static final class DeadLetterException extends RuntimeException {
        DeadLetterException(String topic, ConsumerRecord<?, ?> record, Throwable cause) {
            super("cannot write " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " to dead-letter topic " + topic + ": " + cause, cause);
        }
    }
}
