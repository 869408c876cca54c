package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.options.CommitMode;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** task_done's bookkeeping: the contiguous finished prefix, its closure metadata, and when commits go out. */
class TaskDoneTest {

    private static final TopicPartition P0 = new TopicPartition("jobs", 0);
    private static final TopicPartition P1 = new TopicPartition("jobs", 1);

    private final List<Map<TopicPartition, OffsetAndMetadata>> commits = new ArrayList<>();
    private final TaskDone.Committer committer = new TaskDone.Committer() {
        @Override
        public boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            commits.add(Map.copyOf(offsets));
            return true;
        }

        @Override
        public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable succeeded,
                                Runnable failed) {
            commits.add(Map.copyOf(offsets));
        }
    };
    private int flushes;

    @Test
    void theCommittedOffsetNeverPassesAnUnfinishedRecord() {
        TaskDone done = batch(Duration.ofNanos(1));
        List<Task> tasks = track(done, P0, 0, 1, 2, 3, 4);

        finish(tasks, 0, 1, 3);
        done.maybeCommit();
        assertThat(lastCommitted(P0)).isEqualTo(2);

        finish(tasks, 2);
        done.maybeCommit();
        assertThat(lastCommitted(P0)).isEqualTo(4);

        finish(tasks, 4);
        done.maybeCommit();
        assertThat(lastCommitted(P0)).isEqualTo(5);
        assertThat(flushes).isEqualTo(commits.size()); // the applied log is written through before every commit
    }

    @Test
    void aPillClosesItsPartitionOnlyOnceEveryEarlierRecordIsFinished() {
        TaskDone done = batch(Duration.ofNanos(1));
        List<Task> tasks = track(done, P0, 0, 1);

        tasks.get(1).done("kafka-queue:pill:r1:5");
        done.maybeCommit();
        assertThat(commits).isEmpty();

        tasks.get(0).done(RunClosure.OPEN);
        done.maybeCommit();
        assertThat(commits.get(0).get(P0)).isEqualTo(new OffsetAndMetadata(2, Optional.empty(), "kafka-queue:pill:r1:5"));
    }

    @Test
    void aDeadLetteredRecordKeepsThePartitionsClosureAsItWas() {
        TaskDone done = batch(Duration.ofNanos(1));
        done.assigned(P0, new OffsetAndMetadata(7, Optional.empty(), "kafka-queue:pill:r1:5"));
        List<Task> tasks = track(done, P0, 7);

        tasks.get(0).done(null);
        done.maybeCommit();

        assertThat(commits.get(0).get(P0).metadata()).isEqualTo("kafka-queue:pill:r1:5");
    }

    @Test
    void thePositionAfterATransactionMarkerIsCommittedNotOffsetPlusOne() {
        TaskDone done = batch(Duration.ofNanos(1));
        List<Task> tasks = track(done, P0, 5);
        done.positions(Map.of(P0, new OffsetAndMetadata(7), P1, new OffsetAndMetadata(3)));
        done.assigned(P1, new OffsetAndMetadata(2)); // committed before a restart; a marker sits at 2
        done.positions(Map.of(P1, new OffsetAndMetadata(3))); // only the marker was fetched on P1

        finish(tasks, 0);
        done.maybeCommit();

        assertThat(lastCommitted(P0)).isEqualTo(7);
        assertThat(lastCommitted(P1)).isEqualTo(3);
    }

    @Test
    void aPartitionWithNothingFinishedOrCommittedIsNotCommitted() {
        TaskDone done = batch(Duration.ofNanos(1));
        done.assigned(P1, null);
        done.positions(Map.of(P1, new OffsetAndMetadata(0))); // an empty partition, polled

        done.maybeCommit();
        done.commitNow();

        assertThat(commits).isEmpty();
    }

    @Test
    void batchModeWaitsForTheIntervalWhileWorkIsInFlightButNotWhenIdle() {
        TaskDone done = batch(Duration.ofHours(1));
        List<Task> tasks = track(done, P0, 0, 1);

        finish(tasks, 0);
        done.maybeCommit();
        assertThat(commits).isEmpty(); // offset 1 is still in flight and the interval has not passed

        finish(tasks, 1);
        done.maybeCommit();
        assertThat(lastCommitted(P0)).isEqualTo(2); // nothing in flight: commit at once
    }

    @Test
    void aBacklogDrainedBetweenTwoPollsWaitsForTheIntervalUntilTheFetcherHasCaughtUp() {
        TaskDone done = batch(Duration.ofHours(1));
        List<Task> tasks = track(done, P0, 0, 1);
        finish(tasks, 0, 1);

        done.caughtUp(false); // more records wait to be fetched: the queue is not empty
        done.maybeCommit();
        assertThat(commits).isEmpty();

        done.caughtUp(true); // the last poll reached the end: the drained queue is worth a commit at once
        done.maybeCommit();
        assertThat(lastCommitted(P0)).isEqualTo(2);
    }

    @Test
    void withoutTaskDoneNothingIsEverCommitted() {
        TaskDone done = new TaskDone(CommitMode.NONE, Duration.ofNanos(1), committer, () -> flushes++);
        finish(track(done, P0, 0, 1), 0, 1);

        done.maybeCommit();
        done.commitNow();

        assertThat(commits).isEmpty();
        assertThat(done.idle()).isTrue();
    }

    @Test
    void aRevokeCommitsTheRevokedPartitionsAndLeavesTheOthersForTheNextCommit() {
        TaskDone done = batch(Duration.ofHours(1));
        List<Task> p0 = track(done, P0, 0);
        List<Task> p1 = track(done, P1, 0, 1);
        finish(p0, 0);
        finish(p1, 0);

        done.release(List.of(P0));
        assertThat(p0.get(0).live()).isFalse();
        done.revoked(List.of(P0));
        assertThat(commits).containsExactly(Map.of(P0, new OffsetAndMetadata(1, Optional.empty(), "")));

        done.commitNow();
        assertThat(lastCommitted(P1)).isEqualTo(1);
    }

    @Test
    void perRecordCommitsEachFinishedRecordAndReleasesItsWorker() throws InterruptedException {
        TaskDone done = new TaskDone(CommitMode.PER_RECORD, Duration.ofHours(1), committer, () -> flushes++);
        List<Task> tasks = track(done, P0, 0);
        finish(tasks, 0);

        done.maybeCommit();
        done.awaitCommitted(tasks.get(0), () -> false); // returns: the commit happened

        assertThat(lastCommitted(P0)).isEqualTo(1);
    }

    private TaskDone batch(Duration interval) {
        TaskDone done = new TaskDone(CommitMode.BATCH, interval, committer, () -> flushes++);
        done.assigned(P0, null);
        return done;
    }

    private static List<Task> track(TaskDone done, TopicPartition tp, long... offsets) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (long offset : offsets) {
            records.add(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, new byte[0]));
        }
        List<Task> tasks = new ArrayList<>();
        done.track(records, tp, tasks);
        return tasks;
    }

    private static void finish(List<Task> tasks, int... indexes) {
        for (int index : indexes) {
            tasks.get(index).done(RunClosure.OPEN);
        }
    }

    private long lastCommitted(TopicPartition tp) {
        Map<TopicPartition, Long> last = new HashMap<>();
        commits.forEach(commit -> commit.forEach((p, offset) -> last.put(p, offset.offset())));
        return last.getOrDefault(tp, -1L);
    }
}
