package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --concurrency N}: N items in flight in one consumer, past the partition count, like N consumer tasks on one
 * asyncio queue. On a single partition, every item is applied once, all N workers were busy at once, and the commit
 * reaches the pill.
 */
class ConcurrencyIT {

    private static final int ITEMS = 12;
    private static final int CONCURRENCY = 4;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void fourItemsInFlightOnOnePartition() {
        String run = "concurrency";
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(1).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = queue.consumer().workMs(1_000)
                .flag("--concurrency", Integer.toString(CONCURRENCY)).flag("--ordering", "unordered").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        assertThat(consumer.lines()).extracting(ServiceProcess.Line::text)
                .contains("Workers: 4 threads, at most 4 items in progress at once");
        Oracle.Result result = new Oracle().acked(run, producer).consumers(consumer).deadLetters(queue)
                .check("concurrency-4");
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
        assertThat(queue.lag().committed()).as("items and the pill, all committed").isEqualTo(Map.of(0, ITEMS + 1L));
    }
}
