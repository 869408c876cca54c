package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.InvalidSettingException;
import dev.kafkaqueue.queue.QueueAddress;
import dev.kafkaqueue.queue.Settings;
import dev.kafkaqueue.service.ItemLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Everything the consumer service needs, parsed and checked once at startup.
 *
 * @param queue           the cluster, the queue's topic and the consumer group this consumer joins
 * @param work            simulated processing time per item
 * @param commitMode      when processed offsets are committed
 * @param commitInterval  in {@code batch} mode, the longest a finished item waits for its commit
 * @param count           stop after this many items; 0 is no limit
 * @param deadLetterTopic where unreadable and failed records go
 * @param appliedLog      the file that keeps the dedup window across restarts, if any
 * @param dedupWindow     how many recently applied items are remembered, so a redelivery is not applied twice
 * @param maxRetries      retries of a failed item before it is dead-lettered
 * @param retryBackoff    the first retry's delay; each next one doubles it
 * @param failItems       test hook: item ids whose processing throws (see {@link InjectedFailures})
 * @param itemLog         how items are reported on standard output
 * @param connectTimeout  how long to wait for a broker at startup, and for each metadata request
 * @param concurrency     items in flight at once in this process (worker threads)
 * @param ordering        which items may be in flight together
 * @param instanceId      the static group member id ({@code group.instance.id}), if any
 */
record ConsumerSettings(QueueAddress queue, Duration work, CommitMode commitMode,
                        Duration commitInterval, int count, String deadLetterTopic, Optional<Path> appliedLog,
                        int dedupWindow, int maxRetries, Duration retryBackoff, String failItems,
                        ItemLog.Mode itemLog, Duration connectTimeout, int concurrency, Ordering ordering,
                        Optional<String> instanceId) {

    /** The most worker threads one consumer runs. */
    static final int MAX_CONCURRENCY = 256;

    ConsumerSettings {
        Objects.requireNonNull(queue, "queue");
        if (work == null || work.isNegative()) {
            throw new InvalidSettingException("--work-ms=" + (work == null ? null : work.toMillis())
                    + " is not allowed: it must be 0 or more");
        }
        Objects.requireNonNull(commitMode, "commitMode");
        Settings.requirePositive("--commit-interval", commitInterval);
        Settings.requireNonNegative("--count", count);
        Settings.requireName("--dlt-topic", "QUEUE_DLT_TOPIC", deadLetterTopic);
        if (deadLetterTopic.equals(queue.topic())) {
            throw new InvalidSettingException("--dlt-topic='" + deadLetterTopic
                    + "' is not allowed: it must differ from --topic, or bad records would loop");
        }
        Objects.requireNonNull(appliedLog, "appliedLog");
        if (dedupWindow < 0 || dedupWindow > DedupWindow.MAX_CAPACITY) {
            throw new InvalidSettingException("--dedup-window=" + dedupWindow + " is not allowed: use 0 (off) to "
                    + DedupWindow.MAX_CAPACITY);
        }
        Settings.requireNonNegative("--max-retries", maxRetries);
        Settings.requirePositive("--retry-backoff", retryBackoff);
        Objects.requireNonNull(itemLog, "itemLog");
        Settings.requirePositive("--connect-timeout", connectTimeout);
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new InvalidSettingException("--concurrency=" + concurrency + " is not allowed: it must be 1 to "
                    + MAX_CONCURRENCY);
        }
        Objects.requireNonNull(ordering, "ordering");
        Objects.requireNonNull(instanceId, "instanceId");
        instanceId.ifPresent(id -> Settings.requireName("--instance-id", "QUEUE_INSTANCE_ID", id));
    }

    /** How to reach the cluster. */
    ClientConfig client() {
        return queue.client();
    }

    /** The queue's topic. */
    String topic() {
        return queue.topic();
    }

    /** The consumer group. */
    String group() {
        return queue.group();
    }

    /**
     * How long a revoke waits for the items in hand of the partitions leaving: half of {@code max.poll.interval.ms},
     * which is also the rebalance's deadline for this member, and at most 30 s. Past it, those items' offsets stay
     * uncommitted and the new owner redelivers them.
     */
    Duration inHandWait() {
        long maxPollInterval = clientLong(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
        return Duration.ofMillis(Math.min(30_000, maxPollInterval / 2));
    }

    /**
     * The longest one blocking call may hold the poll thread (a commit, a closure check): {@code --connect-timeout},
     * but never more than half of {@code max.poll.interval.ms}, or a rebalance would time this member out.
     */
    Duration blockingLimit() {
        Duration half = inHandWait();
        return connectTimeout().compareTo(half) < 0 ? connectTimeout() : half;
    }

    /**
     * The key and value bytes a partition's backlog may hold before the fetcher waits: two fetches' worth
     * ({@code max.partition.fetch.bytes}, 1 MiB by default), and at least 4 MiB. Large records are bounded by this,
     * small ones by {@link QueueConsumer#BACKLOG_RECORDS}.
     */
    long backlogBytes() {
        long fetch = clientLong(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES);
        return Math.max(4L << 20, 2 * fetch);
    }

    /** {@code max.poll.records}: the most one poll returns. */
    int maxPollRecords() {
        return (int) clientLong(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, ConsumerConfig.DEFAULT_MAX_POLL_RECORDS);
    }

    /** A numeric Kafka client setting from {@code --command-config}, or Kafka's default when it is not set. */
    private long clientLong(String key, long kafkaDefault) {
        Object configured = client().clientProperties().get(key);
        return configured == null ? kafkaDefault : Long.parseLong(configured.toString().trim());
    }

    /** How long the poll thread waits for a full backlog before it pauses the partition: well inside the poll limit. */
    Duration throttlePatience() {
        return Duration.ofMillis(Math.min(1_000, inHandWait().toMillis() / 2));
    }
}
