package dev.kafkaqueue.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How to reach the cluster: bootstrap servers plus any Kafka client property (SASL, TLS, timeouts), which every
 * client of the queue starts from. Property values are never logged: they may hold passwords.
 *
 * @param bootstrapServers comma-separated {@code host:port} list, never blank
 * @param properties       Kafka client properties, immutable
 */
public record ClientConfig(String bootstrapServers, Map<String, Object> properties) {

    public ClientConfig {
        Objects.requireNonNull(properties, "properties");
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers are required: bootstrapServers(\"host:port\"), or "
                    + "config(\"bootstrap.servers\", ...)");
        }
        properties = Map.copyOf(properties);
    }

    /** The client properties for a Kafka client, ready for the caller's own settings to be added. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>(properties);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Puts a setting the queue relies on for correctness, refusing a configuration that says otherwise.
     *
     * @throws ConflictingSettingException naming the key, the value found and the value required
     */
    public static void putOwned(Map<String, Object> props, String key, Object value) {
        Object existing = props.get(key);
        if (existing != null && !String.valueOf(existing).equalsIgnoreCase(String.valueOf(value))) {
            throw new ConflictingSettingException(key, existing, value);
        }
        props.put(key, value);
    }

    /** A numeric Kafka client setting of these properties, or Kafka's default when it is not set. */
    public long clientLong(String key, long kafkaDefault) {
        Object configured = properties.get(key);
        return configured == null ? kafkaDefault : Long.parseLong(configured.toString().trim());
    }

    @Override
    public String toString() {
        // Values stay out: sasl.jaas.config and ssl passwords live here.
        return "ClientConfig[bootstrapServers=" + bootstrapServers + ", properties=" + properties.keySet() + "]";
    }
}
