package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import dev.kafkaqueue.cli.ExitCode;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * join's lag is Kafka's own: partition by partition, join's table (and its {@code --json} lines) have the
 * CURRENT-OFFSET, LOG-END-OFFSET and LAG that {@code kafka-consumer-groups --describe} prints, mid-run (lag frozen
 * above zero) and at the end.
 */
class JoinAgreesWithKafkaIT {

    private static final int PARTITIONS = 3;
    private static final int ITEMS = 120;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void joinAndKafkaConsumerGroupsAgreePartitionByPartition() {
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess consumer = queue.consumer().workMs(40).commit(Commit.PER_RECORD).start();
        // Freeze the committed offsets once every partition has one (kafka-consumer-groups lists only those).
        Awaitility.await("a commit on every partition").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> queue.lag().committed().size() == PARTITIONS);
        consumer.sigterm();
        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();

        Lag.Snapshot frozen = queue.lag();
        assertThat(frozen.total()).as("lag mid-run, frozen: %s", frozen).isPositive();
        Join.Table midRun = jsonJoin(ExitCode.TIMEOUT);
        assertThat(midRun.totalLag()).isEqualTo(frozen.total());
        assertAgree(midRun);

        ServiceProcess finisher = queue.consumer().start();
        assertThat(finisher.awaitExit(EXIT_TIMEOUT)).as(finisher.output()).isZero();
        Join.Table end = jsonJoin(ExitCode.OK);
        assertThat(end.totalLag()).isZero();
        assertAgree(end);
    }

    @Test
    void duringARunWithTwoConsumersFrozenBySigstopAndAtTheEnd() {
        queue.createTopic(PARTITIONS);
        List<ServiceProcess> consumers = List.of(
                queue.consumer().workMs(50).commit(Commit.PER_RECORD).start(),
                queue.consumer().workMs(50).commit(Commit.PER_RECORD).start());
        queue.awaitGroupAssigned(2, PARTITIONS, Duration.ofSeconds(60));
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        // Items in flight: every partition has a commit and work remains. SIGSTOP keeps both members in the group
        // (for less than the 45 s session timeout) with their committed offsets frozen.
        Awaitility.await("a commit on every partition").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> queue.lag().committed().size() == PARTITIONS);
        consumers.forEach(ServiceProcess::sigstop);
        try {
            // A commit sent just before the signal may still land: wait until the offsets hold still.
            AtomicReference<Lag.Snapshot> last = new AtomicReference<>(queue.lag());
            Awaitility.await("committed offsets holding still").during(Duration.ofMillis(600))
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        Lag.Snapshot now = queue.lag();
                        return now.equals(last.getAndSet(now));
                    });
            Lag.Snapshot frozen = last.get();
            assertThat(frozen.total()).as("lag mid-run, frozen: %s", frozen).isPositive();

            Map<Integer, KafkaConsumerGroups.Row> kafka = KafkaConsumerGroups.describe(queue);
            assertThat(kafka.values().stream().map(KafkaConsumerGroups.Row::consumerId).filter(Objects::nonNull)
                    .distinct()).as("the frozen consumers are still members").hasSize(2);
            // The table meant for people, read once here to check it says what --json says.
            ServiceProcess join = queue.join().timeout("3s").interval("500ms").run();
            assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(ExitCode.TIMEOUT);
            Join.Table table = Join.lastTable(join);
            assertThat(table.members()).as("members in join's table").isEqualTo(ExitCode.USAGE);
            assertThat(table.totalLag()).isEqualTo(frozen.total());
            assertAgree(table, kafka);
            Join.Table json = jsonJoin(ExitCode.TIMEOUT);
            assertThat(json.partitions()).as("join --json vs join's table").isEqualTo(table.partitions());
            assertAgree(json, kafka);
        } finally {
            consumers.forEach(ServiceProcess::sigcont);
        }

        for (ServiceProcess consumer : consumers) {
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        }
        Join.Table end = jsonJoin(ExitCode.OK);
        assertThat(end.totalLag()).isZero();
        assertThat(end.partitions().values()).allSatisfy(row -> assertThat(row.lag()).isZero());
        assertAgree(end);
    }

    /**
     * Runs {@code join --json --timeout 3s} and returns its last lag snapshot; expects exit 3 (timeout) while lag
     * remains, else 0.
     */
    private Join.Table jsonJoin(int expectedExit) {
        Join.Exited join = queue.join().timeout("3s").interval("500ms").runJson();
        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(expectedExit);
        Join.Table last = join.output().last();
        assertThat(last.partitions()).as(join.process().output()).hasSize(PARTITIONS);
        return last;
    }

    private void assertAgree(Join.Table join) {
        assertAgree(join, KafkaConsumerGroups.describe(queue));
    }

    private static void assertAgree(Join.Table join, Map<Integer, KafkaConsumerGroups.Row> kafka) {
        assertThat(kafka.keySet()).as("partitions in kafka-consumer-groups").isEqualTo(join.partitions().keySet());
        join.partitions().forEach((partition, row) -> {
            KafkaConsumerGroups.Row tool = kafka.get(partition);
            assertThat(Arrays.asList(row.committed(), row.end(), row.lag()))
                    .as("partition %d: join's committed/end/lag vs kafka-consumer-groups' CURRENT-OFFSET/"
                            + "LOG-END-OFFSET/LAG", partition)
                    .isEqualTo(Arrays.asList(tool.currentOffset(), tool.logEndOffset(), tool.lag()));
        });
        System.out.printf("AGREE %s%n", join.partitions().values());
    }
}
