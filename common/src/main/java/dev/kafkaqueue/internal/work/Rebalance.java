package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the consumer does when partitions move. Before a partition leaves: its remaining tasks are dropped, the ones
 * in hand finish (up to a bound), and the finished prefix is committed. When one arrives: its closure is read from
 * the committed offset's metadata. Runs on the poll thread, inside {@code poll()}.
 */
final class Rebalance implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(Rebalance.class);

    private final Consumer<byte[], byte[]> kafka;
    private final TaskDone taskDone;
    private final Dispatcher workers;
    private final RunClosure closure;
    private final Throttle throttle;
    private final Wakeups wakeups;
    private final Duration timeout;
    private final Duration inHandWait;
    private final Runnable moved;

    /**
     * @param timeout    the longest wait for the committed offsets of newly assigned partitions
     * @param inHandWait how long a revoke waits for the items in hand; past it their offsets stay uncommitted
     * @param moved      runs after each change of the assignment (the per-partition meters follow it)
     */
    Rebalance(Consumer<byte[], byte[]> kafka, TaskDone taskDone, Dispatcher workers, RunClosure closure,
              Throttle throttle, Wakeups wakeups, Duration timeout, Duration inHandWait, Runnable moved) {
        this.kafka = kafka;
        this.taskDone = taskDone;
        this.workers = workers;
        this.closure = closure;
        this.throttle = throttle;
        this.wakeups = wakeups;
        this.timeout = timeout;
        this.inHandWait = inHandWait;
        this.moved = moved;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return; // cooperative rebalancing calls this with nothing to give up
        }
        taskDone.release(partitions);
        workers.awaitQuiet(partitions, inHandWait);
        taskDone.revoked(partitions);
        closure.revoked(partitions);
        throttle.forget(partitions);
        moved.run();
        log.info("Revoked {}", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = Map.of();
        try {
            committed = wakeups.call(() -> kafka.committed(new HashSet<>(partitions), timeout));
            closure.assigned(committed);
        } catch (RetriableException e) {
            // Without them these partitions count as open: the consumer waits for their pills instead.
            log.warn("Cannot read the closures of {}: {}", partitions, e.toString());
        }
        for (TopicPartition tp : partitions) {
            taskDone.assigned(tp, committed.get(tp));
        }
        moved.run();
        log.info("Assigned {}", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        taskDone.lost(partitions); // another member owns them now: its commits count
        closure.revoked(partitions);
        throttle.forget(partitions);
        moved.run();
        log.warn("Lost {}: another member owns them now; what was finished and not committed is delivered again",
                partitions);
    }
}
