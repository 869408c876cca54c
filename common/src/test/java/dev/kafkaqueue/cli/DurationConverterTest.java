package dev.kafkaqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationConverterTest {

    @Test
    void readsTheFormsPeopleWrite() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationConverter.parse("PT1H")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void namesTheBadValue() {
        assertThatThrownBy(() -> DurationConverter.parse("soon")).hasMessageContaining("'soon' is not a duration");
    }
}
