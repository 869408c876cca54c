package dev.kafkaqueue.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Admin calls made once when a queue opens, never per record. */
public final class Topics {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    private Topics() {
    }

    /**
     * Fails fast when no broker answers: a typo in the bootstrap servers should not look like a slow queue.
     *
     * @throws StartupException naming the bootstrap servers and the timeout
     */
    public static void awaitCluster(Admin admin, String bootstrapServers, Duration timeout)
            throws InterruptedException {
        try {
            // The call's own time limit, so that closing the admin client afterwards does not wait for it.
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId().get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            String detail = KafkaErrors.rootMessage(e);
            if (e.getCause() instanceof AuthenticationException) {
                // A broker answered, and refused the credentials: the fix is in the client settings, not the address.
                throw new StartupException(StartupException.Reason.AUTHENTICATION, bootstrapServers, detail,
                        "the Kafka broker at bootstrap.servers=" + bootstrapServers + " refused to authenticate "
                                + "this client (" + detail + ")", e);
            }
            throw new StartupException(StartupException.Reason.NO_BROKER, bootstrapServers, detail,
                    "no Kafka broker at bootstrap.servers=" + bootstrapServers + " answered within "
                            + timeout.toSeconds() + "s (" + detail + ")", e);
        }
    }

    /**
     * Creates the topic when it is missing; an existing topic is left as it is.
     *
     * @param replicationFactor -1 for the broker's default
     * @return the number of partitions the topic has
     * @throws StartupException when the topic is missing and the principal may not create it
     */
    public static int ensure(Admin admin, String topic, int partitions, short replicationFactor, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Optional<Integer> existing = partitionCount(admin, topic, timeout);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.of(replicationFactor))))
                    .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Created topic {} with {} partition{}", topic, partitions, partitions == 1 ? "" : "s");
            awaitLeaders(admin, topic, partitions, timeout);
            return partitions;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return partitionCount(admin, topic, timeout).orElse(partitions);
            }
            if (e.getCause() instanceof TopicAuthorizationException) {
                // Least privilege: a producer needs CREATE only to make a missing topic, and this one is missing.
                String detail = KafkaErrors.rootMessage(e);
                throw new StartupException(StartupException.Reason.TOPIC_NOT_CREATABLE, topic, detail, "topic "
                        + topic + " does not exist, and this principal may not create it (" + detail + "); create "
                        + "the topic first, or grant CREATE on it", e);
            }
            throw e;
        }
    }

    /**
     * Returns once every partition's leader has taken the new topic: its leader answers a ListOffsets (the admin
     * client retries NOT_LEADER_OR_FOLLOWER until then). An idempotent producer that sends at once can meet a leader
     * that has not, and then lose a batch for good: the first request fails with NOT_LEADER_OR_FOLLOWER, the next one
     * lands, and the retried first one gets OUT_OF_ORDER_SEQUENCE_NUMBER until delivery.timeout.ms (KAFKA-15591; seen
     * here as a put failing after 120 s, 33 ms after the topic was created).
     */
    private static void awaitLeaders(Admin admin, String topic, int partitions, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs((int) timeout.toMillis())).all()
                .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
    }

    /**
     * The topic's partition count.
     *
     * @throws StartupException when the topic does not exist
     */
    public static int require(Admin admin, String topic, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        return partitionCount(admin, topic, timeout).orElseThrow(() -> new StartupException(
                StartupException.Reason.TOPIC_MISSING, topic, "UnknownTopicOrPartitionException",
                "topic " + topic + " does not exist, and this queue does not create it", null));
    }

    private static Optional<Integer> partitionCount(Admin admin, String topic, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return Optional.of(admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().size());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
