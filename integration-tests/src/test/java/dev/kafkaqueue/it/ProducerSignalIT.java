package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM while the producer waits on a full queue ({@code --maxsize}, no consumer): the wait ends at once, the
 * producer flushes, prints its report and exits 1 (README: SIGTERM before the pills), long before its timeout.
 */
class ProducerSignalIT {

    private static final int MAXSIZE = 3;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void sigtermDuringAFullQueueWaitEndsAtOnceWithItsReport() {
        ServiceProcess producer = queue.producer().count(10).maxsize(MAXSIZE).partitions(1).timeout("120s")
                .flag("--item-log", "each").start();
        producer.awaitLines(Producer.PRODUCED, MAXSIZE, Duration.ofSeconds(60));
        // Blocked: nothing commits, so the producer stays at maxsize items for as long as we look.
        Awaitility.await("the producer held at " + MAXSIZE + " items").atMost(Duration.ofSeconds(30))
                .during(Duration.ofSeconds(1))
                .until(() -> producer.isAlive() && Producer.produced(producer).size() == MAXSIZE);

        long signalled = System.nanoTime();
        producer.sigterm();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(1);
        Duration stopping = Duration.ofNanos(System.nanoTime() - signalled);
        System.out.printf("PRODUCER_SIGTERM_FULL_QUEUE exit_after_ms=%d%n", stopping.toMillis());
        // The service itself ends within a second; the bound allows JVM exit on two loaded cores.
        assertThat(stopping).as("exit after SIGTERM").isLessThan(Duration.ofSeconds(5));
        assertThat(producer.line(java.util.regex.Pattern.compile("^Producer stopped by signal")).text())
                .isEqualTo("Producer stopped by signal: 3 of 10 items acknowledged, no poison pills sent");
        assertThat(producer.lines(Producer.PILL_SENT)).isEmpty();
        assertThat(queue.records()).as("the three items, flushed; no pills").hasSize(MAXSIZE);
    }
}
