package dev.kafkaqueue.producer.join;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import dev.kafkaqueue.cli.QueueAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class VerdictTest {

    @Test
    void doneSaysTheCountWithTheRightPlurals() {
        LagSnapshot one = snapshot(List.of(new PartitionLag(0, 2L, 0, 2)));

        assertThat(Verdict.line(new Join.Result(Join.Outcome.DONE, one, 0), settings(OptionalLong.of(1))))
                .isEqualTo("join: done, lag 0 on all 1 partition of jobs for group workers; all 1 item done");
    }

    @Test
    void aCountTheTopicDoesNotReachIsNotDone() {
        LagSnapshot five = snapshot(List.of(new PartitionLag(0, 5L, 0, 5)));

        assertThat(Verdict.reason(new Join.Result(Join.Outcome.TIMEOUT, five, 0), settings(OptionalLong.of(999))))
                .isEqualTo("not done after 5s: lag 0, but the topic holds only 5 records, fewer than --count 999: "
                        + "the run's items are not all put yet");
    }

    @Test
    void aGroupThatNeverCommittedGetsAHint() {
        LagSnapshot never = snapshot(List.of(new PartitionLag(0, null, 0, 3), new PartitionLag(1, null, 0, 2)));

        assertThat(Verdict.reason(new Join.Result(Join.Outcome.TIMEOUT, never, 0), settings(OptionalLong.empty())))
                .startsWith("not done after 5s: lag 5 with 0 live members; hint: group workers has never committed "
                        + "an offset on jobs");
    }

    @Test
    void everyJsonResultCarriesItsReasonAMissingTopicToo() throws Exception {
        LagSnapshot missing = new LagSnapshot("jobs", "workers", false, List.of(), 0, "Unknown");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonJoinDisplay display = new JsonJoinDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                settings(OptionalLong.empty()));

        display.finish(new Join.Result(Join.Outcome.TIMEOUT, missing, 0));

        JsonNode result = new ObjectMapper().readTree(bytes.toString(StandardCharsets.UTF_8));
        assertThat(result.get("event").asText()).isEqualTo("result");
        assertThat(result.get("exitCode").asInt()).isEqualTo(ExitCode.TIMEOUT);
        assertThat(result.get("reason").asText()).isEqualTo("not done after 5s: topic jobs does not exist");
    }

    @Test
    void aSignalledJoinSaysWhatWasLeftAndExitsFive() throws Exception {
        LagSnapshot lag = snapshot(List.of(new PartitionLag(0, 1L, 0, 4)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonJoinDisplay display = new JsonJoinDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8),
                settings(OptionalLong.empty()));

        display.finish(new Join.Result(Join.Outcome.STOPPED, lag, 0));

        JsonNode result = new ObjectMapper().readTree(bytes.toString(StandardCharsets.UTF_8));
        assertThat(result.get("outcome").asText()).isEqualTo("STOPPED");
        assertThat(result.get("exitCode").asInt()).isEqualTo(5);
        assertThat(result.get("reason").asText())
                .isEqualTo("stopped by a signal before the work was done: lag 3 with 0 live members");
    }

    private static LagSnapshot snapshot(List<PartitionLag> partitions) {
        return new LagSnapshot("jobs", "workers", true, partitions, 0, "Empty");
    }

    private static JoinSettings settings(OptionalLong count) {
        return new JoinSettings(new QueueAddress(new ClientConfig("unused:9092", Map.of()), "jobs", "workers"),
                Duration.ofSeconds(5), Duration.ofMillis(200), count, Join.Condition.LAG_ZERO,
                JoinSettings.Display.JSON, Duration.ofSeconds(1));
    }
}
