package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.Join;
import dev.kafkaqueue.common.LagSnapshot;
import java.io.PrintStream;
import java.time.Duration;
import java.util.OptionalLong;

/** How join shows its progress: chosen once from the flags and whether standard output is a terminal. */
interface JoinDisplay {

    /** Called with every lag snapshot. */
    void progress(LagSnapshot snapshot);

    /** Called once with the verdict. */
    void finish(Join.Result result, Duration timeout);

    /** The display for this output: JSON lines, a progress bar on a terminal, or log lines. */
    static JoinDisplay choose(boolean json, boolean perPartition, OptionalLong expectedItems, PrintStream out) {
        if (json) {
            return new JsonJoinDisplay(out);
        }
        if (System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"))) {
            return new ProgressBarDisplay(out, perPartition, expectedItems);
        }
        return new JoinReporter(out, Duration.ofSeconds(5), expectedItems);
    }

    /** The verdict line shared by the human displays. */
    static String verdict(Join.Result result, Duration timeout, OptionalLong expectedItems) {
        LagSnapshot last = result.last();
        return switch (result.outcome()) {
            case DONE -> "join: done, lag 0 on all " + last.partitions().size() + " partitions of " + last.topic()
                    + " for group " + last.group()
                    + expectedItems.stream().mapToObj(n -> "; all " + n + " items done").findFirst().orElse("");
            case TIMEOUT -> "join: not done after " + timeout.toMillis() + " ms: "
                    + (last == null ? "no lag snapshot could be taken"
                    : !last.topicExists() ? "topic " + last.topic() + " does not exist"
                    : last.done() ? "lag 0, but partitions " + last.openPartitions() + " are not closed by a poison "
                    + "pill: the run's producer has not finished"
                    : "lag " + last.totalLag() + " with " + last.members() + " live members");
            case LOST_WORK -> "join: lag 0, but " + result.lostRecords()
                    + " records were deleted by retention before the group processed them: lost work";
        };
    }
}
