package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Join progress on a terminal: one line redrawn in place with a bar of records done over records written, the rate
 * and an estimate of the time left; with {@code perPartition}, each partition's lag after it.
 */
final class ProgressBarDisplay implements JoinDisplay {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean perPartition;
    private final JoinSettings settings;
    private long firstDone = -1;
    private long firstNanos;

    ProgressBarDisplay(PrintStream out, JoinSettings settings) {
        this.out = out;
        this.perPartition = settings.display() == JoinSettings.Display.PER_PARTITION;
        this.settings = settings;
    }

    @Override
    public void progress(LagSnapshot snapshot) {
        if (!snapshot.topicExists()) {
            out.print("\rjoin: waiting for topic " + snapshot.topic() + "\u001B[K");
            out.flush();
            return;
        }
        long written = snapshot.partitions().stream().mapToLong(p -> p.endOffset() - p.startOffset()).sum();
        long done = written - snapshot.totalLag();
        long now = System.nanoTime();
        if (firstDone < 0) {
            firstDone = done;
            firstNanos = now;
        }
        double seconds = (now - firstNanos) / 1e9;
        double rate = seconds > 0 ? (done - firstDone) / seconds : 0;
        int filled = written == 0 ? WIDTH : (int) (WIDTH * done / written);
        StringBuilder line = new StringBuilder("\rjoin [")
                .append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ")
                .append(done).append('/').append(written).append(" records done")
                .append(String.format(Locale.ROOT, ", %.0f/s", rate))
                .append(rate > 0 ? ", ETA " + Duration.ofSeconds((long) (snapshot.totalLag() / rate)) : "")
                .append(Ages.text(snapshot.oldestAgeMillis(System.currentTimeMillis()), ", oldest "))
                .append(", members ").append(snapshot.members());
        if (perPartition) {
            for (PartitionLag p : snapshot.partitions()) {
                line.append(" | p").append(p.partition()).append(" lag ").append(p.lag());
            }
        }
        out.print(line.append("\u001B[K"));
        out.flush();
    }

    @Override
    public void finish(Join.Result result) {
        out.println();
        out.println(Verdict.line(result, settings));
        out.flush();
    }
}
