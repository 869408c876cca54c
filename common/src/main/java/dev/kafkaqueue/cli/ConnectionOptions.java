package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.ClientConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/**
 * The flags every command shares: where the cluster is, how to reach it, and which topic and group form the queue.
 * Each flag falls back to an environment variable, for containers. Nothing is checked here: the settings records
 * check the values once.
 */
public final class ConnectionOptions {

    @Option(names = {"--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:QUEUE_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers, as Kafka's tools take them (--bootstrap-servers is accepted "
                    + "too) (env QUEUE_BOOTSTRAP_SERVERS). May instead come from bootstrap.servers in "
                    + "--command-config.")
    String bootstrapServers;

    @Option(names = "--command-config", paramLabel = "FILE", defaultValue = "${env:QUEUE_COMMAND_CONFIG}",
            description = "Kafka client properties file, as Kafka's own tools take it: SASL, TLS, timeouts, "
                    + "auto.offset.reset (env QUEUE_COMMAND_CONFIG).")
    Path commandConfig;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = "${env:QUEUE_TOPIC}",
            description = "The queue's topic (env QUEUE_TOPIC). Required.")
    String topic;

    @Option(names = "--group", paramLabel = "GROUP", defaultValue = "${env:QUEUE_GROUP}",
            description = {"The consumer group that works the queue (env QUEUE_GROUP). Required.",
                "A new group starts at the earliest offset, so it also gets what earlier runs left on the topic. "
                        + "To start at the end instead, put auto.offset.reset=latest in --command-config; to move "
                        + "an existing group, stop its consumers and use kafka-consumer-groups --reset-offsets."})
    String group;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_CONNECT_TIMEOUT:-30s}",
            description = "How long to wait at startup for a broker to answer; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_CONNECT_TIMEOUT).")
    Duration connectTimeout;

    /**
     * The queue these flags name.
     *
     * @throws InvalidSettingException when the bootstrap servers, the topic or the group are missing or illegal
     */
    public QueueAddress address() {
        Map<String, Object> properties = commandConfig == null ? Map.of() : CommandConfig.load(commandConfig);
        Object servers = bootstrapServers != null && !bootstrapServers.isBlank() ? bootstrapServers
                : properties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (servers == null || servers.toString().isBlank()) {
            throw new InvalidSettingException("--bootstrap-server is required (or QUEUE_BOOTSTRAP_SERVERS, or "
                    + "bootstrap.servers in --command-config)");
        }
        return new QueueAddress(new ClientConfig(servers.toString(), properties), topic, group);
    }

    /** The startup wait for the cluster, as given; the settings record checks it. */
    public Duration connectTimeout() {
        return connectTimeout;
    }
}
