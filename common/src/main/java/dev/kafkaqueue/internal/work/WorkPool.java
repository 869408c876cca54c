package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.options.Ordering;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers of {@code process()}: {@code concurrency} threads that work tasks off the poll thread, so the poll loop
 * keeps polling (and the member stays in its group) however long an item takes.
 *
 * <p>Tasks wait in lanes. A lane is worked by one thread at a time, in order: a partition's lane for
 * {@link Ordering#PARTITION}, a key's for {@link Ordering#KEY}, and a lane of its own for every task with
 * {@link Ordering#UNORDERED}. A thread takes a lane's whole backlog at once, so handing over a poll's records costs
 * one lock, not one per record.
 *
 * <p>A task whose partition was revoked, or that is reached after {@link #stop()}, is skipped: it is never marked
 * done, so its offset is not committed and the record is delivered again.
 */
final class WorkPool implements Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(WorkPool.class);

    /** Does one task's work and marks it done; runs on a worker thread. */
    interface Handler {
        void handle(Task task);
    }

    private static final class Lane {
        final Object key;
        ArrayDeque<Task> pending = new ArrayDeque<>();
        boolean queued;
        boolean active;

        Lane(Object key) {
            this.key = key;
        }
    }

    private final Ordering ordering;
    private final Handler handler;
    private final Runnable drained;
    private final Thread[] threads;
    /** A task of the partition each worker is working a batch of, by slot; null between batches. */
    private final AtomicReferenceArray<Task> current;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Map<Object, Lane> lanes = new HashMap<>();
    private final ArrayDeque<Lane> readyLanes = new ArrayDeque<>();
    private int busy;
    private int mostBusy;
    private volatile boolean stopping;
    private volatile Throwable failure;

    /**
     * @param concurrency worker threads, at least 1
     * @param ordering    which tasks may run side by side
     * @param handler     the work per task
     * @param drained     called on a worker when the last queued task is finished: wakes the poll thread to commit
     */
    WorkPool(int concurrency, Ordering ordering, Handler handler, Runnable drained) {
        this.ordering = ordering;
        this.handler = handler;
        this.drained = drained;
        this.threads = new Thread[concurrency];
        this.current = new AtomicReferenceArray<>(concurrency);
        for (int i = 0; i < concurrency; i++) {
            int slot = i;
            threads[i] = new Thread(() -> work(slot), "worker-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Queues a poll's tasks, in offset order per partition. */
    @Override
    public void submit(List<Task> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            Lane lane = null;
            for (Task task : tasks) {
                Object key = laneKey(task);
                if (key == null) {
                    lane = new Lane(null);
                } else if (lane == null || !key.equals(lane.key)) { // a poll's records come partition by partition
                    lane = lanes.computeIfAbsent(key, Lane::new);
                }
                lane.pending.add(task);
                if (!lane.queued && !lane.active) {
                    lane.queued = true;
                    readyLanes.add(lane);
                }
            }
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops taking tasks; the ones in hand are finished. Safe from any thread. */
    @Override
    public void stop() {
        stopping = true;
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean stopping() {
        return stopping;
    }

    /** The most lanes worked at the same time so far: how much of the concurrency the run used. */
    int mostBusy() {
        lock.lock();
        try {
            return mostBusy;
        } finally {
            lock.unlock();
        }
    }

    int concurrency() {
        return threads.length;
    }

    /** A failure that must end the run (a dead-letter write that failed), or null. */
    @Override
    public Throwable failure() {
        return failure;
    }

    /**
     * Waits, up to {@code timeout}, until no worker is in a task of these partitions. Their remaining tasks are
     * skipped already (the partitions are no longer owned); this lets the ones in hand finish before the commit.
     */
    @Override
    public void awaitQuiet(Collection<TopicPartition> partitions, Duration timeout) {
        Set<TopicPartition> wanted = Set.copyOf(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (busyWith(wanted)) {
            if (System.nanoTime() - deadline >= 0) {
                log.warn("Items of {} still in progress after {}; their offsets stay uncommitted", wanted, timeout);
                return;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(5); // rebalances are rare; no condition to signal per record
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Workers in a task right now (a worker counts while it works through a batch of tasks). */
    @Override
    public int inProgress() {
        int count = 0;
        for (int i = 0; i < current.length(); i++) {
            if (current.get(i) != null) {
                count++;
            }
        }
        return count;
    }

    /**
     * After {@link #stop()}: waits up to {@code timeout} for the workers to finish their tasks in hand and exit.
     *
     * @return true when every worker has exited
     */
    @Override
    public boolean awaitTermination(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : threads) {
            long left = deadline - System.nanoTime();
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                if (thread.isAlive()) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Stops, and waits for the tasks in hand to finish. */
    @Override
    public void close() {
        stop();
        awaitTermination(Duration.ofSeconds(30));
    }

    private boolean busyWith(Set<TopicPartition> partitions) {
        for (int i = 0; i < current.length(); i++) {
            Task task = current.get(i);
            if (task != null && partitions.contains(task.partition.topicPartition())) {
                return true;
            }
        }
        return false;
    }

    private Object laneKey(Task task) {
        return switch (ordering) {
            case PARTITION -> task.partition;
            // A null key is a key too: keyless items of a partition keep their order.
            case KEY -> task.record.key() == null ? task.partition : ByteBuffer.wrap(task.record.key());
            case UNORDERED -> null;
        };
    }

    private void work(int slot) {
        try {
            Lane lane = null;
            // The deque a lane's next tasks go into, swapped for the batch taken: no deque grows anew per batch.
            ArrayDeque<Task> spare = new ArrayDeque<>();
            while (true) {
                ArrayDeque<Task> batch = null;
                boolean nowDrained = false;
                lock.lock();
                try {
                    if (lane != null) {
                        nowDrained = giveBack(lane);
                        lane = null;
                    }
                    if (!nowDrained) {
                        while (!stopping && readyLanes.isEmpty()) {
                            ready.awaitUninterruptibly();
                        }
                        if (stopping) {
                            return;
                        }
                        lane = readyLanes.poll();
                        lane.queued = false;
                        lane.active = true;
                        busy++;
                        mostBusy = Math.max(mostBusy, busy);
                        batch = lane.pending;
                        lane.pending = spare;
                    }
                } finally {
                    lock.unlock();
                }
                if (nowDrained) {
                    drained.run(); // outside the lock: it wakes the poll thread to commit
                } else {
                    run(slot, batch);
                    batch.clear(); // empty already, unless the run stopped part way: those tasks are skipped
                    spare = batch;
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            stop();
            drained.run();
        }
    }

    private void run(int slot, ArrayDeque<Task> batch) {
        PartitionProgress partition = null;
        try {
            for (Task task = batch.poll(); task != null; task = batch.poll()) {
                // In the partition before checking the task is live: a revoke that marks it dead either is seen here,
                // or sees this worker in the partition and waits (awaitQuiet). A batch is one lane's, so nearly
                // always one partition's: the (fenced) volatile write is made once per batch, not per task.
                if (task.partition != partition) {
                    partition = task.partition;
                    current.set(slot, task);
                }
                if (!stopping && task.live()) {
                    handler.handle(task);
                }
            }
        } finally {
            current.setRelease(slot, null); // publishes the batch's work to awaitQuiet, without a full fence
        }
    }

    /** Under the lock: a worker finished a lane's batch. True when nothing is queued or in hand any more. */
    private boolean giveBack(Lane lane) {
        busy--;
        lane.active = false;
        if (!lane.pending.isEmpty()) {
            lane.queued = true;
            readyLanes.add(lane); // more arrived for it while its batch was worked
        } else if (lane.key != null) {
            lanes.remove(lane.key);
        }
        return busy == 0 && readyLanes.isEmpty();
    }
}
