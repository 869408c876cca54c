package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.ClientConfig;
import dev.kafkaqueue.common.Settings;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The join command's settings, checked once at startup.
 *
 * @param client         how to reach the cluster
 * @param topic          the queue's topic
 * @param group          the consumer group
 * @param timeout        the longest wait
 * @param interval       time between lag samples
 * @param expectedItems  the items the run put, for the final line, if known
 * @param connectTimeout how long to wait at startup for a broker
 * @param json           print JSON lines instead of text
 * @param perPartition   show each partition's lag on a terminal too
 * @param untilClosed    also wait until a poison pill closed every partition (the run's producer finished)
 */
record JoinSettings(ClientConfig client, String topic, String group, Duration timeout, Duration interval,
                    OptionalLong expectedItems, Duration connectTimeout, boolean json, boolean perPartition,
                    boolean untilClosed) {

    JoinSettings {
        Objects.requireNonNull(client, "client");
        Settings.requireName("--topic", "QUEUE_TOPIC", topic);
        Settings.requireName("--group", "QUEUE_GROUP", group);
        Settings.requirePositive("--timeout", timeout);
        Settings.requirePositive("--interval", interval);
        Objects.requireNonNull(expectedItems, "expectedItems");
        Settings.requirePositive("--connect-timeout", connectTimeout);
    }
}
