package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.Words;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ItemLogTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void autoAnnouncesItsSwitchToSummaries() {
        ItemLog log = new ItemLog(ItemLog.Mode.AUTO, "Produced", out, Duration.ofHours(1));
        for (int i = 0; i < ItemLog.AUTO_LINES + 2; i++) {
            log.item("Produced " + i);
        }

        assertThat(text().lines().filter(l -> l.matches("Produced \\d+"))).hasSize(ItemLog.AUTO_LINES);
        assertThat(text()).contains("Produced: 100 item lines shown; from now on a summary every 3600s");
    }

    @Test
    void aShortRunInSummaryModeStillEndsWithATotal() {
        ItemLog log = new ItemLog(ItemLog.Mode.SUMMARY, "Consumed", out, Duration.ofHours(1));
        log.item("Consumed 0");
        log.finish();

        assertThat(text()).startsWith("Consumed in all: 1 item in ").doesNotContain("Consumed 0");
    }

    @Test
    void eachModePrintsNoTotalSinceEveryItemHasItsLine() {
        ItemLog log = new ItemLog(ItemLog.Mode.EACH, "Produced", out, Duration.ofHours(1));
        log.item("Produced 0");
        log.finish();

        assertThat(text()).isEqualTo("Produced 0" + System.lineSeparator());
    }

    @Test
    void pluralsAreRight() {
        assertThat(Words.items(1)).isEqualTo("1 item");
        assertThat(Words.items(0)).isEqualTo("0 items");
        assertThat(Words.plural(3, "partition")).isEqualTo("3 partitions");
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
