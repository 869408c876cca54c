package dev.kafkaqueue.consumer;

import dev.kafkaqueue.common.ConnectionOptions;
import dev.kafkaqueue.common.DurationConverter;
import dev.kafkaqueue.common.GracefulShutdown;
import dev.kafkaqueue.common.GroupTypeOption;
import dev.kafkaqueue.common.ItemLog;
import dev.kafkaqueue.common.ServiceMetrics;
import dev.kafkaqueue.common.Settings;
import dev.kafkaqueue.common.Topics;
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
            description = "When task_done() commits: batch (once per poll, default), per-record, or none (the seed's "
                    + "\"omit task_done\") (env QUEUE_COMMIT).")
    String commit;

    @Option(names = "--count", paramLabel = "N", defaultValue = "${env:QUEUE_CONSUMER_COUNT:-0}",
            description = "Stop after N items; 0 (default) means until the poison pills (env QUEUE_CONSUMER_COUNT).")
    int count;

    @Option(names = "--dlt-topic", paramLabel = "TOPIC", defaultValue = "${env:QUEUE_DLT_TOPIC}",
            description = "Dead-letter topic; default <topic>.DLT (env QUEUE_DLT_TOPIC).")
    String deadLetterTopic;

    @Option(names = "--applied-log", paramLabel = "FILE", defaultValue = "${env:QUEUE_APPLIED_LOG}",
            description = "File of applied item keys: an item redelivered after a crash is not applied twice "
                    + "(env QUEUE_APPLIED_LOG). Without it, duplicates are caught only within this process.")
    Path appliedLog;

    @Option(names = "--max-retries", paramLabel = "N", defaultValue = "${env:QUEUE_MAX_RETRIES:-3}",
            description = "Retries of a failing item before it is dead-lettered; default ${DEFAULT-VALUE}.")
    int maxRetries;

    @Option(names = "--retry-backoff", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_RETRY_BACKOFF:-200ms}",
            description = "Delay before the first retry, doubling each time; default ${DEFAULT-VALUE}.")
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
        String topic = connection.topic();
        ConsumerSettings settings = new ConsumerSettings(connection.clientConfig(), topic, connection.group(),
                workMs(), CommitMode.parse(commit), count,
                deadLetterTopic == null || deadLetterTopic.isBlank() ? topic + ".DLT" : deadLetterTopic,
                Optional.ofNullable(appliedLog), maxRetries, retryBackoff, failItems, itemLog,
                connection.connectTimeout());
        // Every flag is checked before the cluster is: a bad one fails at once, not after --connect-timeout.
        ItemProcessor processor = InjectedFailures.wrap(new SimulatedWork(settings.work()), settings.failItems());
        OptionalInt port = Settings.port("--metrics-port", metricsPort);
        if (groupType.isShare()) {
            ShareQueueConsumer.check(settings);
        }
        try (Admin admin = Admin.create(settings.client().clientProperties())) {
            Topics.awaitCluster(admin, settings.client().bootstrapServers(), settings.connectTimeout());
        }
        try (AppliedLog applied = settings.appliedLog().map(AppliedLog::open).orElseGet(AppliedLog::inMemory);
             ServiceMetrics metrics = ServiceMetrics.start("consumer", port)) {
            if (groupType.isShare()) {
                ShareQueueConsumer share = ShareQueueConsumer.create(settings, processor, applied, metrics);
                return GracefulShutdown.run(share::stop, Duration.ofSeconds(20), share::run);
            }
            QueueConsumer consumer = QueueConsumer.create(settings, processor, applied, metrics);
            return GracefulShutdown.run(consumer::stop, Duration.ofSeconds(20), consumer::run);
        }
    }

    private Duration workMs() {
        if (workMs < 0) {
            throw new IllegalArgumentException("--work-ms=" + workMs + " is not allowed: it must be 0 or more");
        }
        return Duration.ofMillis(workMs);
    }
}
