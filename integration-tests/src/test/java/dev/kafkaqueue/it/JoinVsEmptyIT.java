package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import dev.kafkaqueue.cli.ExitCode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Recap Q2: {@code empty()} is not {@code join()}. Everything fetched but nothing committed: the consumer reports
 * the queue empty, and join still times out with the whole lag.
 */
class JoinVsEmptyIT {

    private static final int ITEMS = 4;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void everythingFetchedButNothingDoneIsEmptyButJoinTimesOut() {
        ServiceProcess producer = queue.producer().count(ITEMS).noPill().partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess consumer = queue.consumer().commit(Commit.NONE).start();
        consumer.awaitLines(Consumer.CONSUMED, ITEMS, Duration.ofSeconds(60));
        ServiceProcess.Line empty = consumer.awaitLine(Consumer.EMPTY, Duration.ofSeconds(30));

        Join.Exited join = queue.join().timeout("5s").interval("500ms").runJson();

        assertThat(join.exitCode()).as("join timed out\n" + join.process().output()).isEqualTo(ExitCode.TIMEOUT);
        assertThat(join.output().result().outcome()).isEqualTo("TIMEOUT");
        assertThat(consumer.isAlive()).as("the consumer was a live member all along").isTrue();
        Join.Table last = join.output().last();
        assertThat(last.totalLag()).as(join.process().output()).isEqualTo(ITEMS);
        assertThat(last.members()).as("the consumer is a live member").isEqualTo(1);
        assertThat(last.partitions()).containsExactly(
                Map.entry(0, new Join.Row(0, null, ITEMS, ITEMS)));
        assertThat(join.process().lines().get(0).nanos()).as("join started after the consumer said empty")
                .isGreaterThan(empty.nanos());
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L, 3L);
        Lag.Snapshot lag = queue.lag();
        assertThat(lag.committed()).isEmpty();
        assertThat(lag.total()).isEqualTo(ITEMS);

        consumer.sigterm();
        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("stopped by signal");
    }
}
