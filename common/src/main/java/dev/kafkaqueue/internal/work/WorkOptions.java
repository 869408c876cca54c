package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * How the engine gets and finishes items, checked by whoever built it (the queue's builder).
 *
 * @param client          how to reach the cluster
 * @param topic           the queue's topic
 * @param group           the group that works it
 * @param groupType       consumer group or share group
 * @param commit          when finished offsets are committed, and how often at least
 * @param ordering        which items {@code process()} may work side by side
 * @param retry           how often and how patiently a failing item is tried again
 * @param deadLetterTopic where unreadable and failed records go
 * @param dedup           how many applied items are remembered, and where, so a redelivery is not applied twice
 * @param instanceId      the static group member id ({@code group.instance.id}), if any
 * @param requestTimeout  the longest one admin call or blocking client call may take
 * @param ownRunId        the run of the queue's own puts: its pills close partitions for this member too
 */
public record WorkOptions(ClientConfig client, String topic, String group, GroupType groupType, Commit commit,
                          Ordering ordering, Retry retry, String deadLetterTopic, Dedup dedup,
                          Optional<String> instanceId, Duration requestTimeout, String ownRunId) {

    /** Records per partition held before the fetcher waits: see {@link Throttle}. */
    static final int BACKLOG_RECORDS = 10_000;

    public WorkOptions {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(groupType, "groupType");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(ordering, "ordering");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(dedup, "dedup");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(ownRunId, "ownRunId");
    }

    /**
     * @param mode     when finished offsets are committed
     * @param interval in {@code batch} mode, the longest a finished item waits for its commit
     */
    public record Commit(CommitMode mode, Duration interval) {
        public Commit {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(interval, "interval");
        }
    }

    /**
     * @param maxRetries   retries of a failed item before it is dead-lettered (or, in a share group, released)
     * @param firstBackoff the first retry's delay; each next one doubles it
     */
    public record Retry(int maxRetries, Duration firstBackoff) {
        public Retry {
            Objects.requireNonNull(firstBackoff, "firstBackoff");
        }
    }

    /**
     * @param window how many recently applied items are remembered; 0 turns dedup off
     * @param file   the file that keeps the window across restarts, if any
     */
    public record Dedup(int window, Optional<Path> file) {
        public Dedup {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * How long a revoke waits for the items in hand of the partitions leaving: half of {@code max.poll.interval.ms},
     * which is also the rebalance's deadline for this member, and at most 30 s. Past it, those items' offsets stay
     * uncommitted and the new owner redelivers them.
     */
    Duration inHandWait() {
        long maxPollInterval = client.clientLong(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
        return Duration.ofMillis(Math.min(30_000, maxPollInterval / 2));
    }

    /**
     * The longest one blocking call may hold the poll thread (a commit, a closure check): the request timeout, but
     * never more than half of {@code max.poll.interval.ms}, or a rebalance would time this member out.
     */
    Duration blockingLimit() {
        Duration half = inHandWait();
        return requestTimeout.compareTo(half) < 0 ? requestTimeout : half;
    }

    /**
     * The key and value bytes a partition's backlog may hold before the fetcher waits: two fetches' worth
     * ({@code max.partition.fetch.bytes}, 1 MiB by default), and at least 4 MiB. Large records are bounded by this,
     * small ones by {@link #BACKLOG_RECORDS}.
     */
    long backlogBytes() {
        long fetch = client.clientLong(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES);
        return Math.max(4L << 20, 2 * fetch);
    }

    /** {@code max.poll.records}: the most one poll returns. */
    int maxPollRecords() {
        return (int) client.clientLong(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, ConsumerConfig.DEFAULT_MAX_POLL_RECORDS);
    }

    /** How long the poll thread waits for a full backlog before it pauses the partition: well inside the poll limit. */
    Duration throttlePatience() {
        return Duration.ofMillis(Math.min(1_000, inHandWait().toMillis() / 2));
    }
}
