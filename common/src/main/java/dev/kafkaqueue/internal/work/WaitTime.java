package dev.kafkaqueue.internal.work;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long items waited between their put and their get: from the record's timestamp (its CreateTime, set by the
 * producer's {@code send()}) to the moment the item was handed to the work. A queue is judged by this as much as by
 * how fast a backlog drains.
 *
 * <p>Exported as {@code queue_item_wait_seconds_count} and {@code _sum}, with {@code queue_item_wait_quantile_seconds}
 * gauges for the 0.5, 0.99 and 1.0 (max) quantiles of every item since the start. The quantiles come from a fixed
 * histogram: one bucket per millisecond up to {@value #LINEAR_MILLIS} ms, then one per power of two, so they are
 * exact to the millisecond where it matters and within a factor of two beyond. Recording is a clock read and two
 * uncontended adds; nothing is allocated. Thread-safe.
 */
final class WaitTime {

    /** Waits up to this many milliseconds have a bucket each. */
    static final int LINEAR_MILLIS = 4096;
    private static final int LOG_BUCKETS = 64 - Long.numberOfLeadingZeros(Long.MAX_VALUE / LINEAR_MILLIS);

    private final AtomicLongArray buckets = new AtomicLongArray(LINEAR_MILLIS + LOG_BUCKETS);
    private final LongAdder count = new LongAdder();
    private final LongAdder millis = new LongAdder();

    /** The quantiles the gauges and {@link #summary()} report. */
    record Summary(long count, long p50Millis, long p99Millis, long maxMillis) {
    }

    static WaitTime register(MeterRegistry registry) {
        WaitTime wait = new WaitTime();
        FunctionTimer.builder("queue.item.wait", wait, w -> w.count.sum(), w -> w.millis.sum(),
                        TimeUnit.MILLISECONDS)
                .description("Time from an item's put (its record's timestamp) to its get").register(registry);
        for (double q : new double[] {0.5, 0.99, 1.0}) {
            Gauge.builder("queue.item.wait.quantile", wait, w -> w.quantileMillis(q) / 1000.0)
                    .tag("quantile", Double.toString(q)).baseUnit("seconds")
                    .description("Time from put to get of every item since the start, at this quantile")
                    .register(registry);
        }
        return wait;
    }

    /** An item put at {@code putMillis} (epoch milliseconds) was got at {@code nowMillis}. */
    void record(long putMillis, long nowMillis) {
        long waited = Math.max(0, nowMillis - putMillis); // clocks of two machines may disagree by a little
        buckets.incrementAndGet(bucket(waited));
        count.increment();
        millis.add(waited);
    }

    /** The quantiles of every wait recorded so far. */
    Summary summary() {
        return new Summary(count.sum(), quantileMillis(0.5), quantileMillis(0.99), quantileMillis(1.0));
    }

    /** The wait at quantile {@code q} (0 to 1) in milliseconds: a bucket's upper end; 0 when nothing was recorded. */
    long quantileMillis(double q) {
        long[] counts = new long[buckets.length()];
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = buckets.get(i);
            total += counts[i];
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return upperMillis(i);
            }
        }
        return upperMillis(counts.length - 1);
    }

    static int bucket(long waitedMillis) {
        if (waitedMillis < LINEAR_MILLIS) {
            return (int) waitedMillis;
        }
        int power = 63 - Long.numberOfLeadingZeros(waitedMillis / LINEAR_MILLIS); // 0 for 4096..8191
        return LINEAR_MILLIS + Math.min(power, LOG_BUCKETS - 1);
    }

    /** The largest wait a bucket holds, in milliseconds. */
    static long upperMillis(int bucket) {
        if (bucket < LINEAR_MILLIS) {
            return bucket;
        }
        int power = bucket - LINEAR_MILLIS;
        return power >= LOG_BUCKETS - 1 ? Long.MAX_VALUE : ((long) LINEAR_MILLIS << (power + 1)) - 1;
    }
}
