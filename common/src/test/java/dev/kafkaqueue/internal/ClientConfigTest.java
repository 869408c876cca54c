package dev.kafkaqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientConfigTest {

    @Test
    void secretsStayOutOfToString() {
        ClientConfig config = new ClientConfig("b:9092", Map.of("sasl.jaas.config", "secret-line"));

        assertThat(config.clientProperties()).containsEntry("bootstrap.servers", "b:9092")
                .containsEntry("sasl.jaas.config", "secret-line");
        assertThat(config.toString()).doesNotContain("secret-line").contains("sasl.jaas.config");
    }

    @Test
    void bootstrapServersAreRequired() {
        assertThatThrownBy(() -> new ClientConfig(" ", Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bootstrap servers are required");
    }

    @Test
    void aSettingCannotOverrideWhatCorrectnessNeeds() {
        Map<String, Object> props = new HashMap<>(Map.of("enable.auto.commit", "true"));

        assertThatThrownBy(() -> ClientConfig.putOwned(props, "enable.auto.commit", false))
                .isInstanceOfSatisfying(ConflictingSettingException.class, e -> {
                    assertThat(e.key()).isEqualTo("enable.auto.commit");
                    assertThat(e.found()).isEqualTo("true");
                    assertThat(e.required()).isEqualTo("false");
                })
                .hasMessageContaining("requires enable.auto.commit=false");
        ClientConfig.putOwned(props, "acks", "all");
        assertThat(props).containsEntry("acks", "all");
    }
}
