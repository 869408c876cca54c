package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sentinels with several partitions and consumers: a pill on every partition ends every consumer, idle ones (more
 * consumers than partitions) too, and every item is processed exactly once across the group.
 */
class PartitionsAndConsumersIT {

    private static final int PARTITIONS = 3;
    private static final int ITEMS = 60;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} consumers on 3 partitions")
    @ValueSource(ints = {1, 2, 4})
    void everyItemExactlyOnceAndEveryConsumerEnds(int consumers) {
        everyItemOnce(consumers, UnaryOperator.identity());
    }

    /**
     * KIP-848's rebalance protocol, chosen in {@code --command-config}: the broker assigns the partitions. The
     * consumer used to set an assignor and a heartbeat interval of its own, which the client refuses under it.
     */
    @ParameterizedTest(name = "{0} consumers on 3 partitions, group.protocol=consumer")
    @ValueSource(ints = {2, 4})
    void theBrokerSideRebalanceProtocolToo(int consumers) throws Exception {
        Path config = Files.writeString(dir.resolve("kip848.properties"), "group.protocol=consumer\n");

        everyItemOnce(consumers, consumer -> consumer.flag("--command-config", config.toString()));

        try (Admin admin = queue.broker().admin()) {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(queue.group())).describedGroups()
                    .get(queue.group()).get(30, TimeUnit.SECONDS);
            assertThat(group.type()).as("the group's protocol, as the broker reports it").isEqualTo(GroupType.CONSUMER);
        }
    }

    private void everyItemOnce(int consumers, UnaryOperator<Consumer> options) {
        // Consumers never create the topic; it exists before they join, so the group settles before work arrives.
        queue.createTopic(PARTITIONS);
        List<ServiceProcess> group = new ArrayList<>();
        List<Path> appliedLogs = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            Path applied = dir.resolve("applied-" + i + ".log");
            appliedLogs.add(applied);
            group.add(options.apply(queue.consumer().workMs(20).appliedLog(applied)).start());
        }
        queue.awaitGroupAssigned(consumers, PARTITIONS, Duration.ofSeconds(60));

        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS).run();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(producer.lines(Producer.PILL_SENT)).as("a pill on every partition").hasSize(PARTITIONS);
        List<Long> consumed = new ArrayList<>();
        List<String> applied = new ArrayList<>();
        for (int i = 0; i < consumers; i++) {
            ServiceProcess consumer = group.get(i);
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
            assertThat(Consumer.doneReason(consumer)).as(consumer.output())
                    .isEqualTo("all partitions closed by poison pills");
            consumed.addAll(Consumer.ids(consumer));
            applied.addAll(Consumer.applied(appliedLogs.get(i)));
        }
        List<Long> all = LongStream.range(0, ITEMS).boxed().toList();
        assertThat(consumed).as("Consumed lines across the group").hasSize(ITEMS)
                .containsExactlyInAnyOrderElementsOf(all);
        assertThat(applied).as("applied logs across the group").hasSize(ITEMS).doesNotHaveDuplicates();
        assertThat(applied.stream().map(line -> Long.valueOf(line.substring(line.lastIndexOf(' ') + 1))).toList())
                .containsExactlyInAnyOrderElementsOf(all);
        if (consumers > PARTITIONS) {
            assertThat(group).as("at least one consumer had no partition, and it ended too")
                    .anySatisfy(consumer -> assertThat(Consumer.ids(consumer)).isEmpty());
        }
        if (consumers > 1) {
            assertThat(group.stream().filter(c -> !Consumer.ids(c).isEmpty()).count())
                    .as("the work was shared").isGreaterThan(1);
        }
        assertThat(queue.lag().total()).as("final lag").isZero();
    }
}
