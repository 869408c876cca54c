package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.Ordering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The workers: what may run side by side under each ordering, and what a revoke or a stop leaves alone. */
class WorkPoolTest {

    private static final TopicPartition P0 = new TopicPartition("jobs", 0);

    private final TaskDone taskDone = new TaskDone(CommitMode.NONE, Duration.ofSeconds(1), null, () -> { });
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostRunning = new AtomicInteger();
    private final Map<String, List<Long>> orderByKey = new ConcurrentHashMap<>();

    @Test
    void keyOrderingRunsDifferentKeysTogetherAndOneKeyInOrder() {
        List<Task> tasks = tasks("a", "b", "a", "b", "a", "b");
        try (WorkPool pool = new WorkPool(4, Ordering.KEY, slowly(Duration.ofMillis(100)), () -> { })) {
            pool.submit(tasks);
            awaitDone(tasks);
            assertThat(pool.mostBusy()).isEqualTo(2);
        }
        assertThat(mostRunning.get()).isEqualTo(2);
        assertThat(orderByKey.get("a")).containsExactly(0L, 2L, 4L);
        assertThat(orderByKey.get("b")).containsExactly(1L, 3L, 5L);
    }

    @Test
    void partitionOrderingRunsOneAtATimeAndUnorderedRunsAll() {
        List<Task> inOrder = tasks("a", "b", "c");
        try (WorkPool pool = new WorkPool(3, Ordering.PARTITION, slowly(Duration.ofMillis(50)), () -> { })) {
            pool.submit(inOrder);
            awaitDone(inOrder);
            assertThat(pool.mostBusy()).isEqualTo(1);
        }
        List<Task> any = tasks("a", "a", "a");
        try (WorkPool pool = new WorkPool(3, Ordering.UNORDERED, slowly(Duration.ofMillis(200)), () -> { })) {
            pool.submit(any);
            awaitDone(any);
            assertThat(pool.mostBusy()).isEqualTo(3);
        }
    }

    @Test
    void tasksOfARevokedPartitionAreSkippedAndTheOneInHandFinishes() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Task> tasks = tasks("a", "a", "a");
        WorkPool.Handler blockFirst = task -> {
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.done(RunClosure.OPEN);
        };
        try (WorkPool pool = new WorkPool(1, Ordering.PARTITION, blockFirst, () -> { })) {
            pool.submit(tasks);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            taskDone.release(List.of(P0));
            release.countDown();
            pool.awaitQuiet(List.of(P0), Duration.ofSeconds(10));
        }
        assertThat(tasks).extracting(Task::isDone).containsExactly(true, false, false);
    }

    private WorkPool.Handler slowly(Duration work) {
        return task -> {
            int now = running.incrementAndGet();
            mostRunning.accumulateAndGet(now, Math::max);
            try {
                TimeUnit.MILLISECONDS.sleep(work.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            orderByKey.computeIfAbsent(new String(task.record.key(), StandardCharsets.UTF_8),
                    k -> new ArrayList<>()).add(task.record.offset());
            running.decrementAndGet();
            task.done(RunClosure.OPEN);
        };
    }

    private List<Task> tasks(String... keys) {
        taskDone.assigned(P0, null);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
            records.add(new ConsumerRecord<>(P0.topic(), 0, i, keys[i].getBytes(StandardCharsets.UTF_8), new byte[0]));
        }
        List<Task> tasks = new ArrayList<>();
        taskDone.track(records, P0, tasks);
        return tasks;
    }

    private static void awaitDone(List<Task> tasks) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> tasks.stream().allMatch(Task::isDone));
    }
}
