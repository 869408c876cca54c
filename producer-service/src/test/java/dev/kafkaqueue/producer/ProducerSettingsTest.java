package dev.kafkaqueue.producer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kafkaqueue.cli.InvalidSettingException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ProducerSettingsTest {

    @Test
    void aNegativeCountIsRefusedNamingTheFlag() {
        assertThatThrownBy(() -> new ProducerSettings.Generated(-1))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("--count=-1 is not allowed: it must be 0 or more");
    }

    @Test
    void aRunIdWithSpacesIsRefused() {
        assertThatThrownBy(() -> new ProducerSettings.Run(new ProducerSettings.Generated(1), "a b",
                ProducerSettings.Pills.SEND, Optional.empty()))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("--run-id='a b'");
    }

    @Test
    void zeroPartitionsAreRefused() {
        assertThatThrownBy(() -> new ProducerSettings.NewTopic(OptionalInt.of(0), (short) -1))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("--partitions=0 is not allowed: it must be 1 or more");
    }

    @Test
    void aNegativeIntervalIsRefusedInTheUnitsPeopleWrite() {
        assertThatThrownBy(() -> new ProducerSettings.Pacing(0, Duration.ofSeconds(1), Duration.ofMillis(-5),
                Duration.ofMillis(200), Duration.ofSeconds(30)))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("--interval=-5ms is not allowed: it must be 0 or more");
    }

    @Test
    void aZeroTimeoutIsRefused() {
        assertThatThrownBy(() -> new ProducerSettings.Pacing(0, Duration.ZERO, Duration.ZERO,
                Duration.ofMillis(200), Duration.ofSeconds(30)))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("--timeout=0s is not allowed: it must be above zero");
    }
}
