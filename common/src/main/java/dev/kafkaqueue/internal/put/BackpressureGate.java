package dev.kafkaqueue.internal.put;

import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.Words;

import dev.kafkaqueue.internal.StopSignal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Queue(maxsize=N)} across processes: the producer takes a slot before each send and waits while the items
 * it put that the group has not yet committed ("unfinished") number {@code maxsize} or more.
 *
 * <p>Unfinished items are the ones in flight (sent, not yet acknowledged) plus the acknowledged ones at or after the
 * group's committed offset of their partition. The committed offsets are sampled only when the gate is full, and at
 * most once per sample interval, so no admin call sits on the per-record path. A stale sample can only be older, so
 * lower, than the truth: the estimate never undercounts and unfinished items never exceed {@code maxsize}. What
 * staleness costs is waiting up to one sample interval longer than needed.
 *
 * <p>This is stricter than asyncio, which bounds items not yet taken by {@code get()}: a producer can only see what
 * the group committed. Thread-safe: acknowledgements arrive on the Kafka producer's I/O thread. Unbounded
 * ({@code maxsize} 0, as in asyncio) it counts nothing and takes no lock, so an unbounded producer's sends and
 * acknowledgements never contend for it.
 */
public final class BackpressureGate {

    private static final Logger log = LoggerFactory.getLogger(BackpressureGate.class);

    /** Where the group's committed offsets come from; returns partition to committed offset. */
    @FunctionalInterface
    public interface CommittedOffsets {
        Map<Integer, Long> sample() throws Exception;
    }

    private final int maxsize;
    private final CommittedOffsets committedOffsets;
    private final long sampleIntervalNanos;
    private final Map<Integer, ArrayDeque<Long>> ackedByPartition = new HashMap<>();
    private int inFlight;
    private int acked;
    private volatile long nextSampleNanos = System.nanoTime();
    private long waits;
    private long waitedNanos;

    /**
     * @param maxsize          the bound on unfinished items; 0 means unbounded, as in asyncio
     * @param committedOffsets samples the group's committed offsets on the topic
     * @param sampleInterval   the least time between two samples
     */
    public BackpressureGate(int maxsize, CommittedOffsets committedOffsets, Duration sampleInterval) {
        if (maxsize < 0) {
            throw new IllegalArgumentException("maxsize must be >= 0, was " + maxsize);
        }
        this.maxsize = maxsize;
        this.committedOffsets = committedOffsets;
        this.sampleIntervalNanos = sampleInterval.toNanos();
    }

    /** Takes a slot if one is free now, without sampling. Unbounded, it takes no lock and counts nothing. */
    public boolean tryAcquire() {
        if (maxsize == 0) {
            return true;
        }
        synchronized (this) {
            if (unfinished() < maxsize) {
                inFlight++;
                return true;
            }
            return false;
        }
    }

    /**
     * Takes a slot, waiting while the bound is reached.
     *
     * @throws TimeoutException when no slot freed up within the timeout: the consumers are not making progress
     * @throws Exception        when sampling the committed offsets fails for a reason that is not retriable;
     *                          timeouts and retriable errors count as no progress until the deadline
     */
    public void acquire(Duration timeout) throws Exception {
        acquire(timeout, new StopSignal());
    }

    /**
     * Takes a slot, waiting while the bound is reached, unless {@code stop} is signalled first.
     *
     * @return true with a slot taken; false without one, when {@code stop} ended the wait (within one sample)
     * @throws TimeoutException when no slot freed up within the timeout: the consumers are not making progress
     * @throws Exception        when sampling the committed offsets fails for a reason that is not retriable
     */
    public boolean acquire(Duration timeout, StopSignal stop) throws Exception {
        if (tryAcquire()) {
            return true;
        }
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        try {
            while (true) {
                if (stop.sleep(Duration.ofNanos(nextSampleNanos - System.nanoTime()))) {
                    return false; // a signal must not wait out the timeout: the producer reports and exits
                }
                nextSampleNanos = System.nanoTime() + sampleIntervalNanos;
                try {
                    Map<Integer, Long> committed = committedOffsets.sample();
                    synchronized (this) {
                        prune(committed);
                    }
                } catch (Exception e) {
                    if (!KafkaErrors.isRetriable(e)) {
                        throw e;
                    }
                    // The broker is slow or away: no progress seen this time; the deadline still holds.
                    log.info("backpressure: committed offsets not available yet: {}", e.toString());
                }
                if (tryAcquire()) {
                    return true;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new TimeoutException("backpressure: " + Words.plural(unfinished(), "unfinished item")
                            + " (maxsize "
                            + maxsize + ") for " + Duration.ofNanos(System.nanoTime() - started).toMillis()
                            + " ms: the consumers made no progress");
                }
            }
        } finally {
            synchronized (this) {
                waits++;
                waitedNanos += System.nanoTime() - started;
            }
        }
    }

    /**
     * Takes a slot if one is free, sampling the committed offsets first when the bound is reached and a sample is
     * due: what a put that must not wait ({@code putNowait}) can know now.
     */
    public boolean tryAcquireSampled() throws Exception {
        if (tryAcquire()) {
            return true;
        }
        sampleIfDue();
        return tryAcquire();
    }

    /** True when the bound is reached, by a fresh sample when one is due. Unbounded, never. */
    public boolean full() throws Exception {
        if (maxsize == 0) {
            return false;
        }
        synchronized (this) {
            if (unfinished() < maxsize) {
                return false;
            }
        }
        sampleIfDue();
        synchronized (this) {
            return unfinished() >= maxsize;
        }
    }

    private void sampleIfDue() throws Exception {
        if (System.nanoTime() - nextSampleNanos < 0) {
            return;
        }
        nextSampleNanos = System.nanoTime() + sampleIntervalNanos;
        try {
            Map<Integer, Long> committed = committedOffsets.sample();
            synchronized (this) {
                prune(committed);
            }
        } catch (Exception e) {
            if (!KafkaErrors.isRetriable(e)) {
                throw e;
            }
            log.info("backpressure: committed offsets not available yet: {}", e.toString());
        }
    }

    /** Records that the send holding a slot was acknowledged at this partition and offset. */
    public void acknowledged(int partition, long offset) {
        if (maxsize == 0) {
            return;
        }
        synchronized (this) {
            inFlight--;
            ackedByPartition.computeIfAbsent(partition, p -> new ArrayDeque<>()).addLast(offset);
            acked++;
        }
    }

    /** Releases the slot of a send that failed: it is reported by the producer, not counted as unfinished. */
    public void failed() {
        if (maxsize == 0) {
            return;
        }
        synchronized (this) {
            inFlight--;
        }
    }

    /** True when the gate bounds anything: {@code maxsize} above 0. */
    public boolean bounded() {
        return maxsize > 0;
    }

    /** Unfinished items by the latest sample: in flight plus acknowledged but not committed; 0 when unbounded. */
    public synchronized int unfinished() {
        return inFlight + acked;
    }

    /** How many times a send had to wait for the consumers. */
    public synchronized long waits() {
        return waits;
    }

    /** Total time sends spent waiting for the consumers. */
    public synchronized Duration waited() {
        return Duration.ofNanos(waitedNanos);
    }

    private void prune(Map<Integer, Long> committed) {
        // Acks of one partition arrive in offset order (idempotent producer), so done items sit at the head.
        ackedByPartition.forEach((partition, offsets) -> {
            Long done = committed.get(partition);
            while (done != null && !offsets.isEmpty() && offsets.peekFirst() < done) {
                offsets.removeFirst();
                acked--;
            }
        });
    }
}
