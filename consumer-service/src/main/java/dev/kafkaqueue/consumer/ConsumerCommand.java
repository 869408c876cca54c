package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.InvalidSettingException;
import dev.kafkaqueue.queue.QueueAddress;
import dev.kafkaqueue.queue.Settings;
import dev.kafkaqueue.service.ConnectionOptions;
import dev.kafkaqueue.service.DurationConverter;
import dev.kafkaqueue.service.GracefulShutdown;
import dev.kafkaqueue.service.GroupTypeOption;
import dev.kafkaqueue.service.ItemLog;
import dev.kafkaqueue.service.ServiceMetrics;
import dev.kafkaqueue.service.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code item = await queue.get(); ...; queue.task_done()} in a loop, until the poison pills. */
@Command(name = "consumer-service", mixinStandardHelpOptions = true, version = "kafka-queue consumer 0.1.0",
        sortOptions = false,
        description = {
            "Polls the queue topic as a member of the consumer group, processes each item, then commits its offset.",
            "Ends when every partition is closed by a poison pill, after --count items, or on SIGTERM (finishes the "
                    + "record in hand, commits it, leaves the group, exits 0).",
            "Unreadable records, and items still failing after the retries, go to the dead-letter topic."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done: poison pills, --count reached, or SIGTERM",
            "1:run-time failure, e.g. a dead-letter write failed (that record's offset is not committed)",
            "2:bad flags or configuration, or no broker answered at startup"})
