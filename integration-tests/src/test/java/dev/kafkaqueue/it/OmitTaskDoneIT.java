package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import dev.kafkaqueue.cli.ExitCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Recap Q5: omitting {@code task_done()}. The consumer processes everything but never commits, so the producer's
 * {@code --join} times out with exit 3 and the lag stays at the number of records put.
 *
 * <p>Lag counts records, and a poison pill is a record: with the pill on one partition the lag is items + 1; with
 * {@code --no-pill} it is exactly the items.
 */
class OmitTaskDoneIT {

    private static final int ITEMS = 5;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void withThePillJoinTimesOutAndLagIsItemsPlusThePill() {
        ServiceProcess consumer = queue.consumer().commit(Commit.NONE).start();
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(1).join().timeout("5s").start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as("join timed out\n" + producer.output())
                .isEqualTo(ExitCode.TIMEOUT);
        assertThat(producer.lines(Join.DONE)).isEmpty();
        assertThat(Producer.produced(producer)).hasSize(ITEMS);
        consumer.awaitLine(Consumer.PILL, Duration.ofSeconds(30));
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(Join.lastTable(producer).totalLag()).as(producer.output()).isEqualTo(ITEMS + 1);
        Lag.Snapshot lag = queue.lag();
        assertThat(lag.committed()).as("nothing was ever committed").isEmpty();
        assertThat(lag.total()).as("5 items + 1 pill, all records, none committed").isEqualTo(ITEMS + 1);

        // The pill may already have ended the consumer (asyncio's consumer breaks on None without task_done);
        // either way it stops cleanly.
        consumer.sigterm();
        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();
    }

    @Test
    void withoutThePillJoinTimesOutWithLagExactlyTheItemsAndSigtermStopsTheConsumer() {
        ServiceProcess consumer = queue.consumer().commit(Commit.NONE).start();
        ServiceProcess producer = queue.producer().count(ITEMS).noPill().partitions(1).join().timeout("5s").start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as("join timed out\n" + producer.output())
                .isEqualTo(ExitCode.TIMEOUT);
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(Join.lastTable(producer).totalLag()).as(producer.output()).isEqualTo(ITEMS);
        Lag.Snapshot lag = queue.lag();
        assertThat(lag.committed()).isEmpty();
        assertThat(lag.total()).isEqualTo(ITEMS);
        assertThat(consumer.isAlive()).as("no pill: the consumer waits for more").isTrue();

        long signalled = System.nanoTime();
        consumer.sigterm();

        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(5));
        assertThat(Consumer.doneReason(consumer)).isEqualTo("stopped by signal");
        assertThat(queue.lag().total()).as("still nothing done").isEqualTo(ITEMS);
    }
}
