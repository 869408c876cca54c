package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * Join progress for logs: a table of committed, end and lag per partition whenever it changes (and at least every
 * {@code heartbeat}), then one line with the verdict.
 */
final class JoinReporter implements JoinDisplay {

    private final PrintStream out;
    private final long heartbeatNanos;
    private final JoinSettings settings;
    private List<PartitionLag> lastPrinted;
    private long lastPrintedNanos;

    /**
     * @param out           where lines go
     * @param heartbeat     the longest time between two tables while nothing changes
     * @param settings      the join's settings, for the verdict
     */
    JoinReporter(PrintStream out, Duration heartbeat, JoinSettings settings) {
        this.out = out;
        this.heartbeatNanos = heartbeat.toNanos();
        this.settings = settings;
    }

    @Override
    public void progress(LagSnapshot snapshot) {
        long now = System.nanoTime();
        if (snapshot.partitions().equals(lastPrinted) && now - lastPrintedNanos < heartbeatNanos) {
            return;
        }
        print(snapshot);
        lastPrinted = snapshot.partitions();
        lastPrintedNanos = now;
    }

    @Override
    public void finish(Join.Result result) {
        if (result.outcome() != Join.Outcome.DONE && result.last() != null) {
            print(result.last());
        }
        out.println(Verdict.line(result, settings));
        out.flush();
    }

    private void print(LagSnapshot snapshot) {
        if (!snapshot.topicExists()) {
            out.println("join: " + snapshot.topic() + " does not exist yet");
            return;
        }
        long now = System.currentTimeMillis();
        out.println("join: " + snapshot.topic() + " group " + snapshot.group() + ": lag " + snapshot.totalLag()
                + " (members " + snapshot.members() + ")");
        for (PartitionLag p : snapshot.partitions()) {
            out.println("join:   partition " + p.partition() + " committed "
                    + (p.committed() == null ? "-" : p.committed()) + " end " + p.endOffset() + " lag " + p.lag()
                    + (p.lost() > 0 ? " LOST " + p.lost() : "") + Ages.text(p.ageMillis(now), " oldest "));
        }
        out.flush();
    }
}
