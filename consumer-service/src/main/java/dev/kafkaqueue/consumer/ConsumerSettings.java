package dev.kafkaqueue.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.cli.InvalidSettingException;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.cli.Settings;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Everything the consumer service needs, parsed and checked once at startup, in small parts. Each failure names the
 * flag, the value and what is allowed.
 *
 * @param queue          the cluster, the queue's topic and the group this consumer joins
 * @param groupType      a consumer group or a share group
 * @param work           what is done per item, how many at once, and how many in all
 * @param commit         when finished items are committed
 * @param failures       retries, and where what cannot be done goes
 * @param dedup          the window of applied items that a redelivery is checked against
 * @param instanceId     the static group member id ({@code group.instance.id}), if any
 * @param runId          {@code --run-id}: the producer run whose pills end this consumer whenever they were put, if any
 * @param itemLog        how items are reported on standard output
 * @param connectTimeout how long to wait for a broker at startup, and for each admin call
 */
record ConsumerSettings(QueueAddress queue, GroupType groupType, Work work, Commit commit, Failures failures,
                        Dedup dedup, Optional<String> instanceId, Optional<String> runId, ItemLog.Mode itemLog,
                        Duration connectTimeout) {

    ConsumerSettings {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(groupType, "groupType");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(failures, "failures");
        Objects.requireNonNull(dedup, "dedup");
        Objects.requireNonNull(instanceId, "instanceId");
        instanceId.ifPresent(id -> Settings.requireName("--instance-id", "QUEUE_INSTANCE_ID", id));
        Objects.requireNonNull(runId, "runId");
        runId.ifPresent(id -> {
            if (id.contains(" ")) { // the producer's rule: the id is half of the dedup key, written with a space
                throw new InvalidSettingException("--run-id='" + id + "' is not allowed: it must be without spaces");
            }
        });
        Objects.requireNonNull(itemLog, "itemLog");
        Settings.requirePositive("--connect-timeout", connectTimeout);
        String deadLetterTopic = failures.deadLetterTopic().orElse(queue.topic() + ".DLT");
        if (deadLetterTopic.equals(queue.topic())) {
            throw new InvalidSettingException("--dlt-topic='" + deadLetterTopic
                    + "' is not allowed: it must differ from --topic, or bad records would loop");
        }
        if (groupType == GroupType.SHARE && commit.mode() == CommitMode.NONE) {
            throw new InvalidSettingException("--commit none is not allowed with --group-type share: a share "
                    + "consumer must acknowledge every record before its next poll; use batch or per-record");
        }
        if (groupType == GroupType.SHARE && work.concurrency() > 1) {
            throw new InvalidSettingException("--concurrency=" + work.concurrency() + " is not allowed with "
                    + "--group-type share: a share consumer works one item at a time; run more share consumers");
        }
    }

    /**
     * @param simulated  {@code --work-ms}: time spent per item, when there is no command
     * @param concurrency items in flight at once in this process (worker threads)
     * @param ordering   which items may be in flight together
     * @param count      stop after this many items; 0 is no limit
     * @param failItems  test hook: item ids whose work throws (see {@link InjectedFailures})
     * @param exec       {@code --exec}: the command run once per item, if any
     */
    record Work(Duration simulated, int concurrency, Ordering ordering, int count, String failItems,
                Optional<Exec> exec) {
        Work {
            if (simulated == null || simulated.isNegative()) {
                throw new InvalidSettingException("--work-ms=" + (simulated == null ? null : simulated.toMillis())
                        + " is not allowed: it must be 0 or more");
            }
            if (concurrency < 1 || concurrency > KafkaQueue.Builder.MAX_CONCURRENCY) {
                throw new InvalidSettingException("--concurrency=" + concurrency + " is not allowed: it must be 1 to "
                        + KafkaQueue.Builder.MAX_CONCURRENCY);
            }
            Objects.requireNonNull(ordering, "ordering");
            Settings.requireNonNegative("--count", count);
            Objects.requireNonNull(exec, "exec");
            if (exec.isPresent() && !simulated.isZero()) {
                throw new InvalidSettingException("--work-ms=" + simulated.toMillis() + " is not allowed with --exec: "
                        + "the command is the work (--work-ms simulates work, for demos and benchmarks)");
            }
        }
    }

    /**
     * {@code --exec}: a command run as {@code sh -c command} once per item.
     *
     * @param command the command; not blank
     * @param timeout {@code --exec-timeout}: how long one run may take before it is killed, with what it started; none when
     *                empty
     */
    record Exec(String command, Optional<Duration> timeout) {
        Exec {
            if (command == null || command.isBlank()) {
                throw new InvalidSettingException("--exec='" + command + "' is not allowed: it must be a command");
            }
            Objects.requireNonNull(timeout, "timeout");
            timeout.ifPresent(limit -> Settings.requirePositive("--exec-timeout", limit));
        }
    }

    /**
     * @param mode     when processed offsets are committed
     * @param interval in {@code batch} mode, the longest a finished item waits for its commit
     */
    record Commit(CommitMode mode, Duration interval) {
        Commit {
            Objects.requireNonNull(mode, "mode");
            Settings.requirePositive("--commit-interval", interval);
        }
    }

    /**
     * @param maxRetries      retries of a failed item before it is dead-lettered
     * @param retryBackoff    the first retry's delay; each next one doubles it
     * @param deadLetterTopic where unreadable and failed records go; {@code <topic>.DLT} when absent
     */
    record Failures(int maxRetries, Duration retryBackoff, Optional<String> deadLetterTopic) {
        Failures {
            Settings.requireNonNegative("--max-retries", maxRetries);
            Settings.requirePositive("--retry-backoff", retryBackoff);
            Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
            deadLetterTopic.ifPresent(topic -> Settings.requireName("--dlt-topic", "QUEUE_DLT_TOPIC", topic));
        }
    }

    /**
     * @param window     how many recently applied items are remembered, so a redelivery is not applied twice
     * @param appliedLog the file that keeps the window across restarts, if any
     */
    record Dedup(int window, Optional<Path> appliedLog) {
        Dedup {
            if (window < 0 || window > KafkaQueue.Builder.MAX_DEDUP_WINDOW) {
                throw new InvalidSettingException("--dedup-window=" + window + " is not allowed: use 0 (off) to "
                        + KafkaQueue.Builder.MAX_DEDUP_WINDOW);
            }
            Objects.requireNonNull(appliedLog, "appliedLog");
        }
    }

    /** The queue these settings describe: a consumer never creates its topic. */
    KafkaQueue.Builder<JsonNode> builder() {
        KafkaQueue.Builder<JsonNode> builder = queue.configure(KafkaQueue.builder(JsonNode.class))
                .createTopic(false)
                .groupType(groupType)
                .commitMode(commit.mode())
                .commitInterval(commit.interval())
                .ordering(work.ordering())
                .maxRetries(failures.maxRetries())
                .retryBackoff(failures.retryBackoff())
                .dedupWindow(dedup.window())
                .requestTimeout(connectTimeout);
        if (groupType == GroupType.SHARE && work.exec().isPresent()
                && !queue.client().clientProperties().containsKey(ConsumerConfig.MAX_POLL_RECORDS_CONFIG)) {
            // A command per item is slow next to a poll: one record per poll, so that the group's other members take
            // the rest, and no batch outlives the group's record lock (the engine would size it from the backlog).
            builder.config(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        }
        failures.deadLetterTopic().ifPresent(builder::deadLetterTopic);
        dedup.appliedLog().ifPresent(builder::appliedLog);
        instanceId.ifPresent(builder::instanceId);
        runId.ifPresent(builder::runId);
        return builder;
    }
}
