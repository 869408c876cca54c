package dev.kafkaqueue.internal.put;

import dev.kafkaqueue.internal.StopSignal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackpressureGateTest {

    private final Map<Integer, Long> committed = new HashMap<>();
    private final AtomicInteger samples = new AtomicInteger();

    private BackpressureGate gate(int maxsize) {
        return new BackpressureGate(maxsize, () -> {
            samples.incrementAndGet();
            return Map.copyOf(committed);
        }, Duration.ofMillis(1));
    }

    @Test
    void zeroMeansUnbounded() {
        BackpressureGate gate = gate(0);

        for (int i = 0; i < 10_000; i++) {
            assertThat(gate.tryAcquire()).isTrue();
        }
        gate.acknowledged(0, 0);
        gate.failed();
        assertThat(samples).hasValue(0);
        assertThat(gate.bounded()).isFalse();
        assertThat(gate.unfinished()).as("unbounded, the gate counts nothing").isZero();
    }

    @Test
    void inFlightAndAcknowledgedItemsBothCountUntilCommitted() {
        BackpressureGate gate = gate(3);
        assertThat(gate.tryAcquire()).isTrue();
        assertThat(gate.tryAcquire()).isTrue();
        gate.acknowledged(0, 0);
        assertThat(gate.tryAcquire()).isTrue();

        assertThat(gate.unfinished()).isEqualTo(3);
        assertThat(gate.tryAcquire()).isFalse();
    }

    @Test
    void aCommitFreesTheSlotsOfTheItemsBeforeIt() throws Exception {
        BackpressureGate gate = gate(2);
        gate.tryAcquire();
        gate.tryAcquire();
        gate.acknowledged(0, 10);
        gate.acknowledged(1, 4);
        committed.put(0, 11L); // partition 0 committed past offset 10; partition 1 not yet

        gate.acquire(Duration.ofSeconds(5));

        assertThat(gate.unfinished()).isEqualTo(2);
        assertThat(gate.waits()).isEqualTo(1);
        assertThat(samples.get()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aFailedSendReleasesItsSlot() {
        BackpressureGate gate = gate(1);
        gate.tryAcquire();
        gate.failed();

        assertThat(gate.tryAcquire()).isTrue();
    }

    @Test
    void waitingForConsumersThatNeverCommitTimesOut() {
        BackpressureGate gate = gate(1);
        gate.tryAcquire();
        gate.acknowledged(0, 0);

        assertThatThrownBy(() -> gate.acquire(Duration.ofMillis(50)))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("maxsize 1");
    }

    @Test
    void aStopSignalEndsAFullQueueWaitAtOnceWithoutASlot() throws Exception {
        StopSignal stop = new StopSignal();
        // The sample interval is an hour: only the stop signal can end this wait early.
        BackpressureGate gate = new BackpressureGate(1, () -> {
            stop.stop(); // the signal arrives while the producer waits on a full queue
            return Map.of();
        }, Duration.ofHours(1));
        assertThat(gate.tryAcquire()).isTrue();

        long started = System.nanoTime();
        boolean acquired = gate.acquire(Duration.ofHours(1), stop);

        assertThat(acquired).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(gate.unfinished()).as("no slot taken").isEqualTo(1);
    }
}
