package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dedup window: bounded in memory and on disk, and it survives a restart. */
class DedupWindowTest {

    @TempDir
    Path dir;

    @Test
    void remembersTheLastCapacityKeysAndForgetsTheOldest() {
        DedupWindow window = DedupWindow.inMemory(3);
        for (long id = 0; id < 5; id++) {
            window.add("r1", id);
        }

        assertThat(window.size()).isEqualTo(3);
        assertThat(window.contains("r1", 1)).isFalse();
        assertThat(window.contains("r1", 2)).isTrue();
        assertThat(window.contains("r1", 4)).isTrue();
        assertThat(window.contains("r2", 4)).isFalse();
    }

    @Test
    void theFileIsCompactedToTheWindowAndARestartReadsItBack() throws IOException {
        Path file = dir.resolve("applied.log");
        try (DedupWindow window = DedupWindow.open(file, 10)) {
            for (long id = 0; id < 1_000; id++) {
                window.add("run-a", id);
            }
            window.flush();
        }

        assertThat(Files.readAllLines(file)).hasSizeLessThanOrEqualTo(20).contains("run-a 999");
        try (DedupWindow restarted = DedupWindow.open(file, 10)) {
            assertThat(restarted.size()).isEqualTo(10);
            assertThat(restarted.contains("run-a", 999)).isTrue();
            assertThat(restarted.contains("run-a", 989)).isFalse();
        }
    }

    @Test
    void keysReachTheFileNoLaterThanTheFlushBeforeACommit() throws IOException {
        Path file = dir.resolve("applied.log");
        try (DedupWindow window = DedupWindow.open(file, 100)) {
            window.add("r 1", 7); // a run id may hold a space: the id is the last field

            window.flush();

            assertThat(Files.readAllLines(file)).containsExactly("r 1 7");
        }
        try (DedupWindow restarted = DedupWindow.open(file, 100)) {
            assertThat(restarted.contains("r 1", 7)).isTrue();
        }
    }

    @Test
    void aWindowOfZeroRemembersNothing() {
        DedupWindow window = DedupWindow.inMemory(0);
        window.add("r1", 1);

        assertThat(window.contains("r1", 1)).isFalse();
    }
}
