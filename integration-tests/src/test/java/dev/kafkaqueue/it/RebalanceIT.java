package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group changes while items flow: a second consumer joins mid-run, the first leaves gracefully (SIGTERM), the
 * second is killed (SIGKILL), and a third finishes the run. All three share one {@code --applied-log}.
 *
 * <p>A partition that moves on a join or a graceful leave is committed by its old owner before it moves, so its new
 * owner delivers nothing twice. Only the kill may deliver again, at most one poll's records.
 */
class RebalanceIT {

    private static final int ITEMS = 300;
    private static final int PARTITIONS = 4;
    private static final int MAX_POLL_RECORDS = 10;
    private static final int MAXSIZE = 10;
    private static final String RUN = "rebalance";
    private static final Duration STEP = Duration.ofSeconds(60);

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void aMemberJoinsOneLeavesGracefullyOneIsKilledAndNothingIsLost() throws IOException {
        Path applied = dir.resolve("applied.log");
        // A killed member holds its partitions until its session times out: 6 s (the broker's minimum), not 45 s.
        Path config = Files.writeString(dir.resolve("consumer.properties"), "max.poll.records=" + MAX_POLL_RECORDS
                + "\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
        queue.createTopic(PARTITIONS);
        ServiceProcess first = consumer(applied, config);
        queue.awaitGroupAssigned(1, PARTITIONS, STEP);
        // maxsize ties the producer to the group's commits: it is still putting while the group changes.
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS).runId(RUN).maxsize(MAXSIZE)
                .flag("--item-log", "each").start();

        first.awaitLines(Consumer.CONSUMED, 20, STEP);
        ServiceProcess second = consumer(applied, config);
        queue.awaitGroupAssigned(2, PARTITIONS, STEP);
        second.awaitLines(Consumer.CONSUMED, 5, STEP);

        first.sigterm();
        assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.output()).isZero();
        assertThat(Consumer.doneReason(first)).isEqualTo("stopped by signal");
        Map<Integer, Long> committed = queue.lag().committed();
        lastOffsets(first).forEach((partition, offset) -> assertThat(committed.get(partition))
                .as("partition %d, which the first consumer gave up, is committed past what it processed",
                        partition)
                .isGreaterThan(offset));
        assertThat(producer.isAlive()).as("the group changed mid-run").isTrue();

        int secondSoFar = Consumer.ids(second).size();
        second.awaitLines(Consumer.CONSUMED, secondSoFar + 20, STEP);
        second.sigkill();
        assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(ServiceProcess.EXIT_SIGKILL);
        ServiceProcess third = consumer(applied, config);

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(third.awaitExit(EXIT_TIMEOUT)).as(third.output()).isZero();
        assertThat(Consumer.doneReason(third)).isEqualTo("all partitions closed by poison pills");

        Oracle.Result result = new Oracle().acked(RUN, producer).consumers(first, second, third).appliedLog(applied)
                .deadLetters(queue).check("rebalance-join-leave-kill");
        assertThat(result.acked()).isEqualTo(ITEMS);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
        Set<Long> both = new HashSet<>(Consumer.ids(first));
        both.retainAll(Consumer.ids(second));
        assertThat(both).as("the join and the graceful leave delivered nothing twice").isEmpty();
        assertThat(Oracle.skippedIds(second)).as("nothing the first consumer applied reached the second").isEmpty();
        assertThat(Oracle.skippedIds(third)).as("only the kill redelivers: at most one poll")
                .hasSizeLessThanOrEqualTo(MAX_POLL_RECORDS);
        assertThat(result.dupDelivered()).isLessThanOrEqualTo(MAX_POLL_RECORDS);
        assertThat(queue.lag().total()).isZero();
    }

    private ServiceProcess consumer(Path applied, Path config) {
        return queue.consumer().workMs(40).appliedLog(applied).flag("--command-config", config.toString())
                .flag("--item-log", "each").start();
    }

    /** Partition to the highest offset the consumer printed a Consumed line for. */
    private static Map<Integer, Long> lastOffsets(ServiceProcess consumer) {
        Map<Integer, Long> last = new TreeMap<>();
        Consumer.consumed(consumer).forEach(c -> last.merge(c.partition(), c.offset(), Math::max));
        return last;
    }
}
