package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.Join;
import dev.kafkaqueue.common.LagSnapshot;
import dev.kafkaqueue.common.PartitionLag;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * Prints join progress: a table of committed, end and lag per partition whenever it changes (and at least every
 * {@code heartbeat}), then one line with the verdict. Used by {@code join} and by the producer's {@code --join}.
 */
final class JoinReporter {

    private final PrintStream out;
    private final long heartbeatNanos;
    private final OptionalLong expectedItems;
    private List<PartitionLag> lastPrinted;
    private long lastPrintedNanos;

    /**
     * @param out           where lines go
     * @param heartbeat     the longest time between two tables while nothing changes
     * @param expectedItems the items the run put, for the final line, if known
     */
    JoinReporter(PrintStream out, Duration heartbeat, OptionalLong expectedItems) {
        this.out = out;
        this.heartbeatNanos = heartbeat.toNanos();
        this.expectedItems = expectedItems;
    }

    /** Called with every snapshot. */
    void progress(LagSnapshot snapshot) {
        long now = System.nanoTime();
        if (snapshot.partitions().equals(lastPrinted) && now - lastPrintedNanos < heartbeatNanos) {
            return;
        }
        print(snapshot);
        lastPrinted = snapshot.partitions();
        lastPrintedNanos = now;
    }

    /** Prints the verdict, and the last table again when the work is not done. */
    void finish(Join.Result result, Duration timeout) {
        LagSnapshot last = result.last();
        switch (result.outcome()) {
            case DONE -> out.println("join: done, lag 0 on all " + last.partitions().size() + " partitions of "
                    + last.topic() + " for group " + last.group()
                    + expectedItems.stream().mapToObj(n -> "; all " + n + " items done").findFirst().orElse(""));
            case TIMEOUT -> {
                if (last != null) {
                    print(last);
                }
                out.println("join: not done after " + timeout.toMillis() + " ms: "
                        + (last == null ? "no lag snapshot could be taken"
                        : !last.topicExists() ? "topic " + last.topic() + " does not exist"
                        : "lag " + last.totalLag() + " with " + last.members() + " live members"));
            }
            case LOST_WORK -> out.println("join: lag 0, but " + result.lostRecords()
                    + " records were deleted by retention before the group processed them: lost work");
        }
        out.flush();
    }

    private void print(LagSnapshot snapshot) {
        if (!snapshot.topicExists()) {
            out.println("join: " + snapshot.topic() + " does not exist yet");
            return;
        }
        out.println("join: " + snapshot.topic() + " group " + snapshot.group() + ": lag " + snapshot.totalLag()
                + " (members " + snapshot.members() + ")");
        for (PartitionLag p : snapshot.partitions()) {
            out.println("join:   partition " + p.partition() + " committed "
                    + (p.committed() == null ? "-" : p.committed()) + " end " + p.endOffset() + " lag " + p.lag()
                    + (p.lost() > 0 ? " LOST " + p.lost() : ""));
        }
        out.flush();
    }
}
