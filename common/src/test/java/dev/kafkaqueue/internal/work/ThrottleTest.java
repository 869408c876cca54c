package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.options.CommitMode;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backlog bound counts what a partition holds in memory, finished records behind a slow one too. */
class ThrottleTest {

    private static final TopicPartition TP = new TopicPartition("jobs", 0);
    private static final int MAX_RECORDS = 10;

    private final MockConsumer<byte[], byte[]> kafka = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
    private final TaskDone taskDone = new TaskDone(CommitMode.BATCH, Duration.ofMinutes(1), new TaskDone.Committer() {
        @Override
        public boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            return true;
        }

        @Override
        public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable succeeded,
                                Runnable failed) {
        }
    }, () -> { });
    private final Throttle throttle = new Throttle(MAX_RECORDS, Long.MAX_VALUE, Duration.ofMillis(20));

    @BeforeEach
    void assign() {
        kafka.assign(List.of(TP));
        taskDone.assigned(TP, null);
    }

    @Test
    void finishedRecordsBehindASlowOneKeepThePartitionPausedUntilItFinishes() {
        List<Task> tasks = track(0, MAX_RECORDS);
        tasks.subList(1, MAX_RECORDS).forEach(task -> task.done(RunClosure.OPEN)); // all but the head, as unordered

        throttle.apply(kafka, taskDone, Set.of(TP), () -> false);
        assertThat(kafka.paused()).containsExactly(TP);

        tasks.get(0).done(RunClosure.OPEN);
        throttle.apply(kafka, taskDone, Set.of(), () -> false);
        assertThat(kafka.paused()).isEmpty();
    }

    @Test
    void aBacklogBelowTheBoundIsNotPaused() {
        List<Task> tasks = track(0, MAX_RECORDS - 1);
        tasks.subList(1, tasks.size()).forEach(task -> task.done(RunClosure.OPEN));

        throttle.apply(kafka, taskDone, Set.of(TP), () -> false);

        assertThat(kafka.paused()).isEmpty();
    }

    private List<Task> track(long from, int count) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (long offset = from; offset < from + count; offset++) {
            records.add(new ConsumerRecord<>(TP.topic(), TP.partition(), offset, null, new byte[1]));
        }
        List<Task> tasks = new ArrayList<>();
        taskDone.track(records, TP, tasks);
        return tasks;
    }
}
