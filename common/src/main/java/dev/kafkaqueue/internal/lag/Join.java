package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.StopSignal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code await queue.join()} across processes: waits until a group's lag on a topic is zero on every partition.
 *
 * <p>It is not done while the topic is missing, while any partition holds records with no committed offset, or while
 * lag is above zero, whether or not the group has live members. Records removed by retention before the group
 * processed them are reported as lost work and the result is {@link Outcome#LOST_WORK}, never {@link Outcome#DONE}.
 * The caller must flush its producer first: a snapshot only sees acknowledged records.
 *
 * <p>Lag zero says the work put so far is done, as {@code queue.join()} does; it cannot say whether a producer will
 * put more. Joined {@linkplain #untilClosed() until closed}, it also waits until every partition's committed offset is
 * past a poison pill: the run's producer finished (a producer that crashed before its pills leaves it open).
 */
public final class Join {

    /** How a join ended. */
    public enum Outcome {
        /** Lag reached zero on every partition. */
        DONE,
        /** The timeout passed first. */
        TIMEOUT,
        /** Lag reached zero, but records were deleted before they were processed. */
        LOST_WORK,
        /** A signal stopped the wait before the work was done. */
        STOPPED
    }

    /** What join waits for. */
    public enum Condition {
        /** Lag zero on every partition: the work put so far is done ({@link LagSnapshot#done()}). */
        LAG_ZERO,
        /**
         * Lag zero, and every partition committed past a poison pill: the run's producer finished too
         * ({@link LagSnapshot#doneAndClosed()}).
         */
        CLOSED
    }

    /**
     * The end of a join.
     *
     * @param outcome    how it ended
     * @param last       the last snapshot taken, or null if none could be taken before the timeout
     * @param lostRecords the most records seen lost at once while waiting
     */
    public record Result(Outcome outcome, LagSnapshot last, long lostRecords) {
    }

    private static final Logger log = LoggerFactory.getLogger(Join.class);

    private final LagReader reader;
    private final Duration interval;
    private final Condition condition;
    private final long minRecords;

    /**
     * @param reader   reads snapshots
     * @param interval time between the starts of two snapshots; lag sampling never runs faster than this
     */
    public Join(LagReader reader, Duration interval) {
        this(reader, interval, Condition.LAG_ZERO, 0);
    }

    private Join(LagReader reader, Duration interval, Condition condition, long minRecords) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.condition = Objects.requireNonNull(condition, "condition");
        this.minRecords = minRecords;
    }

    /** This join, also waiting until a poison pill closed every partition ({@link LagSnapshot#doneAndClosed()}). */
    public Join untilClosed() {
        return until(Condition.CLOSED);
    }

    /** This join, waiting for {@code condition}. */
    public Join until(Condition condition) {
        return new Join(reader, interval, condition, minRecords);
    }

    /**
     * This join, not done while the topic holds fewer than {@code records} records ({@link LagSnapshot#records()}):
     * a count of items put that the log does not reach yet is not "all items done". 0 checks nothing.
     */
    public Join atLeastRecords(long records) {
        return new Join(reader, interval, condition, records);
    }

    /**
     * Waits until the group's work on the topic is done, or the timeout passes.
     *
     * @param onSnapshot called with every snapshot, for progress output
     * @throws AuthorizationException when the principal may not describe the group or the topic
     */
    public Result await(String topic, String group, Duration timeout, Consumer<LagSnapshot> onSnapshot)
            throws InterruptedException {
        return await(topic, group, timeout, onSnapshot, new StopSignal());
    }

    /**
     * Waits until the group's work on the topic is done, the timeout passes, or {@code stop} is signalled
     * ({@link Outcome#STOPPED}, with the last snapshot).
     *
     * @param onSnapshot called with every snapshot, for progress output
     * @throws AuthorizationException when the principal may not describe the group or the topic
     */
    public Result await(String topic, String group, Duration timeout, Consumer<LagSnapshot> onSnapshot,
                        StopSignal stop) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        LagSnapshot last = null;
        long lost = 0;
        while (true) {
            long started = System.nanoTime();
            try {
                last = reader.snapshot(topic, group);
                lost = Math.max(lost, last.totalLost());
                onSnapshot.accept(last);
                if (isDone(last)) {
                    return new Result(lost > 0 ? Outcome.LOST_WORK : Outcome.DONE, last, lost);
                }
            } catch (ExecutionException | TimeoutException e) {
                // Broker trouble is not a verdict: keep trying until the deadline, the caller reports the timeout.
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                if (cause instanceof AuthorizationException denied) {
                    throw denied; // a missing ACL does not clear by waiting: fail now, not at the timeout
                }
                if (!(cause instanceof RetriableException) && !(cause instanceof TimeoutException)) {
                    log.warn("join: lag snapshot failed: {}", cause.toString());
                } else {
                    log.info("join: lag snapshot not available yet: {}", cause.toString());
                }
            }
            long remaining = deadline - System.nanoTime();
            if (stop.isStopped()) {
                return new Result(Outcome.STOPPED, last, lost);
            }
            if (remaining <= 0) {
                return new Result(Outcome.TIMEOUT, last, lost);
            }
            // Snapshots start one interval apart (not one interval after the last one ended): the done line follows
            // the last commit within about one interval plus one snapshot.
            long untilNext = Math.max(0, interval.toNanos() - (System.nanoTime() - started));
            if (stop.sleep(Duration.ofNanos(Math.min(remaining, untilNext)))) {
                return new Result(Outcome.STOPPED, last, lost);
            }
        }
    }

    private boolean isDone(LagSnapshot snapshot) {
        boolean lagDone = condition == Condition.CLOSED ? snapshot.doneAndClosed() : snapshot.done();
        return lagDone && snapshot.records() >= minRecords;
    }
}
