package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.ConnectionOptions;
import dev.kafkaqueue.common.DurationConverter;
import dev.kafkaqueue.common.GroupTypeOption;
import dev.kafkaqueue.common.ItemLog;
import dev.kafkaqueue.common.ServiceMetrics;
import dev.kafkaqueue.common.Settings;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code await queue.put(item)} for N items, then the poison pills, then optionally {@code await queue.join()}. */
@Command(name = "producer-service", mixinStandardHelpOptions = true, version = "kafka-queue producer 0.1.0",
        sortOptions = false,
        description = {
            "Puts N items on a Kafka topic (acks=all, idempotent), then one poison pill per partition.",
            "With --maxsize it waits while the group's unfinished items reach the bound; with --join it waits "
                    + "until the group's lag is zero.",
            "Run 'producer-service join --help' for the standalone join."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:a send failed, or another run-time failure",
            "2:bad flags or configuration, or no broker answered at startup",
            "3:--timeout passed (join or a backpressure wait)",
            "4:join found records deleted by retention before they were processed"})
final class PutCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Option(names = "--count", paramLabel = "N", defaultValue = "${env:QUEUE_COUNT:-10}",
            description = "Items to put; default ${DEFAULT-VALUE} (env QUEUE_COUNT).")
    int count;

    @Option(names = "--maxsize", paramLabel = "M", defaultValue = "${env:QUEUE_MAXSIZE:-0}",
            description = "Unfinished items (put, not yet committed by the group) never exceed M; 0 is unbounded. "
                    + "Default ${DEFAULT-VALUE} (env QUEUE_MAXSIZE).")
    int maxsize;

    @Option(names = "--join", negatable = true, defaultValue = "${env:QUEUE_JOIN:-false}", fallbackValue = "true",
            description = "After the pills, wait until the group's lag is zero (env QUEUE_JOIN).")
    boolean join;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_TIMEOUT:-60s}",
            description = "Longest wait for --join, and for any one backpressure wait; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_TIMEOUT).")
    Duration timeout;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "${env:QUEUE_PARTITIONS:-1}",
            description = "Partitions when the topic is created here; an existing topic is kept. Default "
                    + "${DEFAULT-VALUE} (env QUEUE_PARTITIONS).")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "R", defaultValue = "${env:QUEUE_REPLICATION_FACTOR:--1}",
            description = "Replication when the topic is created here; -1 (default) is the broker's default "
                    + "(env QUEUE_REPLICATION_FACTOR).")
    short replicationFactor;

    @Option(names = "--transactional-id", paramLabel = "ID", defaultValue = "${env:QUEUE_TRANSACTIONAL_ID}",
            description = "Send in transactions under this id (env QUEUE_TRANSACTIONAL_ID).")
    String transactionalId;

    @Option(names = "--pill", negatable = true, defaultValue = "${env:QUEUE_PILL:-true}", fallbackValue = "true",
            description = "Send a poison pill to every partition after the last item (default). --no-pill leaves "
                    + "the consumers running, as in the seed's simple case (env QUEUE_PILL).")
    boolean pill;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "${env:QUEUE_INTERVAL_MS:-0}",
            description = "Pause before each put, like the seed's asyncio.sleep; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_INTERVAL_MS).")
    long intervalMs;

    @Option(names = "--run-id", paramLabel = "ID", defaultValue = "${env:QUEUE_RUN_ID}",
            description = "Names this run; default random. Re-run with the same id to re-send items that consumers "
                    + "then skip as already applied (env QUEUE_RUN_ID).")
    String runId;

    @Option(names = "--item-log", paramLabel = "MODE", defaultValue = "${env:QUEUE_ITEM_LOG:-auto}",
            description = "One line per item (each), a periodic summary (summary), or lines for the first 100 "
                    + "then summaries (auto, default). Env QUEUE_ITEM_LOG.")
    ItemLog.Mode itemLog;

    @Option(names = "--lag-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_LAG_INTERVAL:-200ms}",
            description = "Least time between two lag samples for --maxsize and --join; default ${DEFAULT-VALUE}.")
    Duration lagInterval;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:QUEUE_METRICS_PORT}",
            description = "Serve Prometheus metrics at /metrics and a healthcheck at /health on this port; 0 picks a "
                    + "free one. Off by default (env QUEUE_METRICS_PORT).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        ProducerSettings settings = new ProducerSettings(connection.clientConfig(), connection.topic(),
                connection.group(), count, maxsize, join, timeout, partitions, replicationFactor,
                Optional.ofNullable(transactionalId).filter(id -> !id.isBlank()),
                pill, interval(),
                runId == null || runId.isBlank() ? UUID.randomUUID().toString().substring(0, 8) : runId,
                itemLog, lagInterval, connection.connectTimeout());
        try (ServiceMetrics metrics = ServiceMetrics.start("producer", Settings.port("--metrics-port", metricsPort))) {
            return new QueueProducer(settings, groupType.groupType(), metrics).run();
        }
    }

    private Duration interval() {
        if (intervalMs < 0) {
            throw new IllegalArgumentException("--interval-ms=" + intervalMs + " is not allowed: it must be 0 or more");
        }
        return Duration.ofMillis(intervalMs);
    }
}
