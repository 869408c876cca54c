package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.queue.Join;
import dev.kafkaqueue.queue.GroupLagReader;
import dev.kafkaqueue.queue.StopSignal;
import java.io.PrintStream;

/**
 * Runs one join: waits, shows progress, prints the verdict and returns the exit code. Used by {@code join} and by
 * the producer's {@code --join}. It borrows the {@link GroupLagReader}; the caller owns the admin client.
 */
public final class JoinRunner {

    private final JoinSettings settings;
    private final PrintStream out;

    /**
     * @param settings what to wait for and how to show it
     * @param out      where progress and the verdict go
     */
    public JoinRunner(JoinSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /**
     * Waits until the work is done, the timeout passes or {@code stop} is signalled, then prints the verdict.
     *
     * @return the exit code: {@link Join.Outcome#exitCode()}
     */
    public int run(GroupLagReader reader, StopSignal stop) throws InterruptedException {
        JoinDisplay display = JoinDisplay.choose(settings, out);
        Join join = new Join(reader, settings.lagInterval()).until(settings.condition())
                .atLeastRecords(settings.expectedItems().orElse(0));
        Join.Result result = join.await(settings.queue().topic(), settings.queue().group(), settings.timeout(),
                display::progress, stop);
        display.finish(result);
        return result.outcome().exitCode();
    }
}
