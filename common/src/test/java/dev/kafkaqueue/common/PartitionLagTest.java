package dev.kafkaqueue.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionLagTest {

    @Test
    void lagIsEndMinusCommitted() {
        PartitionLag lag = new PartitionLag(0, 3L, 0, 5);

        assertThat(lag.lag()).isEqualTo(2);
        assertThat(lag.done()).isFalse();
    }

    @Test
    void aPartitionWithoutCommitIsDoneOnlyWhenItsLogIsEmpty() {
        assertThat(new PartitionLag(0, null, 0, 0).done()).isTrue();
        assertThat(new PartitionLag(0, null, 4, 4).done()).isTrue();
        assertThat(new PartitionLag(0, null, 0, 4).lag()).isEqualTo(4);
        assertThat(new PartitionLag(0, null, 0, 4).done()).isFalse();
    }

    @Test
    void recordsDeletedBeforeTheyWereCommittedAreLostNotDone() {
        PartitionLag lag = new PartitionLag(0, 2L, 7, 7);

        assertThat(lag.lost()).isEqualTo(5);
        assertThat(lag.done()).isFalse();
    }

    @Test
    void aSnapshotIsDoneOnlyWhenTheTopicExistsAndEveryPartitionIsDone() {
        PartitionLag done = new PartitionLag(0, 5L, 0, 5);
        PartitionLag behind = new PartitionLag(1, 1L, 0, 2);

        assertThat(new LagSnapshot("t", "g", true, List.of(done), 0, "Empty").done()).isTrue();
        assertThat(new LagSnapshot("t", "g", true, List.of(done, behind), 1, "Stable").done()).isFalse();
        assertThat(new LagSnapshot("t", "g", false, List.of(), 0, "Dead").done()).isFalse();
        assertThat(new LagSnapshot("t", "g", true, List.of(done, behind), 1, "Stable").totalLag()).isEqualTo(1);
    }
}
