package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Recap Q6/Q7: producer and consumer running at the same time interleave (the first item is consumed before the
 * last is produced); run one after the other, they do not. Times are when this JVM read each line.
 */
class ConcurrentVsSequentialIT {

    private static final int ITEMS = 5;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void startedTogetherTheFirstItemIsConsumedBeforeTheLastIsProduced() {
        // Both tasks exist before the first put, as after asyncio.create_task(consumer()); create_task(producer()).
        // The consumer's JVM start and group join (seconds on a loaded machine) are not part of what is compared.
        queue.createTopic(1);
        ServiceProcess consumer = queue.consumer().start();
        queue.awaitGroupAssigned(1, 1, Duration.ofSeconds(60));
        ServiceProcess producer = queue.producer().count(ITEMS).intervalMs(300).partitions(1).start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        List<Producer.Produced> produced = Producer.produced(producer);
        List<Consumer.Consumed> consumed = Consumer.consumed(consumer);
        assertThat(produced).hasSize(ITEMS);
        assertThat(consumed).extracting(Consumer.Consumed::id).containsExactly(0L, 1L, 2L, 3L, 4L);
        long firstConsumed = consumed.get(0).line().nanos();
        long lastProduced = produced.get(ITEMS - 1).line().nanos();
        System.out.printf("CONCURRENT first_consumed_before_last_produced_ms=%d%n",
                Duration.ofNanos(lastProduced - firstConsumed).toMillis());
        assertThat(firstConsumed).as("first Consumed before last Produced").isLessThan(lastProduced);
    }

    @Test
    void runOneAfterTheOtherTheFirstItemIsConsumedAfterTheLastIsProduced() {
        ServiceProcess producer = queue.producer().count(ITEMS).intervalMs(300).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess consumer = queue.consumer().start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        List<Producer.Produced> produced = Producer.produced(producer);
        List<Consumer.Consumed> consumed = Consumer.consumed(consumer);
        assertThat(produced).hasSize(ITEMS);
        assertThat(consumed).extracting(Consumer.Consumed::id).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(consumed.get(0).line().nanos()).as("first Consumed after last Produced")
                .isGreaterThan(produced.get(ITEMS - 1).line().nanos());
    }
}
