package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * task_done is bounded in time. A consumer killed with SIGKILL mid-stream, on Kafka's default
 * {@code max.poll.records} (500), has committed what it finished at least once per {@code --commit-interval}: its
 * restart redoes about one interval of work, not a whole poll. The restart uses the same {@code --instance-id}
 * (static membership), so it takes the partitions back at once instead of waiting {@code session.timeout.ms}.
 * Judged by the oracle: nothing lost, nothing applied twice.
 */
class ConsumerCrashIT {

    private static final int PARTITIONS = 2;
    private static final int WORK_MS = 50;
    private static final Duration COMMIT_INTERVAL = Duration.ofSeconds(1);
    private static final Pattern FIRST_ITEM = Pattern.compile("^(Consumed|Skipped) \\d+ .*");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "--concurrency {0} --ordering {1}")
    @CsvSource({"1, partition", "4, unordered"})
    void sigkillRedoesAtMostAboutOneCommitIntervalOfWork(int concurrency, String ordering) {
        int items = 120 * concurrency;
        String run = "consumer-crash-" + concurrency;
        Path applied = dir.resolve("applied.log");
        String member = "crash-" + concurrency;
        ServiceProcess producer = queue.producer().count(items).partitions(PARTITIONS).runId(run)
                .flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        List<Records.QueueRecord> records = queue.records();

        ServiceProcess first = consumer(applied, member, concurrency, ordering).start();
        // Well past the first commit intervals, and well before the end.
        Awaitility.await("the first consumer a third of the way through, with commits behind it")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> Consumer.ids(first).size() >= items / 3
                        && committedItems(records, queue.lag().committed()) > 0);
        first.sigkill();
        assertThat(first.awaitExit(Duration.ofSeconds(30))).as("killed").isEqualTo(ServiceProcess.EXIT_SIGKILL);
        int appliedAtKill = Consumer.applied(applied).size();
        long committedAtKill = committedItems(records, queue.lag().committed());

        long restarted = System.nanoTime();
        ServiceProcess second = consumer(applied, member, concurrency, ordering).start();
        second.awaitLine(FIRST_ITEM, EXIT_TIMEOUT);
        Duration backAfter = Duration.ofNanos(System.nanoTime() - restarted);

        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(Consumer.doneReason(second)).isEqualTo("all partitions closed by poison pills");
        Oracle.Result result = new Oracle().acked(run, producer).consumers(first, second).appliedLog(applied)
                .deadLetters(queue).check("consumer-sigkill-" + concurrency);
        // One interval of work for every worker, plus what was in hand and one commit round trip.
        long oneInterval = COMMIT_INTERVAL.toMillis() / WORK_MS * concurrency;
        System.out.printf("CONSUMER_CRASH concurrency=%d applied_at_kill=%d committed_at_kill=%d redelivered=%d "
                        + "one_interval=%d restart_first_item_ms=%d%n", concurrency, appliedAtKill, committedAtKill,
                result.dupDelivered(), oneInterval, backAfter.toMillis());
        assertThat(result.acked()).isEqualTo(items);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(items);
        assertThat(Oracle.skippedIds(second)).as("every item applied after the last commit is delivered again, "
                + "and skipped").hasSize((int) (appliedAtKill - committedAtKill));
        assertThat(result.dupDelivered()).as("redelivered: about one commit interval of work, not a whole poll")
                .isLessThanOrEqualTo(2 * oneInterval + concurrency);
        assertThat(backAfter).as("static membership: the restart does not wait for session.timeout.ms (45 s)")
                .isLessThan(Duration.ofSeconds(30));
        assertThat(queue.lag().total()).isZero();
    }

    private Consumer consumer(Path applied, String member, int concurrency, String ordering) {
        return queue.consumer().workMs(WORK_MS).appliedLog(applied).flag("--instance-id", member)
                .flag("--commit-interval", COMMIT_INTERVAL.toMillis() + "ms")
                .flag("--concurrency", Integer.toString(concurrency)).flag("--ordering", ordering)
                .flag("--item-log", "each");
    }

    /** Items (not pills) below the committed offsets: the items the group has finished. */
    private static long committedItems(List<Records.QueueRecord> records, Map<Integer, Long> committed) {
        return records.stream()
                .filter(r -> r.isItem() && r.offset() < committed.getOrDefault(r.partition(), 0L))
                .count();
    }
}
