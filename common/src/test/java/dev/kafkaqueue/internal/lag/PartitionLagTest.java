package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.codec.Closure;

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

    @Test
    void doneAndClosedNeedsAPillCommittedOnEveryPartition() {
        PartitionLag closed = new PartitionLag(0, 6L, 0, 6, new Closure("run-1", 1_700_000_000_000L));
        PartitionLag doneButOpen = new PartitionLag(1, 3L, 0, 3);

        LagSnapshot producerCrashed = new LagSnapshot("t", "g", true, List.of(closed, doneButOpen), 1, "Stable");
        assertThat(producerCrashed.done()).as("lag 0: the work put so far is done").isTrue();
        assertThat(producerCrashed.doneAndClosed()).as("but the run is not finished").isFalse();
        assertThat(producerCrashed.openPartitions()).containsExactly(1);
        assertThat(new LagSnapshot("t", "g", true, List.of(closed), 0, "Empty").doneAndClosed()).isTrue();
    }

    @Test
    void onlyTheQueuesClosureMetadataClosesAPartition() {
        assertThat(Closure.isClosure("kafka-queue:pill:run-1:1700000000000")).isTrue();
        assertThat(Closure.isClosure("")).isFalse();
        assertThat(Closure.isClosure(null)).isFalse();
        assertThat(Closure.isClosure("someone else's")).isFalse();
    }
}
