package dev.kafkaqueue.common;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGTERM into a graceful stop with a meaningful exit code, the {@code task.cancel()} of the services.
 *
 * <p>The JVM shutdown hook asks the main work to stop, waits up to a grace period for it to finish (commit, close,
 * leave the group), then halts with the exit code the main work reported. Without this a signalled JVM exits 143
 * whatever the service did. When the main work had already finished, the hook does nothing.
 */
public final class GracefulShutdown {

    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile int exitCode = ExitCode.FAILURE;
    private volatile boolean signalled;

    private GracefulShutdown() {
    }

    /**
     * Installs the hook.
     *
     * @param stop  asks the main work to stop; must not block
     * @param grace how long the hook waits for {@link #finished(int)} before giving up with exit code 1
     */
    public static GracefulShutdown install(Runnable stop, Duration grace) {
        GracefulShutdown shutdown = new GracefulShutdown();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (shutdown.finished.getCount() == 0) {
                // The work ended before the JVM began to exit: no signal to answer, and System.exit's code stands
                // (a startup failure reported as exit code 2 must not become the work's 1).
                return;
            }
            shutdown.signalled = true;
            stop.run();
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

    /** True once the shutdown hook has started, i.e. the process was asked to stop. */
    public boolean signalled() {
        return signalled;
    }

    /** Reports that the main work is over; a running hook then exits with this code. */
    public void finished(int exitCode) {
        this.exitCode = exitCode;
        finished.countDown();
    }
}
