package dev.kafkaqueue.cli;

import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.internal.ClientConfig;
import java.util.Objects;

/**
 * Which queue a service works on: the cluster, the topic and the consumer group. Every service's settings hold one.
 *
 * @param client how to reach the cluster
 * @param topic  the queue's topic, a legal Kafka name
 * @param group  the consumer group that works the queue, a legal Kafka name
 * @throws InvalidSettingException naming {@code --topic} or {@code --group} when one is missing or illegal
 */
public record QueueAddress(ClientConfig client, String topic, String group) {

    public QueueAddress {
        Objects.requireNonNull(client, "client");
        Settings.requireName("--topic", "QUEUE_TOPIC", topic);
        Settings.requireName("--group", "QUEUE_GROUP", group);
    }

    /** The builder, told where the queue is: the bootstrap servers, every client property, the topic, the group. */
    public <T> KafkaQueue.Builder<T> configure(KafkaQueue.Builder<T> builder) {
        client.properties().forEach(builder::config);
        return builder.bootstrapServers(client.bootstrapServers()).topic(topic).group(group);
    }
}
