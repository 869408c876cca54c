package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same topic and group used again: a second run processes only its own items and stops at its own pills, and a
 * duplicated pill does no harm.
 */
class SecondRunIT {

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void aSecondRunProcessesExactlyItsOwnItemsAndEndsOnItsOwnPills() {
        ServiceProcess producer1 = queue.producer().count(6).partitions(2).runId("run-1").run();
        assertThat(producer1.awaitExit(EXIT_TIMEOUT)).as(producer1.output()).isZero();
        ServiceProcess consumer1 = queue.consumer().appliedLog(dir.resolve("run-1.log")).start();
        assertThat(consumer1.awaitExit(EXIT_TIMEOUT)).as(consumer1.output()).isZero();
        assertThat(Consumer.ids(consumer1)).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L);

        // Run 2's producer goes first: a consumer that finds every partition closed, with nothing after the
        // pills, ends at once, as it should.
        ServiceProcess producer2 = queue.producer().count(4).partitions(2).runId("run-2").run();
        assertThat(producer2.awaitExit(EXIT_TIMEOUT)).as(producer2.output()).isZero();
        Path applied2 = dir.resolve("run-2.log");
        ServiceProcess consumer2 = queue.consumer().appliedLog(applied2).start();

        assertThat(consumer2.awaitExit(EXIT_TIMEOUT)).as(consumer2.output()).isZero();
        assertThat(Consumer.doneReason(consumer2)).isEqualTo("all partitions closed by poison pills");
        assertThat(Consumer.applied(applied2)).as("run 2's consumer applied exactly run 2's items")
                .containsExactlyInAnyOrder("run-2 0", "run-2 1", "run-2 2", "run-2 3");
        Map<String, Records.QueueRecord> byPosition = queue.records().stream()
                .collect(Collectors.toMap(r -> r.partition() + "@" + r.offset(), Function.identity()));
        List<String> runsConsumed = Consumer.consumed(consumer2).stream()
                .map(c -> byPosition.get(c.partition() + "@" + c.offset()).item().runId()).toList();
        assertThat(runsConsumed).as("the records behind run 2's Consumed lines").hasSize(4).containsOnly("run-2");
        assertThat(consumer2.lines(Consumer.PILL)).as("it stopped at run 2's pills, one per partition").hasSize(2);
        assertThat(queue.lag().total()).isZero();
    }

    /**
     * {@code --run-id}: a consumer that starts after a run was put and worked, with nothing left for it, ends at that
     * run's pills (put before it started) when it is told the run; a consumer not told it waits for a run of its own.
     */
    @Test
    void aConsumerToldTheRunEndsAtItsPillsPutBeforeItStarted() {
        ServiceProcess producer = queue.producer().count(6).partitions(2).runId("nightly").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess worker = queue.consumer().start();
        assertThat(worker.awaitExit(EXIT_TIMEOUT)).as(worker.output()).isZero();
        assertThat(Consumer.ids(worker)).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L);

        ServiceProcess untold = queue.consumer().start();
        ServiceProcess told = queue.consumer().flag("--run-id", "nightly").start();

        assertThat(told.awaitExit(EXIT_TIMEOUT)).as(told.output()).isZero();
        assertThat(Consumer.doneReason(told)).isEqualTo("all partitions closed by poison pills");
        assertThat(Consumer.ids(told)).isEmpty();
        assertThat(untold.isAlive()).as("a consumer not told the run waits for pills of its own: " + untold.output())
                .isTrue();
        untold.sigterm();
        assertThat(untold.awaitExit(EXIT_TIMEOUT)).as(untold.output()).isZero();
        assertThat(Consumer.doneReason(untold)).isEqualTo("stopped by signal");
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void aDuplicatedPillIsHarmless() throws Exception {
        ServiceProcess producer = queue.producer().count(3).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        Records.QueueRecord pill = queue.records().stream().filter(Records.QueueRecord::isPill).findFirst()
                .orElseThrow();
        resend(pill);
        assertThat(queue.records()).filteredOn(Records.QueueRecord::isPill).hasSize(2);

        ServiceProcess consumer = queue.consumer().start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L);
        assertThat(queue.lag().total()).as("the duplicate was committed past too").isZero();
        ServiceProcess join = queue.join().timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();
    }

    /** Writes the record's exact key, value and headers again to its partition, with a plain producer. */
    private void resend(Records.QueueRecord record) throws Exception {
        queue.broker().send(new ProducerRecord<>(queue.topic(), record.partition(), record.raw().key(),
                record.raw().value(), record.raw().headers()));
    }
}
