package dev.kafkaqueue.internal.lag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.codec.Closure;
import org.junit.jupiter.api.Test;

/** A share group's partition: the broker's lag counts, and an unknown lag is never zero. */
class ShareLagTest {

    private static final Closure CLOSED = new Closure("run-1", 1_700_000_000_000L);

    @Test
    void theBrokersLagWinsOverEndMinusStartOffset() {
        // Measured on 4.3.1: START-OFFSET 19, end 21, LAG 0 after a finished run.
        PartitionLag finished = new PartitionLag(0, 19L, 0, 21, CLOSED, 0L);

        assertThat(finished.lag()).isZero();
        assertThat(finished.done()).isTrue();
        assertThat(new PartitionLag(0, 12L, 0, 33, null, 20L).lag()).isEqualTo(20);
    }

    @Test
    void anUnknownLagCountsEndMinusStartOffsetOrTheWholeLog() {
        assertThat(new PartitionLag(0, 19L, 0, 21, null, null).lag()).isEqualTo(2);
        assertThat(new PartitionLag(0, 19L, 0, 21, null, null).done()).isFalse();
        assertThat(new PartitionLag(0, null, 0, 3, null, null).lag()).as("no state yet").isEqualTo(3);
        assertThat(new PartitionLag(0, 21L, 0, 21, null, null).done()).isTrue();
    }
}
