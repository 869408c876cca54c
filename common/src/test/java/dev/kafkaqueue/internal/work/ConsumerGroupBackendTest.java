package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.junit.jupiter.api.Test;

/** The consumer's client settings, as Kafka's own {@link ConsumerConfig} checks them at start-up. */
class ConsumerGroupBackendTest {

    @Test
    void theClassicProtocolGetsTheCooperativeAssignorAndASecondBetweenHeartbeats() {
        Map<String, Object> props = ConsumerGroupBackend.consumerProperties(options(Map.of()));

        assertThat(props)
                .containsEntry(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        CooperativeStickyAssignor.class.getName())
                .containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        new ConsumerConfig(props); // what KafkaConsumer checks first
    }

    @Test
    void kip848sProtocolLeavesTheAssignorAndTheHeartbeatToTheBroker() {
        // The client refuses both with group.protocol=consumer: "heartbeat.interval.ms cannot be set when
        // group.protocol=CONSUMER". The consumer failed at start-up with that before.
        Map<String, Object> props = ConsumerGroupBackend.consumerProperties(
                options(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer")));

        assertThat(props).doesNotContainKeys(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        assertThat(new ConsumerConfig(props).getString(ConsumerConfig.GROUP_PROTOCOL_CONFIG)).isEqualTo("consumer");
    }

    @Test
    void theUsersOwnAssignorWins() {
        Map<String, Object> props = ConsumerGroupBackend.consumerProperties(options(Map.of(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.RangeAssignor",
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000")));

        assertThat(props)
                .containsEntry(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        "org.apache.kafka.clients.consumer.RangeAssignor")
                .containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
    }

    private static WorkOptions options(Map<String, Object> client) {
        return new WorkOptions(new ClientConfig("unused:9092", client), "jobs", "workers", GroupType.CONSUMER,
                new WorkOptions.Commit(CommitMode.BATCH, Duration.ofSeconds(1)), Ordering.PARTITION,
                new WorkOptions.Retry(2, Duration.ofMillis(100)), "jobs.DLT",
                new WorkOptions.Dedup(100, Optional.empty()), Optional.empty(), Duration.ofSeconds(1), "own-run");
    }
}
