package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kafkaqueue.cli.ExitCode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract's rule for partitions without a committed offset: they lag by end minus log start, and are done
 * only if that is zero. A group with no live members and lag above zero is therefore not done. join's answers can be
 * trusted: {@code --count} is checked against the log, every {@code --json} result says why, a signal gets a result.
 */
class JoinEdgeCasesIT {

    /** join's exit code when SIGINT or SIGTERM stops it before the work is done (README's exit-code table). */
    private static final int EXIT_STOPPED = 5;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void anEmptyTopicWithNoCommitsIsDone() {
        queue.createTopic(2);

        Join.Exited join = queue.join().timeout("10s").runJson();

        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(ExitCode.OK);
        assertThat(join.output().result().outcome()).isEqualTo("DONE");
        assertThat(join.output().last().partitions()).containsOnlyKeys(0, 1);
    }

    @Test
    void aGroupWithNoMembersAndLagIsNotDone() {
        ServiceProcess producer = queue.producer().count(3).partitions(2).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        Join.Exited join = queue.join().timeout("3s").interval("500ms").runJson();

        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(ExitCode.TIMEOUT);
        Join.Table last = join.output().last();
        assertThat(last.members()).isZero();
        assertThat(last.totalLag()).as("3 items + 2 pills, none committed").isEqualTo(5);
        Map<Integer, Long> ends = queue.lag().ends();
        assertThat(last.partitions().values()).allSatisfy(row -> {
            assertThat(row.committed()).isNull();
            assertThat(row.lag()).isEqualTo(row.end()).isEqualTo(ends.get(row.partition()));
        });
        assertThat(join.output().result().json().get("reason").asText())
                .isEqualTo("not done after 3s: lag 5 with 0 live members; hint: group "
                + queue.group() + " has never committed an offset on " + queue.topic()
                + ", so no consumer of it has finished an item here: check --group, and that the consumers run and "
                + "commit (--commit none never does)");
    }

    @Test
    void aCountTheTopicDoesNotHoldIsNeverCalledDone() throws Exception {
        queue.createTopic(1);

        ServiceProcess join = queue.join().count(3).flag("--json").timeout("2s").run();

        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(3);
        JsonNode result = result(join);
        assertThat(result.get("outcome").asText()).isEqualTo("TIMEOUT");
        assertThat(result.get("reason").asText()).isEqualTo("not done after 2s: lag 0, but the topic holds only 0 "
                + "records, fewer than --count 3: the run's items are not all put yet");
    }

    @Test
    void aJsonResultForAMissingTopicCarriesItsReason() throws Exception {
        ServiceProcess join = queue.join().flag("--json").timeout("2s").run();

        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isEqualTo(3);
        JsonNode result = result(join);
        assertThat(result.get("exitCode").asInt()).isEqualTo(3);
        assertThat(result.get("reason").asText())
                .isEqualTo("not done after 2s: topic " + queue.topic() + " does not exist");
    }

    @Test
    void sigtermPrintsAResultAndExitsWithTheDocumentedCode() {
        ServiceProcess producer = queue.producer().count(2).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess join = queue.join().timeout("120s").start();
        join.awaitLines(Join.TOTAL, 1, Duration.ofSeconds(60));

        long signalled = System.nanoTime();
        join.sigterm();

        assertThat(join.awaitExit(Duration.ofSeconds(30))).as(join.output()).isEqualTo(EXIT_STOPPED);
        Duration stopping = Duration.ofNanos(System.nanoTime() - signalled);
        System.out.printf("JOIN_SIGTERM exit_after_ms=%d%n", stopping.toMillis());
        assertThat(stopping).as("join ends soon after SIGTERM, not at its timeout").isLessThan(Duration.ofSeconds(10));
        assertThat(verdict(join)).startsWith("join: stopped by a signal before the work was done: lag 3 with 0 live "
                + "members");
    }

    private static String verdict(ServiceProcess join) {
        List<ServiceProcess.Line> lines = join.lines(Pattern.compile("^join: (done|not done|stopped|lag 0)"));
        assertThat(lines).as("join's verdict line\n" + join.output()).isNotEmpty();
        return lines.get(lines.size() - 1).text();
    }

    private static JsonNode result(ServiceProcess join) throws Exception {
        List<ServiceProcess.Line> lines = join.lines(Pattern.compile("^\\{\"event\":\"result\""));
        assertThat(lines).as("join --json's result line\n" + join.output()).hasSize(1);
        return new ObjectMapper().readTree(lines.get(0).text());
    }
}
