package dev.kafkaqueue.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code --command-config FILE}: Kafka client properties, read exactly as Kafka's own tools read them, so SASL and TLS
 * need no code change. Values are never printed: they may hold passwords.
 */
public final class CommandConfig {

    private CommandConfig() {
    }

    /**
     * The file's properties, trimmed.
     *
     * @throws InvalidSettingException naming the file when it cannot be read
     */
    public static Map<String, Object> load(Path file) {
        Properties loaded = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            loaded.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidSettingException("--command-config: cannot read '" + file + "' ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); it must be a readable Java properties file of Kafka client settings", e);
        }
        Map<String, Object> properties = new HashMap<>();
        loaded.stringPropertyNames().forEach(name -> properties.put(name, loaded.getProperty(name).trim()));
        return properties;
    }
}
