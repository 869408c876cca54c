package dev.kafkaqueue.internal;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A one-way "stop now" for waits that a signal must be able to end: a shutdown hook calls {@link #stop()}, and the
 * main thread's {@link #sleep(Duration)} returns at once instead of sleeping out its time. No interrupts involved.
 */
public final class StopSignal {

    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Asks every current and later wait to end. Never blocks; calling it again does nothing. */
    public void stop() {
        stopped.countDown();
    }

    /** True once {@link #stop()} was called. */
    public boolean isStopped() {
        return stopped.getCount() == 0;
    }

    /**
     * Sleeps for {@code time}, or less if stopped.
     *
     * @return true if the sleep ended because of {@link #stop()}
     */
    public boolean sleep(Duration time) throws InterruptedException {
        return time.isZero() || time.isNegative() ? isStopped() : stopped.await(time.toNanos(), TimeUnit.NANOSECONDS);
    }
}
