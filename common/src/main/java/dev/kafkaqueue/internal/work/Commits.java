package dev.kafkaqueue.internal.work;

import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link TaskDone}'s commits through the Kafka consumer, with failures sorted by what can be done about them. */
final class Commits implements TaskDone.Committer {

    private static final Logger log = LoggerFactory.getLogger(Commits.class);

    /** What an asynchronous commit's callback has not yet said. */
    private static final Exception UNANSWERED = new RetriableException("no answer yet") {
    };

    private final Consumer<byte[], byte[]> kafka;
    private final Wakeups wakeups;
    private final Duration timeout;
    private final Counter committed;

    /**
     * @param timeout   the longest a synchronous commit may hold the poll thread: well under
     *                  {@code max.poll.interval.ms}, which is also how long a rebalance waits for this member
     * @param committed counts each commit once the broker accepted it, as Kafka's own {@code commit-total} does
     */
    Commits(Consumer<byte[], byte[]> kafka, Wakeups wakeups, Duration timeout, Counter committed) {
        this.kafka = kafka;
        this.wakeups = wakeups;
        this.timeout = timeout;
        this.committed = committed;
    }

    /**
     * Sends the commit once, then waits for it. A worker's nudge ({@code KafkaConsumer#wakeup}) that lands in the wait
     * only makes it wait again: were the commit itself retried, a commit already sent would be sent twice. A commit
     * the broker could not take now (coordinator moving, a disconnect), or one still unanswered after the wait (Kafka
     * holds an asynchronous commit back while it looks for the coordinator), is made again with Kafka's own retries,
     * within what is left of the timeout.
     */
    @Override
    public boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception[] outcome = {UNANSWERED}; // the callback runs on this thread, inside the wait
        try {
            if (offsets.isEmpty()) {
                outcome[0] = null;
            } else {
                kafka.commitAsync(offsets, (done, error) -> outcome[0] = error);
            }
            wakeups.call(() -> {
                kafka.commitSync(Map.of(), left(deadline)); // nothing to send: waits for the commits in flight
                return null;
            });
            if (outcome[0] instanceof RetriableException) { // UNANSWERED among them
                wakeups.call(() -> {
                    kafka.commitSync(offsets, left(deadline));
                    return null;
                });
            } else if (outcome[0] instanceof RuntimeException e) {
                throw e;
            } else if (outcome[0] != null) {
                throw new KafkaException(outcome[0]);
            }
            if (!offsets.isEmpty()) {
                committed.increment();
            }
            return true;
        } catch (RetriableException e) {
            // The broker is slow or away: the next commit carries these offsets.
            log.warn("Commit of {} failed, will retry with the next one: {}", offsets.keySet(), e.toString());
            return false;
        } catch (CommitFailedException e) {
            // The group rebalanced and these partitions moved: their new owner redelivers; nothing is lost.
            log.warn("Commit rejected after a rebalance; the new owner redelivers: {}", e.getMessage());
            return false;
        } catch (RebalanceInProgressException e) {
            // A poll returned with the group's rebalance still under way: the next poll finishes it, and the next
            // commit carries these offsets if the partitions stay here (or their new owner redelivers).
            log.info("Commit of {} deferred: the group is rebalancing", offsets.keySet());
            return false;
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    @Override
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable succeeded, Runnable failed) {
        kafka.commitAsync(offsets, (done, error) -> {
            if (error == null) {
                committed.increment();
                succeeded.run();
            } else {
                log.warn("Commit of {} failed, will retry with the next one: {}", offsets.keySet(), error.toString());
                failed.run();
            }
        });
    }
}