final class ConsumerCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Option(names = "--work-ms", paramLabel = "MS", defaultValue = "${env:QUEUE_WORK_MS:-0}",
            description = "Simulated processing time per item; default ${DEFAULT-VALUE} (env QUEUE_WORK_MS).")
    long workMs;

    @Option(names = "--commit", paramLabel = "MODE", defaultValue = "${env:QUEUE_COMMIT:-batch}",
            converter = CommitMode.Converter.class,
            description = "When task_done() commits: batch (once per poll, default), per-record, or none (the seed's "
                    + "\"omit task_done\") (env QUEUE_COMMIT).")
    CommitMode commit;

    @Option(names = "--commit-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_COMMIT_INTERVAL:-1s}",
            description = "In batch mode, commit what is finished at least this often (and whenever nothing is left "
                    + "in flight); bounds the work redone after a crash. Default ${DEFAULT-VALUE} "
                    + "(env QUEUE_COMMIT_INTERVAL).")
    Duration commitInterval;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "${env:QUEUE_CONCURRENCY:-1}",
            description = "Items in flight at once in this consumer, each on a worker thread; 1 to "
                    + ConsumerSettings.MAX_CONCURRENCY + ", default ${DEFAULT-VALUE} (env QUEUE_CONCURRENCY).")
    int concurrency;

    @Option(names = "--ordering", paramLabel = "ORDER", defaultValue = "${env:QUEUE_ORDERING:-partition}",
            converter = OrderingConverter.class,
            description = "Which items may be in flight together with --concurrency: partition (one at a time per "
                    + "partition, default), key (one at a time per record key) or unordered (env QUEUE_ORDERING).")
    Ordering ordering;

    @Option(names = "--instance-id", paramLabel = "ID", defaultValue = "${env:QUEUE_INSTANCE_ID}",
            description = "Static group membership (group.instance.id): a consumer restarted with the same id after "
                    + "a crash gets its partitions back at once, without waiting for session.timeout.ms. "
                    + "'{hostname}' is replaced by this host's name. Off by default (env QUEUE_INSTANCE_ID).")
    String instanceId;

    @Option(names = "--count", paramLabel = "N",
            defaultValue = "${env:QUEUE_COUNT:-${env:QUEUE_CONSUMER_COUNT:-0}}",
            description = "Stop after N items; 0 (default) means until the poison pills (env QUEUE_COUNT; the old "
                    + "QUEUE_CONSUMER_COUNT still works).")
    int count;

    @Option(names = "--dlt-topic", paramLabel = "TOPIC", defaultValue = "${env:QUEUE_DLT_TOPIC}",
            description = "Dead-letter topic; default <topic>.DLT (env QUEUE_DLT_TOPIC).")
    String deadLetterTopic;

    @Option(names = "--applied-log", paramLabel = "FILE", defaultValue = "${env:QUEUE_APPLIED_LOG}",
            description = "File that keeps the dedup window across restarts: an item redelivered after a crash is "
                    + "not applied twice (env QUEUE_APPLIED_LOG). Without it, duplicates are caught only within this "
                    + "process.")
    Path appliedLog;

    @Option(names = "--dedup-window", paramLabel = "N", defaultValue = "${env:QUEUE_DEDUP_WINDOW:-100000}",
            description = "How many recently applied items are remembered to skip redeliveries; memory and the "
                    + "applied log stay O(N), about 26 bytes per item. 0 turns dedup off; at most 10000000. "
                    + "Default ${DEFAULT-VALUE} (env QUEUE_DEDUP_WINDOW).")
    int dedupWindow;

    @Option(names = "--max-retries", paramLabel = "N", defaultValue = "${env:QUEUE_MAX_RETRIES:-3}",
            description = "Retries of a failing item before it is dead-lettered; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_MAX_RETRIES).")
    int maxRetries;

    @Option(names = "--retry-backoff", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_RETRY_BACKOFF:-200ms}",
            description = "Delay before the first retry, doubling each time; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_RETRY_BACKOFF).")
    Duration retryBackoff;

    @Option(names = "--item-log", paramLabel = "MODE", defaultValue = "${env:QUEUE_ITEM_LOG:-auto}",
            description = "One line per item (each), a periodic summary (summary), or lines for the first 100 "
                    + "then summaries (auto, default). Env QUEUE_ITEM_LOG.")
    ItemLog.Mode itemLog;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:QUEUE_METRICS_PORT}",
            description = "Serve Prometheus metrics at /metrics and a healthcheck at /health on this port; 0 picks a "
                    + "free one. Off by default (env QUEUE_METRICS_PORT).")
    Integer metricsPort;

    @Option(names = "--fail-items", paramLabel = "ID[:TIMES],...", hidden = true,
            defaultValue = "${env:QUEUE_FAIL_ITEMS}",
            description = "Test hook: processing of these item ids throws (TIMES times, or always).")
    String failItems;

    @Override
    public Integer call() throws Exception {
        QueueAddress queue = connection.address();
        ConsumerSettings settings = new ConsumerSettings(queue, Duration.ofMillis(workMs), commit, commitInterval,
                count, deadLetterTopic == null || deadLetterTopic.isBlank() ? queue.topic() + ".DLT" : deadLetterTopic,
                Optional.ofNullable(appliedLog), dedupWindow, maxRetries, retryBackoff, failItems, itemLog,
                connection.connectTimeout(), concurrency, ordering, instanceId(instanceId));
        // Every flag is checked before the cluster is: a bad one fails at once, not after --connect-timeout.
        ItemProcessor processor = InjectedFailures.wrap(new SimulatedWork(settings.work()), settings.failItems());
        OptionalInt port = Settings.port("--metrics-port", metricsPort);
        if (groupType.isShare()) {
            ShareQueueConsumer.check(settings);
            ShareQueueConsumer.consumerProperties(settings); // a --command-config that overrides what it needs
        } else {
            QueueConsumer.consumerProperties(settings);
        }
        // One Admin client for the run: the start-up checks, then the end-of-run checks (RunClosure.EndOffsets).
        try (Admin admin = Admin.create(settings.client().clientProperties())) {
            Topics.awaitCluster(admin, settings.client().bootstrapServers(), settings.connectTimeout());
            if (!TopicWait.untilCreated(admin, queue.topic(), settings.connectTimeout())) {
                return ExitCode.OK; // a signal ended the wait before there was anything to consume
            }
            try (DedupWindow dedup = settings.appliedLog()
                            .map(file -> DedupWindow.open(file, settings.dedupWindow()))
                            .orElseGet(() -> DedupWindow.inMemory(settings.dedupWindow()));
                 ServiceMetrics metrics = ServiceMetrics.start("consumer", queue, port)) {
                if (groupType.isShare()) {
                    ShareQueueConsumer share = ShareQueueConsumer.create(settings, processor, dedup, metrics);
                    return GracefulShutdown.run(share::stop, Duration.ofSeconds(20), share::run);
                }
                QueueConsumer consumer = QueueConsumer.create(settings, processor, dedup, admin, metrics);
                return GracefulShutdown.run(consumer::stop, Duration.ofSeconds(20), consumer::run);
            }
        }
    }

    /** The static member id, with {@code {hostname}} replaced: compose gives each replica its own this way. */
    private static Optional<String> instanceId(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        if (!value.contains("{hostname}")) {
            return Optional.of(value);
        }
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            throw new InvalidSettingException("--instance-id='" + value + "': cannot read this host's name: "
                    + e.getMessage(), e);
        }
        return Optional.of(value.replace("{hostname}", host));
    }

    /** Reads --ordering case-insensitively, listing the allowed values when it is wrong. */
    static final class OrderingConverter implements picocli.CommandLine.ITypeConverter<Ordering> {
        @Override
        public Ordering convert(String value) {
            for (Ordering ordering : Ordering.values()) {
                if (ordering.name().equalsIgnoreCase(value.trim())) {
                    return ordering;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value
                    + "' is not allowed; use one of partition, key, unordered");
        }
    }
}
