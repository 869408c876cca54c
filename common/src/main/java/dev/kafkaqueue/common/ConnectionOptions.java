package dev.kafkaqueue.common;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The flags every command shares: where the cluster is, how to reach it, and which topic and group form the queue.
 * Each flag falls back to an environment variable, for containers.
 */
public final class ConnectionOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:QUEUE_BOOTSTRAP_SERVERS}",
            description = "Kafka bootstrap servers (env QUEUE_BOOTSTRAP_SERVERS). May instead come from "
                    + "bootstrap.servers in --command-config.")
    String bootstrapServers;

    @Option(names = "--command-config", paramLabel = "FILE", defaultValue = "${env:QUEUE_COMMAND_CONFIG}",
            description = "Kafka client properties file, as Kafka's own tools take it: SASL, TLS, timeouts "
                    + "(env QUEUE_COMMAND_CONFIG).")
    Path commandConfig;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = "${env:QUEUE_TOPIC}",
            description = "The queue's topic (env QUEUE_TOPIC). Required.")
    String topic;

    @Option(names = "--group", paramLabel = "GROUP", defaultValue = "${env:QUEUE_GROUP}",
            description = "The consumer group that works the queue (env QUEUE_GROUP). Required.")
    String group;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_CONNECT_TIMEOUT:-30s}",
            description = "How long to wait at startup for a broker to answer; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_CONNECT_TIMEOUT).")
    Duration connectTimeout;

    /** The client configuration these flags describe. */
    public ClientConfig clientConfig() {
        return ClientConfig.of(bootstrapServers, commandConfig);
    }

    /** The topic, required. */
    public String topic() {
        return Settings.requireName("--topic", "QUEUE_TOPIC", topic);
    }

    /** The group, required. */
    public String group() {
        return Settings.requireName("--group", "QUEUE_GROUP", group);
    }

    /** The startup wait for the cluster. */
    public Duration connectTimeout() {
        return Settings.requirePositive("--connect-timeout", connectTimeout);
    }
}
