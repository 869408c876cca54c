package dev.kafkaqueue.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer's memory is bounded by partitions, items in flight and the dedup window, never by items processed:
 * a million items pass through a consumer with a 64 MB heap, and its applied log stays within twice the window.
 */
class BoundedMemoryIT {

    private static final int ITEMS = 1_000_000;
    private static final int DEDUP_WINDOW = 50_000;
    private static final Duration LONG_RUN = Duration.ofMinutes(4);

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void aMillionItemsThroughA64MegabyteHeap() {
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(2).flag("--item-log", "summary").start();
        Path applied = dir.resolve("applied.log");
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", queue.broker().bootstrapServers(),
                "--topic", queue.topic(), "--group", queue.group(), "--item-log", "summary",
                "--applied-log", applied.toString(), "--dedup-window", Integer.toString(DEDUP_WINDOW)));
        List<String> command = new ArrayList<>(List.of(ServiceProcess.javaBin()));
        command.addAll(ServiceProcess.JVM_FLAGS);
        // Later flags win: the heap under test, a dead JVM (exit 3) rather than a limping one on exhaustion, and the
        // full JIT for a long run.
        command.addAll(List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=4", "-jar",
                TestQueue.jar("consumer.jar").toString()));
        command.addAll(args);
        ServiceProcess consumer = queue.track(ServiceProcess.start("consumer-64m", command));

        assertThat(producer.awaitExit(LONG_RUN)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(LONG_RUN)).as(consumer.output()).isZero();

        assertThat(consumer.line(Consumer.DONE).text())
                .isEqualTo("Consumer done: " + ITEMS + " items processed, 0 dead-lettered "
                        + "(all partitions closed by poison pills)");
        assertThat(Consumer.applied(applied)).as("the applied log is compacted to the window")
                .hasSizeBetween(DEDUP_WINDOW, 2 * DEDUP_WINDOW);
        assertThat(queue.lag().total()).isZero();
    }
}
