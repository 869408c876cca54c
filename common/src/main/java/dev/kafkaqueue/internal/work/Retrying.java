package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an item's work with retries: a failure is tried again after a backoff that doubles each time (capped at
 * {@link #MAX_BACKOFF}), up to {@code maxRetries} times. A stop (SIGTERM, {@code close()}) ends a backoff at once: the
 * item is then left unfinished, so its offset is not committed and it is delivered again.
 */
final class Retrying {

    private static final Logger log = LoggerFactory.getLogger(Retrying.class);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** What {@link #run} returns when the run stopped first: the item is left unfinished. Shared, no trace. */
    static final Exception STOPPED = new Exception("stopped before the item was done", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    /** One try of a task's work; {@link Task#attempt()} says which. */
    @FunctionalInterface
    interface Work {
        void run(Task task) throws Exception;
    }

    private final int maxRetries;
    private final Duration firstBackoff;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * @param maxRetries   retries after the first attempt
     * @param firstBackoff the first retry's delay
     */
    Retrying(int maxRetries, Duration firstBackoff) {
        this.maxRetries = maxRetries;
        this.firstBackoff = firstBackoff;
    }

    /** Ends every backoff in progress and every later one. Safe from any thread. */
    void stop() {
        stopped.countDown();
    }

    /**
     * Works the task, trying failures again.
     *
     * @return null when the work succeeded; {@link #STOPPED} when the run stopped first; otherwise the last failure,
     *         once every attempt failed
     */
    Exception run(Task task, Work work) {
        for (int attempt = 1; ; attempt++) {
            task.attempt = attempt;
            try {
                work.run(task);
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return STOPPED;
            } catch (Exception e) {
                if (attempt > maxRetries) {
                    return e;
                }
                Duration backoff = backoff(attempt);
                log.warn("Item {} failed (attempt {} of {}), retrying in {} ms: {}", task.item.id(), attempt,
                        maxRetries + 1, backoff.toMillis(), e.toString());
                if (awaitStop(backoff)) {
                    return STOPPED;
                }
            }
        }
    }

    /** Attempts made before an item is given up: the first and the retries. */
    int attempts() {
        return maxRetries + 1;
    }

    Duration backoff(int attempt) {
        long millis = firstBackoff.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    private boolean awaitStop(Duration backoff) {
        try {
            return stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
