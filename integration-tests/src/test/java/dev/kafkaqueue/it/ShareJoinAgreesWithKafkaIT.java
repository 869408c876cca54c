package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * join on a share group reads the same numbers as Kafka's {@code kafka-share-groups --describe}: partition by
 * partition, join's "committed" is the tool's START-OFFSET (the share-partition start offset) and join's lag is the
 * tool's LAG, mid-run (the consumer frozen by SIGSTOP, lag above zero) and at the end (lag zero).
 */
class ShareJoinAgreesWithKafkaIT {

    private static final int PARTITIONS = 2;
    private static final int ITEMS = 60;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void joinAndKafkaShareGroupsAgreeMidRunAndAtTheEnd() {
        ShareGroup share = new ShareGroup(queue);
        queue.createTopic(PARTITIONS);
        ServiceProcess consumer = queue.consumer().flag("--group-type", "share").workMs(50).start();
        share.awaitMembers(1, EXIT_TIMEOUT);
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(ITEMS)
                .partitions(PARTITIONS).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        Awaitility.await("a known lag on every partition, with work left").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Map<Integer, ShareGroup.Offsets> offsets = share.offsets();
                    return offsets.size() == PARTITIONS && offsets.values().stream().allMatch(o -> o.lag().isPresent())
                            && offsets.values().stream().mapToLong(o -> o.lag().get()).sum() > 0;
                });
        consumer.sigstop();
        try {
            AtomicReference<Map<Integer, ShareGroup.Offsets>> last = new AtomicReference<>(share.offsets());
            Awaitility.await("share offsets holding still").during(Duration.ofMillis(600))
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        Map<Integer, ShareGroup.Offsets> now = share.offsets();
                        return now.equals(last.getAndSet(now));
                    });
            ServiceProcess join = queue.join().flag("--group-type", "share").timeout("3s").interval("500ms").run();
            assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(3);
            Join.Table midRun = Join.lastTable(join);
            assertThat(midRun.totalLag()).as("lag mid-run").isPositive();
            assertAgree(midRun, share.describe());
        } finally {
            consumer.sigcont();
        }

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        ServiceProcess join = queue.join().flag("--group-type", "share").flag("--closed").timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
        Join.Table end = Join.lastTable(join);
        assertThat(end.totalLag()).isZero();
        assertAgree(end, share.describe());
    }

    private static void assertAgree(Join.Table join, Map<Integer, ShareGroup.Row> kafka) {
        assertThat(kafka.keySet()).as("partitions in kafka-share-groups").isEqualTo(join.partitions().keySet());
        join.partitions().forEach((partition, row) -> {
            ShareGroup.Row tool = kafka.get(partition);
            assertThat(tool.lag()).as("partition %d: the tool knows the lag", partition).isNotNull();
            assertThat(new long[] {row.committed(), row.lag()})
                    .as("partition %d: join's committed/lag vs kafka-share-groups' START-OFFSET/LAG", partition)
                    .containsExactly(tool.startOffset(), tool.lag());
        });
        System.out.printf("SHARE_AGREE %s%n", join.partitions().values());
    }
}
