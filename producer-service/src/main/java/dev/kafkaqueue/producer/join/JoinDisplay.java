package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import java.io.PrintStream;
import java.time.Duration;

/** How join shows its progress: chosen once from the settings and whether standard output is a terminal. */
interface JoinDisplay {

    /** Called with every lag snapshot. */
    void progress(LagSnapshot snapshot);

    /** Called once with the verdict. */
    void finish(Join.Result result);

    /** The display for this output: JSON lines, a progress bar on a terminal, or log lines. */
    static JoinDisplay choose(JoinSettings settings, PrintStream out) {
        if (settings.display() == JoinSettings.Display.JSON) {
            return new JsonJoinDisplay(out, settings);
        }
        if (System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"))) {
            return new ProgressBarDisplay(out, settings);
        }
        return new JoinReporter(out, Duration.ofSeconds(5), settings);
    }
}
