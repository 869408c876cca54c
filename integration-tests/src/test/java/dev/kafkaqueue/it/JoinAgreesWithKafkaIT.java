package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * join's lag is Kafka's own: partition by partition, join's table has the CURRENT-OFFSET, LOG-END-OFFSET and LAG that
 * {@code kafka-consumer-groups --describe} prints, mid-run (lag frozen above zero) and at the end.
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
        Join.Table midRun = standaloneJoin(3);
        assertThat(midRun.totalLag()).isEqualTo(frozen.total());
        assertAgree(midRun);

        ServiceProcess finisher = queue.consumer().start();
        assertThat(finisher.awaitExit(EXIT_TIMEOUT)).as(finisher.output()).isZero();
        Join.Table end = standaloneJoin(0);
        assertThat(end.totalLag()).isZero();
        assertAgree(end);
    }

    /** Runs {@code join --timeout 3s} and returns its last table; expects exit 3 while lag remains, else 0. */
    private Join.Table standaloneJoin(int expectedExit) {
        ServiceProcess join = queue.join().timeout("3s").interval("500ms").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(expectedExit);
        Join.Table table = Join.lastTable(join);
        assertThat(table.partitions()).as(join.output()).hasSize(PARTITIONS);
        return table;
    }

    private void assertAgree(Join.Table join) {
        Map<Integer, KafkaConsumerGroups.Row> kafka = KafkaConsumerGroups.describe(queue);
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
