package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.KafkaErrors;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM into a graceful stop with a meaningful exit code, the {@code task.cancel()} of the services.
 *
 * <p>The JVM shutdown hook asks the main work to stop, waits up to a grace period for it to finish (commit, close,
 * leave the group), then halts with the exit code the main work reported. Without this a signalled JVM exits 143
 * whatever the service did. When the main work had already finished, the hook does nothing.
 */
public final class GracefulShutdown {

    private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile int exitCode = ExitCode.FAILURE;
    private volatile boolean signalled;

    private GracefulShutdown() {
    }

    /**
     * Runs the main work with the hook installed and returns its exit code.
     *
     * <p>If the work throws, the exit code is {@link ExitCode#FAILURE} and the exception propagates to the caller.
     * When that happens during a signalled stop, the hook halts the JVM as soon as the work ends, before any caller
     * could report the failure, so it is logged here first.
     *
     * @param stop  asks the main work to stop; may block, within the grace period
     * @param grace how long the hook waits for the work to end before halting with exit code 1
     * @param work  the main work; returns the process exit code
     */
    public static int run(Runnable stop, Duration grace, Callable<Integer> work) throws Exception {
        GracefulShutdown shutdown = install(stop, grace);
        int exitCode = ExitCode.FAILURE;
        try {
            exitCode = work.call();
            return exitCode;
        } catch (Exception | Error e) {
            if (shutdown.signalled) {
                log.error("Failed while stopping on a signal: {}", KafkaErrors.rootMessage(e), e);
            }
            throw e;
        } finally {
            shutdown.finished(exitCode);
        }
    }

    private static GracefulShutdown install(Runnable stop, Duration grace) {
        GracefulShutdown shutdown = new GracefulShutdown();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (shutdown.finished.getCount() == 0) {
                // The work ended before the JVM began to exit: no signal to answer, and System.exit's code stands
                // (a startup failure reported as exit code 2 must not become the work's 1).
                return;
            }
            shutdown.signalled = true;
            // On a thread of its own: a stop that blocks (closing a queue waits for its items in hand) cannot hold
            // the hook past the grace period.
            Thread stopping = new Thread(stop, "graceful-shutdown-stop");
            stopping.setDaemon(true);
            stopping.start();
            try {
                shutdown.finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(shutdown.exitCode);
        }, "graceful-shutdown"));
        return shutdown;
    }

    private void finished(int exitCode) {
        this.exitCode = exitCode;
        finished.countDown();
    }
}
