package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A share group goes past the partition count: three consumers on one partition all do work, the pill (which reaches
 * one of them) ends all three, and join agrees. A second run on the same topic and group stops at its own pills.
 */
class ShareConsumersBeyondPartitionsIT {

    /** Enough work (60 x 200 ms) that a member which joined late, on a loaded machine, still gets its share. */
    private static final int ITEMS = 60;
    private static final int CONSUMERS = 3;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void threeConsumersOnOnePartitionEachProcessItemsAndThePillEndsThemAll() {
        ShareGroup share = new ShareGroup(queue);
        queue.createTopic(1);
        List<ServiceProcess> consumers = new ArrayList<>();
        for (int i = 0; i < CONSUMERS; i++) {
            consumers.add(queue.consumer().flag("--group-type", "share").workMs(200).start());
        }
        share.awaitMembers(CONSUMERS, EXIT_TIMEOUT);
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(ITEMS).partitions(1)
                .flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess join = queue.join().flag("--group-type", "share").flag("--closed").count(ITEMS)
                .timeout("80s").start();

        List<Long> all = new ArrayList<>();
        for (ServiceProcess consumer : consumers) {
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
            assertThat(Consumer.doneReason(consumer)).as(consumer.output())
                    .isEqualTo("all partitions closed by poison pills");
            assertThat(Consumer.ids(consumer)).as("every consumer does work on the one partition\n%s",
                    consumer.output()).isNotEmpty();
            all.addAll(Consumer.ids(consumer));
        }
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
        assertThat(join.line(Join.DONE).text()).contains("all " + ITEMS + " items done");
        System.out.printf("SHARE_BEYOND_PARTITIONS per_consumer=%s%n",
                consumers.stream().map(c -> Consumer.ids(c).size()).toList());
        assertThat(all).as("each item processed exactly once over the three")
                .containsExactlyInAnyOrderElementsOf(LongStream.range(0, ITEMS).boxed().toList());
        assertThat(consumers.stream().mapToInt(c -> c.lines(Consumer.PILL).size()).sum())
                .as("the one pill reached one member; the others learned the closure from the broker").isEqualTo(1);
        assertThat(share.totalLag()).isZero();
    }

    @Test
    void aSecondRunOnTheSameShareGroupProcessesOnlyItsOwnItemsAndEndsOnItsOwnPills() {
        ServiceProcess producer1 = queue.producer().flag("--group-type", "share").count(6).partitions(2)
                .runId("run-1").run();
        assertThat(producer1.awaitExit(EXIT_TIMEOUT)).as(producer1.output()).isZero();
        ServiceProcess consumer1 = queue.consumer().flag("--group-type", "share").start();
        assertThat(consumer1.awaitExit(EXIT_TIMEOUT)).as(consumer1.output()).isZero();
        assertThat(Consumer.ids(consumer1)).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L);

        // Run 2's producer goes first; its consumer starts after run 2's pills and still ends on them, because it
        // reads run 2's items; run 1's pills, the last records before, did not end it at start.
        ServiceProcess producer2 = queue.producer().flag("--group-type", "share").count(4).partitions(2)
                .runId("run-2").run();
        assertThat(producer2.awaitExit(EXIT_TIMEOUT)).as(producer2.output()).isZero();
        ServiceProcess consumer2 = queue.consumer().flag("--group-type", "share").start();

        assertThat(consumer2.awaitExit(EXIT_TIMEOUT)).as(consumer2.output()).isZero();
        assertThat(Consumer.doneReason(consumer2)).isEqualTo("all partitions closed by poison pills");
        Map<String, Records.QueueRecord> byPosition = queue.records().stream()
                .collect(Collectors.toMap(r -> r.partition() + "@" + r.offset(), Function.identity()));
        List<String> runsConsumed = Consumer.consumed(consumer2).stream()
                .map(c -> byPosition.get(c.partition() + "@" + c.offset()).item().runId()).toList();
        assertThat(runsConsumed).as("the records behind run 2's Consumed lines").hasSize(4).containsOnly("run-2");
        assertThat(consumer2.lines(Consumer.PILL)).as("it stopped at run 2's pills, one per partition").hasSize(2);
        assertThat(new ShareGroup(queue).totalLag()).isZero();
    }
}
