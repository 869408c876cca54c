package dev.kafkaqueue.queue;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How to reach the cluster: bootstrap servers plus any Kafka client property, taken the way Kafka's own tools take
 * them ({@code --bootstrap-server} and {@code --command-config FILE}). With a properties file the services run
 * unchanged against secured clusters (SASL, TLS).
 *
 * <p>The flag wins over a {@code bootstrap.servers} line in the file. Property values are never logged: they may
 * hold passwords.
 *
 * @param bootstrapServers comma-separated {@code host:port} list, never blank
 * @param properties       client properties from the command config, immutable
 */
public record ClientConfig(String bootstrapServers, Map<String, String> properties) {

    public ClientConfig {
        Objects.requireNonNull(properties, "properties");
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new InvalidSettingException("--bootstrap-server is required (or QUEUE_BOOTSTRAP_SERVERS, or "
                    + "bootstrap.servers in --command-config)");
        }
        properties = Map.copyOf(properties);
    }

    /**
     * Builds the configuration from the flag and an optional properties file.
     *
     * @param bootstrapServers the flag's value, or null to take {@code bootstrap.servers} from the file
     * @param commandConfig    a Java properties file, or null
     * @throws InvalidSettingException naming the file when it cannot be read, or when no bootstrap servers are given
     */
    public static ClientConfig of(String bootstrapServers, Path commandConfig) {
        Map<String, String> properties = commandConfig == null ? Map.of() : load(commandConfig);
        String servers = bootstrapServers != null && !bootstrapServers.isBlank()
                ? bootstrapServers
                : properties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return new ClientConfig(servers, properties);
    }

    /** The client properties for a Kafka client, ready for the caller's own settings to be added. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>(properties);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Puts a setting the service relies on for correctness, refusing a command config that says otherwise.
     *
     * @throws InvalidSettingException naming the key, the value found and the value required
     */
    public static void putOwned(Map<String, Object> props, String key, Object value) {
        Object existing = props.get(key);
        if (existing != null && !String.valueOf(existing).equalsIgnoreCase(String.valueOf(value))) {
            throw new InvalidSettingException("--command-config sets " + key + "=" + existing
                    + ", but this service requires " + key + "=" + value);
        }
        props.put(key, value);
    }

    private static Map<String, String> load(Path file) {
        Properties loaded = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            loaded.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidSettingException("--command-config: cannot read '" + file + "' ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); it must be a readable Java properties file of Kafka client settings", e);
        }
        Map<String, String> properties = new HashMap<>();
        loaded.stringPropertyNames().forEach(name -> properties.put(name, loaded.getProperty(name).trim()));
        return properties;
    }

    @Override
    public String toString() {
        // Values stay out: sasl.jaas.config and ssl passwords live here.
        return "ClientConfig[bootstrapServers=" + bootstrapServers + ", properties=" + properties.keySet() + "]";
    }
}
