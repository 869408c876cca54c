package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.cli.ExitCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer killed with SIGKILL. Before its pills, the run is unfinished: consumers keep waiting, join is not
 * done while items remain, and {@code join --closed} is not done even once they are (lag 0 only says the work put so
 * far is done, as {@code queue.join()} does); the same run, put again with the same {@code --run-id}, completes it, and the items put
 * twice are applied once. After its pills, or with its pills put twice, nothing is harmed.
 *
 * <p>The join with no live consumer and lag above zero (not done, exit 3 at its timeout) is
 * {@link JoinEdgeCasesIT#aGroupWithNoMembersAndLagIsNotDone()}.
 */
class ProducerCrashIT {

    private static final Pattern DUPLICATE_PILL =
            Pattern.compile("^Duplicate poison pill \\(ignored\\) on partition (\\d+) \\(offset (\\d+)\\)$");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void killedBeforeThePillsTheRunStaysOpenUntilARestartWithTheSameRunIdCompletesIt() {
        String run = "producer-crash-before-pills";
        int items = 40;
        Path applied = dir.resolve("applied.log");
        queue.createTopic(2);
        // Slower than the producer, so items are still unfinished when the producer dies.
        ServiceProcess consumer = queue.consumer().workMs(600).appliedLog(applied).start();
        queue.awaitGroupAssigned(1, 2, Duration.ofSeconds(60));
        ServiceProcess crashed = queue.producer().count(items).partitions(2).runId(run).intervalMs(100).join()
                .timeout("60s").start();
        crashed.awaitLines(Producer.PRODUCED, 20, Duration.ofSeconds(60));
        crashed.sigkill();
        assertThat(crashed.awaitExit(Duration.ofSeconds(30))).isEqualTo(ServiceProcess.EXIT_SIGKILL);
        assertThat(crashed.lines(Producer.PILL_SENT)).as("killed before the pills").isEmpty();
        int ackedBeforeCrash = Producer.produced(crashed).size();

        // Frozen, so that items are still unfinished however long join's JVM takes to start on a loaded machine.
        consumer.sigstop();
        try {
            Lag.Snapshot unfinished = queue.awaitLagStill(Duration.ofSeconds(10));
            assertThat(unfinished.total()).as("items unfinished: %s", unfinished).isPositive();
            Join.Exited join = queue.join().timeout("3s").interval("500ms").runJson();
            assertThat(join.exitCode()).as("join is not done while items are unfinished\n"
                    + join.process().output()).isEqualTo(ExitCode.TIMEOUT);
            assertThat(join.output().result().outcome()).isEqualTo("TIMEOUT");
            assertThat(join.output().last().totalLag()).isEqualTo(unfinished.total());
        } finally {
            consumer.sigcont();
        }

        // Everything put gets done, yet the consumer waits: no pill said the run is over.
        Awaitility.await("the group finishing what was put").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> queue.lag().total() == 0);
        Awaitility.await("the consumer still waiting for the run's pills").during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5))
                .until(() -> consumer.isAlive() && Consumer.doneReason(consumer) == null);
        Join.Exited lagOnly = queue.join().timeout("30s").interval("500ms").runJson();
        assertThat(lagOnly.exitCode()).as("plain join: lag 0 is all it asks\n" + lagOnly.process().output())
                .isEqualTo(ExitCode.OK);
        Join.Exited closedJoin = queue.join().flag("--closed").timeout("3s").interval("500ms").runJson();
        assertThat(closedJoin.exitCode()).as("join --closed waits for the run's pills\n"
                + closedJoin.process().output()).isEqualTo(ExitCode.TIMEOUT);
        Join.Result notClosed = closedJoin.output().result();
        assertThat(notClosed.lag()).as("lag 0, yet not done").isZero();
        assertThat(notClosed.json().path("openPartitions")).as("partitions no pill closed")
                .extracting(JsonNode::asInt).containsExactly(0, 1);
        // A send in flight at the kill may be on the topic without its Produced line: the topic says what was put.
        long putBeforeCrash = queue.records().stream().filter(Records.QueueRecord::isItem).count();
        assertThat(putBeforeCrash).isGreaterThanOrEqualTo(ackedBeforeCrash).isLessThan(items);
        assertThat(Consumer.ids(consumer)).hasSize((int) putBeforeCrash);

        ServiceProcess restarted = queue.producer().count(items).partitions(2).runId(run).join().timeout("60s").start();

        assertThat(restarted.awaitExit(EXIT_TIMEOUT)).as(restarted.output()).isZero();
        assertThat(restarted.line(Join.DONE).text()).contains("all 2 partitions");
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        Join.Exited closedAtLast = queue.join().flag("--closed").timeout("30s").runJson();
        assertThat(closedAtLast.exitCode()).as(closedAtLast.process().output()).isEqualTo(ExitCode.OK);
        assertThat(closedAtLast.output().result().outcome()).isEqualTo("DONE");
        Oracle.Result result = new Oracle().acked(run, crashed).acked(run, restarted).consumers(consumer)
                .appliedLog(applied).deadLetters(queue).check("producer-sigkill-before-pills");
        assertThat(result.acked()).isEqualTo(items);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(items);
        assertThat(Oracle.skippedIds(consumer)).as("the items put twice were skipped the second time")
                .hasSize((int) putBeforeCrash);
        assertThat(result.dupDelivered()).isEqualTo(putBeforeCrash);
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void killedAfterThePillsIsHarmless() {
        String run = "producer-crash-after-pills";
        int items = 10;
        Path applied = dir.resolve("applied.log");
        // No consumer yet: the producer's join waits, and the producer dies there, after its pills.
        ServiceProcess producer = queue.producer().count(items).partitions(2).runId(run).join().timeout("60s").start();
        producer.awaitLines(Producer.PILL_SENT, 2, Duration.ofSeconds(60));
        producer.sigkill();
        assertThat(producer.awaitExit(Duration.ofSeconds(30))).isEqualTo(ServiceProcess.EXIT_SIGKILL);

        ServiceProcess consumer = queue.consumer().appliedLog(applied).start();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        Join.Exited join = queue.join().timeout("30s").runJson();
        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(ExitCode.OK);

        Oracle.Result result = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("producer-sigkill-after-pills");
        assertThat(result.acked()).isEqualTo(items);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).isZero();
        assertThat(result.dupDelivered()).isZero();
    }

    @Test
    void pillsPutTwiceAreHarmless() {
        String run = "producer-pills-twice";
        int items = 10;
        Path applied = dir.resolve("applied.log");
        ServiceProcess producer = queue.producer().count(items).partitions(2).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        // The same run again with no items: only its pills, a second time.
        ServiceProcess pillsAgain = queue.producer().count(0).partitions(2).runId(run).run();
        assertThat(pillsAgain.awaitExit(EXIT_TIMEOUT)).as(pillsAgain.output()).isZero();
        assertThat(pillsAgain.lines(Producer.PILL_SENT)).hasSize(2);

        ServiceProcess consumer = queue.consumer().appliedLog(applied).start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        assertThat(consumer.lines(Consumer.PILL)).hasSize(2);
        assertThat(consumer.lines(DUPLICATE_PILL)).as("the second pill on each partition changes nothing")
                .hasSize(2);
        Oracle.Result result = new Oracle().acked(run, producer).consumers(consumer).appliedLog(applied)
                .deadLetters(queue).check("pills-duplicated");
        assertThat(result.acked()).isEqualTo(items);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).isZero();
        assertThat(queue.lag().total()).as("the duplicate pills are committed too").isZero();
    }
}
