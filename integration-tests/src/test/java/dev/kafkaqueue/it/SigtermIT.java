package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code consumer_task.cancel()} is SIGTERM: the consumer finishes the record in hand, commits what it processed,
 * leaves the group and exits 0. A restarted consumer then does the rest, with nothing lost and nothing applied twice.
 */
class SigtermIT {

    private static final int ITEMS = 40;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "--commit {0}")
    @EnumSource(value = Commit.class, names = {"PER_RECORD", "BATCH"})
    void sigtermMidRunCommitsWhatWasProcessedAndARestartDoesTheRest(Commit commit) {
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess first = queue.consumer().workMs(100).commit(commit).appliedLog(applied).start();
        first.awaitLines(Consumer.CONSUMED, 10, Duration.ofSeconds(60));

        long signalled = System.nanoTime();
        first.sigterm();

        assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.output()).isZero();
        Duration stopping = Duration.ofNanos(System.nanoTime() - signalled);
        System.out.printf("SIGTERM commit=%s exit_after_ms=%d%n", commit, stopping.toMillis());
        assertThat(stopping).as("exit after SIGTERM").isLessThan(Duration.ofSeconds(5));
        assertThat(Consumer.doneReason(first)).isEqualTo("stopped by signal");
        List<Long> firstIds = Consumer.ids(first);
        assertThat(firstIds).as("stopped mid-run").hasSizeLessThan(ITEMS)
                .containsExactlyElementsOf(LongStream.range(0, firstIds.size()).boxed().toList());
        assertThat(queue.lag().committed()).as("committed offset == records processed (items start at offset 0)")
                .isEqualTo(Map.of(0, (long) firstIds.size()));

        ServiceProcess second = queue.consumer().commit(commit).appliedLog(applied).start();

        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(Consumer.doneReason(second)).isEqualTo("all partitions closed by poison pills");
        List<Long> secondIds = Consumer.ids(second);
        assertThat(secondIds).as("the restart starts where the commit is")
                .containsExactlyElementsOf(LongStream.range(firstIds.size(), ITEMS).boxed().toList());
        List<Long> union = new ArrayList<>(firstIds);
        union.addAll(secondIds);
        assertThat(union).containsExactlyInAnyOrderElementsOf(LongStream.range(0, ITEMS).boxed().toList());
        assertThat(Consumer.applied(applied)).as("each item applied once").hasSize(ITEMS).doesNotHaveDuplicates();
        assertThat(queue.lag().total()).isZero();
    }
}
