package dev.kafkaqueue.consumer;

import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link TaskDone}'s commits through the Kafka consumer, with failures sorted by what can be done about them. */
final class Commits implements TaskDone.Committer {

    private static final Logger log = LoggerFactory.getLogger(Commits.class);

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

    @Override
    public boolean commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            wakeups.call(() -> {
                kafka.commitSync(offsets, timeout);
                return null;
            });
            if (!offsets.isEmpty()) { // nothing is sent for an empty commit: it only waits for the async ones
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
        }
    }

    @Override
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, Runnable failed) {
        kafka.commitAsync(offsets, (done, error) -> {
            if (error == null) {
                committed.increment();
            } else {
                log.warn("Commit of {} failed, will retry with the next one: {}", offsets.keySet(), error.toString());
                failed.run();
            }
        });
    }
}
