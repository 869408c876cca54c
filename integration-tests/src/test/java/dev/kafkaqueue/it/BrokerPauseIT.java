package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker frozen with {@code docker pause} while items flow. A pause shorter than the clients' timeouts is ridden
 * out: the producer and the consumer carry on by themselves, with nothing lost. A pause longer than the producer's
 * {@code delivery.timeout.ms} fails a send: the producer says so, stops putting, and exits 1.
 *
 * <p>The broker is the suite's shared one; every pause is undone in a {@code finally}.
 */
class BrokerPauseIT {

    /** Longer than the consumer's 500 ms poll timeout, shorter than the clients' 30 s request timeout. */
    private static final Duration PAUSE = Duration.ofSeconds(8);
    private static final Pattern FAILED =
            Pattern.compile("^Producer failed: (\\d+) of (\\d+) items acknowledged; a send failed: (.+)$");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void theProducerAndConsumerRecoverFromAPauseLongerThanAPoll() {
        String run = "broker-pause";
        int items = 80;
        Path applied = dir.resolve("applied.log");
        queue.createTopic(2);
        ServiceProcess consumer = queue.consumer().workMs(20).appliedLog(applied).start();
        queue.awaitGroupAssigned(1, 2, Duration.ofSeconds(60));
        ServiceProcess producer = queue.producer().count(items).partitions(2).runId(run).intervalMs(50).join()
                .timeout("60s").start();
        producer.awaitLines(Producer.PRODUCED, 20, Duration.ofSeconds(60));
        consumer.awaitLines(Consumer.CONSUMED, 10, Duration.ofSeconds(60));

        Broker broker = queue.broker();
        Progress beforeUnpause;
        long unpaused;
        broker.pause();
        try {
            // Frozen means frozen. What was already under way may still land (acknowledgements on the wire, records
            // in the consumer's hands; on a loaded machine that can be several), then nothing moves for the pause.
            Progress frozen = awaitStill(producer, consumer, PAUSE.plusSeconds(30));
            Awaitility.await("no progress while the broker is paused").during(PAUSE).atMost(PAUSE.plusSeconds(5))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> Progress.of(producer, consumer).equals(frozen));
            beforeUnpause = Progress.of(producer, consumer);
            // Taken before the unpause: the acknowledgements held back can all arrive in the instant after it.
            unpaused = System.nanoTime();
        } finally {
            broker.unpause();
        }
        // Counted, not timed: the first line past what was printed before the unpause.
        ServiceProcess.Line nextAck = awaitLine(producer, Producer.PRODUCED, beforeUnpause.produced());
        ServiceProcess.Line nextDone = awaitLine(consumer, Consumer.CONSUMED, beforeUnpause.consumed());

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        System.out.printf("BROKER_PAUSE pause_ms=%d producer_resumed_after_ms=%d consumer_resumed_after_ms=%d%n",
                PAUSE.toMillis(), Duration.ofNanos(nextAck.nanos() - unpaused).toMillis(),
                Duration.ofNanos(nextDone.nanos() - unpaused).toMillis());
        assertThat(producer.line(Join.DONE).text()).contains("all 2 partitions");
        Oracle.Result result = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("broker-paused-" + PAUSE.toSeconds() + "s");
        assertThat(result.acked()).isEqualTo(items);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(queue.lag().total()).isZero();
    }

    /** How many items the producer had acknowledged and the consumer had processed, as their output shows. */
    private record Progress(int produced, int consumed) {
        static Progress of(ServiceProcess producer, ServiceProcess consumer) {
            return new Progress(producer.lines(Producer.PRODUCED).size(), consumer.lines(Consumer.CONSUMED).size());
        }
    }

    /** Waits until neither process printed a new item line for a whole second, and returns where they stopped. */
    private static Progress awaitStill(ServiceProcess producer, ServiceProcess consumer, Duration timeout) {
        AtomicReference<Progress> last = new AtomicReference<>(Progress.of(producer, consumer));
        Awaitility.await("no new item lines for 1 s after the pause").atMost(timeout)
                .pollDelay(Duration.ofSeconds(1)).pollInterval(Duration.ofSeconds(1))
                .until(() -> last.getAndSet(Progress.of(producer, consumer)).equals(last.get()));
        return last.get();
    }

    /** The line matching {@code regex} after the first {@code seen} such lines, waiting up to 60 s for it. */
    private static ServiceProcess.Line awaitLine(ServiceProcess process, Pattern regex, int seen) {
        return process.awaitLines(regex, seen + 1, Duration.ofSeconds(60)).get(seen);
    }

    @Test
    void aSendThatFinallyFailsIsReportedAndTheProducerExitsNonZero() throws IOException {
        String run = "broker-pause-fail";
        int items = 1000;
        Path applied = dir.resolve("applied.log");
        // A send gives up after 6 s instead of 2 min; the pause outlasts it.
        Path config = Files.writeString(dir.resolve("producer.properties"),
                "delivery.timeout.ms=6000\nrequest.timeout.ms=3000\nlinger.ms=0\nmax.block.ms=6000\n");
        ServiceProcess producer = queue.producer().count(items).partitions(1).runId(run).intervalMs(50)
                .flag("--command-config", config.toString()).flag("--item-log", "each").start();
        producer.awaitLines(Producer.PRODUCED, 10, Duration.ofSeconds(60));

        Broker broker = queue.broker();
        long paused = System.nanoTime();
        int exit;
        broker.pause();
        try {
            exit = producer.awaitExit(Duration.ofSeconds(60));
        } finally {
            broker.unpause();
        }
        System.out.printf("BROKER_PAUSE_FAIL producer_exit_after_ms=%d%n",
                Duration.ofNanos(System.nanoTime() - paused).toMillis());

        assertThat(exit).as(producer.output()).isEqualTo(ExitCode.FAILURE);
        Matcher failed = producer.firstMatch(FAILED);
        assertThat(failed).as("the failure is reported\n" + producer.output()).isNotNull();
        List<Producer.Produced> produced = Producer.produced(producer);
        assertThat(Long.parseLong(failed.group(1))).as("acknowledged count").isEqualTo(produced.size())
                .isLessThan(items);
        assertThat(failed.group(3)).as("the cause").startsWith("TimeoutException").contains("Expiring");
        assertThat(producer.lines(Producer.PILL_SENT)).as("no pills after a failed run").isEmpty();
        assertThat(producer.lines(Producer.DONE)).isEmpty();

        // Never silently dropped: every item reported acknowledged is on the topic and gets processed.
        ServiceProcess consumer = queue.consumer().appliedLog(applied).start();
        List<Long> ackedIds = produced.stream().map(Producer.Produced::id).toList();
        Awaitility.await("every acknowledged item processed").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> Consumer.ids(consumer).containsAll(ackedIds));
        consumer.sigterm();
        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();
        Oracle.Result result = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("broker-paused-past-delivery-timeout");
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
    }
}
