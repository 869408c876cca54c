package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.ClientConfig;
import dev.kafkaqueue.common.ItemLog;
import dev.kafkaqueue.common.Settings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the producer service needs, parsed and checked once at startup.
 *
 * @param client            how to reach the cluster
 * @param topic             the queue's topic
 * @param group             the consumer group whose progress bounds {@code maxsize} and ends {@code join}
 * @param count             items to put, 0 or more
 * @param maxsize           bound on unfinished items; 0 is unbounded
 * @param join              wait for the group's lag to reach zero after the pills
 * @param timeout           the longest a join, or a single backpressure wait, may take
 * @param partitions        partitions for a topic the producer creates
 * @param replicationFactor replication for a topic the producer creates; -1 is the broker's default
 * @param transactionalId   send in transactions under this id, if present
 * @param pill              send a poison pill to every partition after the last item
 * @param interval          pause before each put, like the seed's {@code asyncio.sleep}
 * @param runId             names this run; with the item id it is the dedup key
 * @param itemLog           how items are reported on standard output
 * @param lagInterval       least time between two lag samples
 * @param connectTimeout    how long to wait at startup for a broker
 */
public record ProducerSettings(ClientConfig client, String topic, String group, int count, int maxsize, boolean join,
                               Duration timeout, int partitions, short replicationFactor,
                               Optional<String> transactionalId, boolean pill, Duration interval, String runId,
                               ItemLog.Mode itemLog, Duration lagInterval, Duration connectTimeout) {

    public ProducerSettings {
        Objects.requireNonNull(client, "client");
        Settings.requireName("--topic", "QUEUE_TOPIC", topic);
        Settings.requireName("--group", "QUEUE_GROUP", group);
        Settings.requireNonNegative("--count", count);
        Settings.requireNonNegative("--maxsize", maxsize);
        Settings.requirePositive("--timeout", timeout);
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions=" + partitions + " is not allowed: it must be 1 or more");
        }
        if (replicationFactor < 1 && replicationFactor != -1) {
            throw new IllegalArgumentException("--replication-factor=" + replicationFactor
                    + " is not allowed: it must be 1 or more, or -1 for the broker's default");
        }
        Objects.requireNonNull(transactionalId, "transactionalId");
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("--interval-ms must be 0 or more, was " + interval);
        }
        if (runId == null || runId.isBlank() || runId.contains(" ")) {
            throw new IllegalArgumentException("--run-id='" + runId + "' is not allowed: it must be non-empty, without spaces");
        }
        Objects.requireNonNull(itemLog, "itemLog");
        Settings.requirePositive("--lag-interval", lagInterval);
        Settings.requirePositive("--connect-timeout", connectTimeout);
    }
}
