package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.ClientConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the dead-letter producer, sized for the largest record the source topic takes, and builds its client
 * properties (and its admin client's), with a reason for every setting that is not a default.
 */
final class DeadLetterProducer {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterProducer.class);
    private static final int PRODUCER_DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    private static final long PRODUCER_DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;

    private final ClientConfig client;
    private final Map<String, Object> props;
    private final Duration timeout;

    private DeadLetterProducer(ClientConfig client, Map<String, Object> props, Duration timeout) {
        this.client = client;
        this.props = props;
        this.timeout = timeout;
    }

    /**
     * A factory whose client properties Kafka accepts: checked now, so that a property Kafka refuses fails at startup
     * (exit 2), not at the first dead letter.
     */
    static DeadLetterProducer checked(ClientConfig client, Duration timeout) {
        Map<String, Object> props = producerProperties(client, timeout);
        new ProducerConfig(props);
        new AdminClientConfig(adminProperties(client));
        return new DeadLetterProducer(client, props, timeout);
    }

    /** Sizes a producer for the source topic's records, creating the dead-letter topic if needed. */
    DeadLetters.Sink open(String source, String topic) {
        DeadLetterSizing.Limits limits;
        try (Admin admin = Admin.create(adminProperties(client))) {
            limits = DeadLetterSizing.prepare(admin, source, topic, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            limits = DeadLetterSizing.Limits.UNKNOWN;
        }
        // The consumer fetches any record the source topic takes (an oversized first batch is returned whole), so
        // the producer must carry one as large plus the dlt.* headers; only the dead-letter topic's limit may refuse.
        int largest = Math.max(PRODUCER_DEFAULT_MAX_REQUEST_SIZE,
                Math.max(limits.source().orElse(0), limits.deadLetter().orElse(0)));
        int maxRequestSize = DeadLetterSizing.deadLetterLimit(largest);
        Map<String, Object> sized = new HashMap<>(props);
        sized.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestSize);
        // A record larger than the buffer is refused before it is sent; the default 32 MiB is only a cap, not taken.
        sized.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(PRODUCER_DEFAULT_BUFFER_MEMORY, maxRequestSize));
        int limit = Math.min(maxRequestSize, limits.deadLetter().orElse(DeadLetters.BROKER_DEFAULT_MAX_MESSAGE_BYTES));
        log.info("Dead letters for {} go to {}: max.request.size={}, largest record the topic takes {}", source,
                topic, maxRequestSize, limits.deadLetter().isPresent() ? limits.deadLetter().getAsInt()
                        : "unknown (assumed " + DeadLetters.BROKER_DEFAULT_MAX_MESSAGE_BYTES + ")");
        return new DeadLetters.Sink(new KafkaProducer<>(sized), limit);
    }

    private static Map<String, Object> adminProperties(ClientConfig client) {
        Map<String, Object> props = client.clientProperties();
        props.keySet().removeIf(key -> key.startsWith("transactional."));
        props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-queue-dead-letters-admin");
        return props; // no client-wide timeouts: DeadLetterSizing gives every call its share of one deadline
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
}
