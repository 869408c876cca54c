package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.KafkaErrors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes the dead-letter topic for the records of its source topic, once, at the first dead letter: reads the source
 * topic's {@code max.message.bytes}, creates a missing dead-letter topic with room for any source record plus the
 * {@code dlt.*} headers, and reads an existing dead-letter topic's own limit.
 *
 * <p>All calls share one deadline. A limit this principal may not read (no DESCRIBE_CONFIGS), or a topic it may not
 * create (no CREATE), is logged once and left unknown: never a failure, since the write itself may still succeed.
 */
final class DeadLetterSizing {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterSizing.class);

    /**
     * Room for what a dead letter adds to its source record: the {@code dlt.*} headers, whose error message is capped
     * at {@link DeadLetters#ERROR_MESSAGE_MAX_CHARS} characters.
     */
    static final int HEADROOM = 16 * 1024;

    /**
     * The limits found.
     *
     * @param source     the source topic's {@code max.message.bytes}, if it could be read
     * @param deadLetter the dead-letter topic's {@code max.message.bytes}, if it could be read or was just set
     */
    record Limits(OptionalInt source, OptionalInt deadLetter) {

        static final Limits UNKNOWN = new Limits(OptionalInt.empty(), OptionalInt.empty());
    }

    private DeadLetterSizing() {
    }

    /**
     * Reads the limits and creates the dead-letter topic if it is missing.
     *
     * @param timeout the longest time all calls together may take
     */
    static Limits prepare(Admin admin, String source, String deadLetterTopic, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        OptionalInt sourceLimit = maxMessageBytes(admin, source, deadline);
        Optional<Boolean> exists = exists(admin, deadLetterTopic, deadline);
        if (exists.isPresent() && !exists.get()) {
            Optional<OptionalInt> created = create(admin, deadLetterTopic, sourceLimit, deadline);
            if (created.isPresent()) {
                return new Limits(sourceLimit, created.get());
            }
        }
        return new Limits(sourceLimit, maxMessageBytes(admin, deadLetterTopic, deadline));
    }

    /** The limit a new dead-letter topic gets: the source's, plus the room the dead-letter headers take. */
    static int deadLetterLimit(int sourceLimit) {
        return (int) Math.min(Integer.MAX_VALUE, (long) sourceLimit + HEADROOM);
    }

    /** True or false when the broker said so; empty when it could not be asked. */
    private static Optional<Boolean> exists(Admin admin, String topic, long deadline) throws InterruptedException {
        int ms = remainingMs(deadline);
        try {
            admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(ms)).allTopicNames()
                    .get(ms + 1_000L, TimeUnit.MILLISECONDS);
            return Optional.of(true);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.of(false);
            }
            log.info("Cannot tell whether dead-letter topic {} exists ({}); leaving it as it is", topic,
                    KafkaErrors.rootMessage(e));
            return Optional.empty();
        } catch (TimeoutException e) {
            log.info("Cannot tell whether dead-letter topic {} exists (no answer); leaving it as it is", topic);
            return Optional.empty();
        }
    }

    /**
     * Creates the topic with the broker's partitions and replication, and room for any source record.
     *
     * @return the limit it was created with (empty: the broker's default); empty when it was not created here
     */
    private static Optional<OptionalInt> create(Admin admin, String topic, OptionalInt sourceLimit, long deadline)
            throws InterruptedException {
        NewTopic newTopic = new NewTopic(topic, Optional.empty(), Optional.empty());
        OptionalInt limit = sourceLimit.isPresent() ? OptionalInt.of(deadLetterLimit(sourceLimit.getAsInt()))
                : OptionalInt.empty();
        limit.ifPresent(bytes -> newTopic.configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                Integer.toString(bytes))));
        int ms = remainingMs(deadline);
        try {
            admin.createTopics(List.of(newTopic), new CreateTopicsOptions().timeoutMs(ms)).all()
                    .get(ms + 1_000L, TimeUnit.MILLISECONDS);
            log.info("Created dead-letter topic {} with max.message.bytes={}", topic,
                    limit.isPresent() ? limit.getAsInt() + " (the source's limit plus room for the dlt.* headers)"
                            : "of the broker (the source's limit could not be read)");
            return Optional.of(limit);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                // Without CREATE the broker may still create it on the first write (auto.create.topics.enable).
                log.info("Cannot create dead-letter topic {} ({}); the first dead letter goes to it as the broker "
                        + "allows", topic, KafkaErrors.rootMessage(e));
            }
            return Optional.empty();
        } catch (TimeoutException e) {
            log.info("Cannot create dead-letter topic {} (no answer); the first dead letter goes to it as the broker "
                    + "allows", topic);
            return Optional.empty();
        }
    }

    /** The topic's effective {@code max.message.bytes} (its own, or the broker's default), if it can be read. */
    private static OptionalInt maxMessageBytes(Admin admin, String topic, long deadline) throws InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        int ms = remainingMs(deadline);
        try {
            Config config = admin.describeConfigs(List.of(resource), new DescribeConfigsOptions().timeoutMs(ms))
                    .all().get(ms + 1_000L, TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                return OptionalInt.of(Integer.parseInt(entry.value()));
            }
            log.info("Topic {} reports no {}", topic, TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        } catch (ExecutionException e) {
            log.info("Cannot read {} of topic {} ({}); the principal needs DESCRIBE_CONFIGS on it for dead letters "
                    + "to be sized from it", TopicConfig.MAX_MESSAGE_BYTES_CONFIG, topic, KafkaErrors.rootMessage(e));
        } catch (TimeoutException e) {
            log.info("Cannot read {} of topic {} (no answer)", TopicConfig.MAX_MESSAGE_BYTES_CONFIG, topic);
        } catch (NumberFormatException e) {
            log.info("Topic {} reports an unreadable {}: {}", topic, TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                    e.getMessage());
        }
        return OptionalInt.empty();
    }

    /** What is left of the deadline, at least 1 ms so that a late call fails fast instead of not being made. */
    private static int remainingMs(long deadline) {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
    }
}
