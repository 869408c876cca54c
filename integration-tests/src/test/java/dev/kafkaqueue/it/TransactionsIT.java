package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Transactions put control records (markers) on offsets. The consumer commits its next position, not
 * {@code offset + 1}, so lag still reaches zero and join returns.
 */
class TransactionsIT {

    private static final int ITEMS = 30;
    private static final int PARTITIONS = 2;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void aTransactionalProducerWithJoinReachesZeroLag() {
        ServiceProcess consumer = queue.consumer().start();
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(PARTITIONS)
                .transactionalId("tx-" + queue.topic()).join().timeout("60s").start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        producer.line(Join.DONE);
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.ids(consumer)).containsExactlyInAnyOrderElementsOf(
                LongStream.range(0, ITEMS).boxed().toList());

        Lag.Snapshot lag = queue.lag();
        long records = queue.records().size();
        long offsets = lag.ends().values().stream().mapToLong(Long::longValue).sum();
        assertThat(records).as("items and a pill per partition").isEqualTo(ITEMS + PARTITIONS);
        assertThat(offsets).as("transaction markers took offsets beyond the records").isGreaterThan(records);
        assertThat(lag.committed()).as("committed past the markers, to the log end").isEqualTo(lag.ends());
        assertThat(lag.total()).isZero();
    }

    @Test
    void aProducerFencedByASecondOneWithTheSameIdSaysSoAndReports() {
        String id = "tx-fence-" + queue.topic();
        ServiceProcess first = queue.producer().count(1000).partitions(1).transactionalId(id).intervalMs(50)
                .flag("--item-log", "each").start();
        first.awaitLines(Producer.PRODUCED, 5, Duration.ofSeconds(60));

        ServiceProcess second = queue.producer().count(1).partitions(1).transactionalId(id).start();

        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(first.awaitExit(EXIT_TIMEOUT)).as(first.output()).isEqualTo(1);
        String report = first.line(Pattern.compile("^Producer fenced")).text();
        long produced = Producer.produced(first).size();
        assertThat(report).startsWith("Producer fenced: another producer started with the same --transactional-id '"
                + id + "' and took over; " + produced + " of 1000 items acknowledged, ");
        assertThat(first.stderr()).as("a report, not a stack trace")
                .noneMatch(line -> line.text().startsWith("\tat "));
    }
}
