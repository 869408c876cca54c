package dev.kafkaqueue.common;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
        LOST_WORK;

        /** The process exit code for this outcome. */
        public int exitCode() {
            return switch (this) {
                case DONE -> ExitCode.OK;
                case TIMEOUT -> ExitCode.TIMEOUT;
                case LOST_WORK -> ExitCode.LOST_WORK;
            };
        }
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

    private final GroupLagReader reader;
    private final Duration interval;
    private final boolean untilClosed;

    /**
     * @param reader   reads snapshots
     * @param interval time between snapshots; lag sampling never runs faster than this
     */
    public Join(GroupLagReader reader, Duration interval) {
        this(reader, interval, false);
    }

    private Join(GroupLagReader reader, Duration interval, boolean untilClosed) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.untilClosed = untilClosed;
    }

    /** This join, also waiting until a poison pill closed every partition ({@link LagSnapshot#doneAndClosed()}). */
    public Join untilClosed() {
        return new Join(reader, interval, true);
    }

    /**
     * Waits until the group's work on the topic is done, or the timeout passes.
     *
     * @param onSnapshot called with every snapshot, for progress output
     * @throws AuthorizationException when the principal may not describe the group or the topic
     */
    public Result await(String topic, String group, Duration timeout, Consumer<LagSnapshot> onSnapshot)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        LagSnapshot last = null;
        long lost = 0;
        while (true) {
            try {
                last = reader.snapshot(topic, group);
                lost = Math.max(lost, last.totalLost());
                onSnapshot.accept(last);
                if (untilClosed ? last.doneAndClosed() : last.done()) {
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
            if (remaining <= 0) {
                return new Result(Outcome.TIMEOUT, last, lost);
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(remaining, interval.toNanos()));
        }
    }
}
