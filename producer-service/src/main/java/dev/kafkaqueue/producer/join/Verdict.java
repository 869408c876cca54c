package dev.kafkaqueue.producer.join;

import static dev.kafkaqueue.internal.Words.plural;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.cli.Settings;
import java.util.OptionalLong;

/** Why a join ended, in one sentence: the text line's verdict and the JSON result's {@code reason}. */
final class Verdict {

    private Verdict() {
    }

    /** The verdict line the text displays print. */
    static String line(Join.Result result, JoinSettings settings) {
        return (result.outcome() == Join.Outcome.DONE ? "join: done, " : "join: ") + reason(result, settings);
    }

    /** The reason, without the {@code join:} prefix. */
    static String reason(Join.Result result, JoinSettings settings) {
        LagSnapshot last = result.last();
        OptionalLong expected = settings.expectedItems();
        return switch (result.outcome()) {
            case DONE -> "lag 0 on all " + plural(last.partitions().size(), "partition") + " of " + last.topic()
                    + " for group " + last.group()
                    + (expected.isPresent() ? "; all " + plural(expected.getAsLong(), "item") + " done" : "");
            case TIMEOUT -> "not done after " + Settings.text(settings.timeout()) + ": " + state(last, settings);
            case STOPPED -> "stopped by a signal before the work was done: " + state(last, settings);
            case LOST_WORK -> "lag 0, but " + plural(result.lostRecords(), "record")
                    + " were deleted by retention before the group processed them: lost work";
        };
    }

    /** What was still missing at the last snapshot, with a hint when the group never committed. */
    private static String state(LagSnapshot last, JoinSettings settings) {
        if (last == null) {
            return "no lag snapshot could be taken";
        }
        if (!last.topicExists()) {
            return "topic " + last.topic() + " does not exist";
        }
        String state;
        if (last.totalLag() > 0) {
            state = "lag " + last.totalLag() + " with " + plural(last.members(), "live member");
        } else if (last.records() < settings.expectedItems().orElse(0)) {
            state = "lag 0, but the topic holds only " + plural(last.records(), "record") + ", fewer than --count "
                    + settings.expectedItems().getAsLong() + ": the run's items are not all put yet";
        } else if (last.done() && !last.doneAndClosed()) {
            state = "lag 0, but partitions " + last.openPartitions() + " are not closed by a poison pill: the run's "
                    + "producer has not finished";
        } else {
            state = "lag " + last.totalLag();
        }
        if (last.neverCommitted() && last.records() > 0) {
            state += "; hint: group " + last.group() + " has never committed an offset on " + last.topic()
                    + ", so no consumer of it has finished an item here: check --group, and that the consumers "
                    + "run and commit (--commit none never does)";
        }
        return state;
    }
}
