package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import dev.kafkaqueue.internal.codec.RecordCodec;
import org.apache.kafka.common.TopicPartition;

/**
 * The tasks waiting for {@code get()}: one FIFO of what the poll thread fetched, taken by any number of getter
 * threads, each task by one. A task of a revoked partition is skipped, never handed out: its new owner delivers it.
 *
 * <p>A getter waits while nothing is queued. Once the engine {@linkplain #closeWhenDrained closes} the queue (the
 * pills closed this member's partitions), a getter that finds it empty is told so instead of waiting; after
 * {@link #stop()} every getter is told at once. The tasks a getter holds are counted per partition, so a revoke can
 * wait for them.
 */
final class HandOff implements Dispatcher {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    private final ArrayDeque<Task> queue = new ArrayDeque<>();
    private final AtomicInteger inHand = new AtomicInteger();
    /** The partitions tasks came from, for {@link #awaitQuiet}. */
    private final Map<TopicPartition, PartitionProgress> partitions = new ConcurrentHashMap<>();
    /** Non-null once a getter that finds the queue empty is told why instead of waiting. Under the lock. */
    private String closedWhenEmpty;
    /** Non-null once every getter is told why at once, queued tasks or not. Under the lock. */
    private String closedNow;

    @Override
    public void submit(List<Task> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        PartitionProgress last = null;
        for (Task task : tasks) {
            if (task.partition != last) { // a poll's records come partition by partition
                last = task.partition;
                partitions.put(last.topicPartition(), last);
            }
        }
        lock.lock();
        try {
            queue.addAll(tasks);
            if (tasks.size() == 1) {
                available.signal();
            } else {
                available.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next task, waiting up to {@code nanos} for one.
     *
     * @return the task, now in hand; null when none came in time
     * @throws QueueClosed when the queue is closed (and empty, for a closure by the pills)
     */
    Task take(long nanos) throws InterruptedException, QueueClosed {
        lock.lockInterruptibly();
        try {
            while (true) {
                if (closedNow != null) {
                    throw new QueueClosed(closedNow);
                }
                Task task = queue.poll();
                while (task != null && !task.live()) {
                    task = queue.poll(); // revoked: its new owner delivers it
                }
                if (task != null) {
                    task.partition.inHand.incrementAndGet();
                    inHand.incrementAndGet();
                    return task;
                }
                if (closedWhenEmpty != null) {
                    throw new QueueClosed(closedWhenEmpty);
                }
                if (nanos <= 0) {
                    return null;
                }
                nanos = available.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A task taken with {@link #take} is done, or was consumed by the engine: it is in hand no more. */
    void finished(Task task) {
        task.partition.inHand.decrementAndGet();
        inHand.decrementAndGet();
    }

    /** From now on a getter that finds the queue empty is told {@code why}: this member's partitions are closed. */
    void closeWhenDrained(String why) {
        lock.lock();
        try {
            if (closedWhenEmpty == null) {
                closedWhenEmpty = why;
            }
            available.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True once {@link #closeWhenDrained} or {@link #closeNow} was called. */
    boolean closed() {
        lock.lock();
        try {
            return closedWhenEmpty != null || closedNow != null;
        } finally {
            lock.unlock();
        }
    }

    /** Every getter, waiting or later, is told {@code why} at once. */
    void closeNow(String why) {
        lock.lock();
        try {
            if (closedNow == null) {
                closedNow = why;
            }
            available.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Takes every queued task out, for an immediate shutdown to drop. */
    List<Task> drain() {
        lock.lock();
        try {
            List<Task> all = new ArrayList<>(queue);
            queue.clear();
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Queued tasks of the partition whose record is not a pill: items a getter would be handed. */
    int queuedItems(PartitionProgress partition) {
        lock.lock();
        try {
            int items = 0;
            for (Task task : queue) {
                if (task.partition == partition && task.live() && !RecordCodec.isPill(task.record.value())) {
                    items++;
                }
            }
            return items;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void stop() {
        closeNow("the queue is closed");
    }

    /** Getters hold their tasks as long as they like: closing does not wait for them. */
    @Override
    public boolean awaitTermination(Duration timeout) {
        return true;
    }

    @Override
    public void awaitQuiet(Collection<TopicPartition> partitions, Duration timeout) {
        List<PartitionProgress> wanted = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            PartitionProgress partition = this.partitions.remove(tp);
            if (partition != null) {
                wanted.add(partition);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        // Once the queue is closed, getters' tasks are not waited for: they are delivered again.
        while (!stoppedNow() && System.nanoTime() - deadline < 0
                && wanted.stream().anyMatch(p -> p.inHand.get() > 0)) {
            try {
                TimeUnit.MILLISECONDS.sleep(5); // rebalances are rare; no condition to signal per record
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean stoppedNow() {
        lock.lock();
        try {
            return closedNow != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int inProgress() {
        return inHand.get();
    }

    @Override
    public Throwable failure() {
        return null; // a getter's failure is the getter's
    }

    @Override
    public void close() {
        stop();
    }
}
