package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.ClientConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueAddressTest {

    private final ClientConfig client = new ClientConfig("localhost:9092", Map.of());

    @Test
    void aLegalTopicAndGroupMakeAnAddress() {
        assertThat(new QueueAddress(client, "jobs", "workers").topic()).isEqualTo("jobs");
    }

    @Test
    void aMissingTopicNamesTheFlagAndTheVariable() {
        assertThatThrownBy(() -> new QueueAddress(client, null, "workers")).isInstanceOf(InvalidSettingException.class)
                .hasMessage("--topic is required (or set QUEUE_TOPIC)");
    }

    @Test
    void anIllegalGroupNamesTheFlagAndTheAllowedCharacters() {
        assertThatThrownBy(() -> new QueueAddress(client, "jobs", "no spaces"))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("--group='no spaces' is not a valid name").hasMessageContaining("a-z A-Z 0-9");
    }
}
