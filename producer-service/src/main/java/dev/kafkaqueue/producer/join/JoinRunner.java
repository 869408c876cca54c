package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.StopSignal;
import java.io.PrintStream;

/**
 * Runs one join: waits, shows progress, prints the verdict and returns the exit code. Used by {@code join} and by
 * the producer's {@code --join}. It borrows the {@link LagReader}; the caller owns the admin client.
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
     * @return the exit code: {@link ExitCode#of(Join.Outcome)}
     */
    public int run(LagReader reader, StopSignal stop) throws InterruptedException {
        JoinDisplay display = JoinDisplay.choose(settings, out);
        Join join = new Join(reader, settings.lagInterval()).until(settings.condition())
                .atLeastRecords(settings.expectedItems().orElse(0));
        Join.Result result = join.await(settings.queue().topic(), settings.queue().group(), settings.timeout(),
                display::progress, stop);
        display.finish(result);
        return ExitCode.of(result.outcome());
    }
}
