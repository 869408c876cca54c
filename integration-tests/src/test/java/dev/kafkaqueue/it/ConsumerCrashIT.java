package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer killed with SIGKILL in the middle of a batch, then restarted with the same {@code --applied-log}.
 *
 * <p>With {@code --commit batch} the consumer commits once per poll, so what a crash can deliver again is at most one
 * poll's records: {@code max.poll.records}, set here to {@value #MAX_POLL_RECORDS} through {@code --command-config}.
 * Items applied after the last commit are delivered again and skipped, because the applied log remembers them.
 */
class ConsumerCrashIT {

    private static final int ITEMS = 60;
    private static final int PARTITIONS = 3;
    /** The uncommitted window of {@code --commit batch}: one poll. */
    private static final int MAX_POLL_RECORDS = 10;
    private static final String RUN = "consumer-crash";

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void sigkillMidBatchLosesNothingAndAppliesNothingTwice() throws IOException {
        Path applied = dir.resolve("applied.log");
        // A killed member holds its partitions until its session times out: 6 s (the broker's minimum), not 45 s.
        Path config = Files.writeString(dir.resolve("consumer.properties"), "max.poll.records=" + MAX_POLL_RECORDS
                + "\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS).runId(RUN)
                .flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        List<Records.QueueRecord> records = queue.records();
        ServiceProcess first = queue.consumer().workMs(100).appliedLog(applied)
                .flag("--command-config", config.toString()).flag("--item-log", "each").start();
        // Mid-batch: several items of the current poll applied, and the batch's commit still ahead.
        AtomicLong uncommitted = new AtomicLong();
        Awaitility.await("the first consumer 3 to 6 items past its last commit")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    long unfinished = Consumer.applied(applied).size() - committedItems(records, queue.lag().committed());
                    uncommitted.set(unfinished);
                    return unfinished >= 3 && unfinished <= 6 && Consumer.ids(first).size() > MAX_POLL_RECORDS;
                });
        first.sigkill();
        assertThat(first.awaitExit(Duration.ofSeconds(30))).as("killed").isEqualTo(ServiceProcess.EXIT_SIGKILL);

        // The first consumer is gone: what it applied and what it committed are final.
        int appliedAtKill = Consumer.applied(applied).size();
        long committedAtKill = committedItems(records, queue.lag().committed());
        assertThat(appliedAtKill).as("crashed before the end").isLessThan(ITEMS);

        ServiceProcess second = queue.consumer().appliedLog(applied)
                .flag("--command-config", config.toString()).flag("--item-log", "each").start();

        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(Consumer.doneReason(second)).isEqualTo("all partitions closed by poison pills");
        Oracle.Result result = new Oracle().acked(RUN, producer).consumers(first, second).appliedLog(applied)
                .deadLetters(queue).check("consumer-sigkill-mid-batch");
        System.out.printf("CONSUMER_CRASH applied_at_kill=%d committed_at_kill=%d window=%d%n", appliedAtKill,
                committedAtKill, MAX_POLL_RECORDS);
        assertThat(result.acked()).isEqualTo(ITEMS);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
        assertThat(result.deadLettered()).isZero();
        // Consumed is printed just after the applied log is written: a kill between the two leaves one item
        // applied and skipped later, but delivered visibly only once.
        assertThat(Oracle.skippedIds(second)).as("every item applied after the last commit is delivered again, "
                + "and skipped").hasSize((int) (appliedAtKill - committedAtKill));
        assertThat(result.dupDelivered()).as("visible redeliveries")
                .isEqualTo(Consumer.ids(first).size() - committedAtKill)
                .isPositive()
                .isLessThanOrEqualTo(MAX_POLL_RECORDS);
        assertThat(queue.lag().total()).isZero();
    }

    /** Items (not pills) below the committed offsets: the items the group has finished. */
    private static long committedItems(List<Records.QueueRecord> records, Map<Integer, Long> committed) {
        return records.stream()
                .filter(r -> r.isItem() && r.offset() < committed.getOrDefault(r.partition(), 0L))
                .count();
    }
}
