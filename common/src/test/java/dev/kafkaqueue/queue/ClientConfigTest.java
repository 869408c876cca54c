package dev.kafkaqueue.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientConfigTest {

    @TempDir
    Path dir;

    @Test
    void theFlagWinsOverTheFileAndSecretsStayOutOfToString() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nsasl.jaas.config=secret-line\n");

        ClientConfig config = ClientConfig.of("flag:9092", file);

        assertThat(config.clientProperties()).containsEntry("bootstrap.servers", "flag:9092")
                .containsEntry("sasl.jaas.config", "secret-line");
        assertThat(config.toString()).doesNotContain("secret-line");
        assertThat(ClientConfig.of(null, file).bootstrapServers()).isEqualTo("file:9092");
    }

    @Test
    void anUnreadableFileIsNamed() {
        Path missing = dir.resolve("missing.properties");

        assertThatThrownBy(() -> ClientConfig.of("b:9092", missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--command-config")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("it must be a readable Java properties file");
    }

    @Test
    void bootstrapServersAreRequired() {
        assertThatThrownBy(() -> ClientConfig.of(null, null)).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("--bootstrap-server is required");
    }

    @Test
    void aCommandConfigCannotOverrideWhatCorrectnessNeeds() {
        Map<String, Object> props = new java.util.HashMap<>(Map.of("enable.auto.commit", "true"));

        assertThatThrownBy(() -> ClientConfig.putOwned(props, "enable.auto.commit", false))
                .hasMessageContaining("enable.auto.commit=true")
                .hasMessageContaining("requires enable.auto.commit=false");
    }
}
