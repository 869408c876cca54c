package dev.kafkaqueue.producer;

import dev.kafkaqueue.producer.join.JoinCommand;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.cli.Settings;
import dev.kafkaqueue.cli.GroupTypeOption;
import dev.kafkaqueue.cli.ConnectionOptions;
import dev.kafkaqueue.cli.DurationConverter;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.cli.InvalidSettingException;
import dev.kafkaqueue.cli.ServiceMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code await queue.put(item)} for every line of a file or of standard input ({@code --input}), or for N generated
 * items ({@code --count}), then the poison pills, then optionally {@code await queue.join()}.
 */
@Command(name = "producer-service", mixinStandardHelpOptions = true, version = "kafka-queue producer 0.1.0",
        sortOptions = false, subcommands = JoinCommand.class,
        description = {
            "Puts items on a Kafka topic (acks=all, idempotent), then one poison pill per partition: the lines of "
                    + "--input FILE (or - for standard input), one item per line with its line number as id, or "
                    + "--count N generated items.",
            "With --maxsize it waits while the group's unfinished items reach the bound; with --join it waits "
                    + "until the group's lag is zero.",
            "SIGTERM stops the puts at once, even during a backpressure wait: the producer flushes what it sent, "
                    + "prints its report and exits 1 without pills.",
            "Run 'producer-service join --help' for the standalone join."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:a send failed, the producer was fenced by another with the same --transactional-id, SIGTERM before "
                    + "the pills, or another run-time failure",
            "2:bad flags or configuration, no broker answered at startup, or an --input line that cannot be an "
                    + "item (not UTF-8, not JSON with --format json, too large): the lines before it are put, no "
                    + "pills are sent",
            "3:--timeout passed (join or a backpressure wait)",
            "4:join found records deleted by retention before they were processed",
            "5:SIGTERM during --join, after the pills"})
final class PutCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(PutCommand.class);
    /** Items generated when neither --count nor --input is given. */
    static final int DEFAULT_COUNT = 10;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", paramLabel = "FILE", defaultValue = "${env:QUEUE_INPUT}",
            description = "Put the lines of FILE, one item per line; - reads standard input as it comes (with "
                    + "--maxsize, no faster than the group works). An item's id is its line number, from 1. "
                    + "Not with --count (env QUEUE_INPUT).")
    String input;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "${env:QUEUE_FORMAT:-text}",
            description = "How --input's lines are read: text (default: the line's text, UTF-8, without its newline, "
                    + "is the payload) or json (JSON Lines: each line must be one JSON value, which is the payload) "
                    + "(env QUEUE_FORMAT).")
    ProducerSettings.Format format;

    @Option(names = "--count", paramLabel = "N", defaultValue = "${env:QUEUE_COUNT}",
            description = "Generate N items, item-0 ... (ids 0..N-1), for demos and benchmarks; default "
                    + DEFAULT_COUNT + " without --input, refused with it (env QUEUE_COUNT).")
    Integer count;

    @Option(names = "--maxsize", paramLabel = "M", defaultValue = "${env:QUEUE_MAXSIZE:-0}",
            description = "Unfinished items (put, not yet committed by the group) never exceed M; 0 is unbounded. "
                    + "Default ${DEFAULT-VALUE} (env QUEUE_MAXSIZE).")
    int maxsize;

    @Option(names = "--join", negatable = true, defaultValue = "${env:QUEUE_JOIN:-false}", fallbackValue = "true",
            description = "After the pills, wait until the group's lag is zero (env QUEUE_JOIN).")
    boolean join;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_TIMEOUT:-60s}",
            description = "Longest wait for --join, for any one backpressure wait, and for a put's acknowledgement "
                    + "(delivery.timeout.ms, never below Kafka's 120s); default ${DEFAULT-VALUE} (env QUEUE_TIMEOUT).")
    Duration timeout;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "${env:QUEUE_PARTITIONS}",
            description = "Partitions when the topic is created here; default 1. An existing topic is kept as it "
                    + "is, with a warning when its partition count differs (env QUEUE_PARTITIONS).")
    Integer partitions;

    @Option(names = "--replication-factor", paramLabel = "R", defaultValue = "${env:QUEUE_REPLICATION_FACTOR:--1}",
            description = "Replication when the topic is created here; -1 (default) is the broker's default "
                    + "(env QUEUE_REPLICATION_FACTOR).")
    short replicationFactor;

    @Option(names = "--transactional-id", paramLabel = "ID", defaultValue = "${env:QUEUE_TRANSACTIONAL_ID}",
            description = "Send in transactions under this id (env QUEUE_TRANSACTIONAL_ID). A second producer "
                    + "started with the same id fences this one, which then stops and reports.")
    String transactionalId;

    @Option(names = "--pill", negatable = true, defaultValue = "${env:QUEUE_PILL:-true}", fallbackValue = "true",
            description = "Send a poison pill to every partition after the last item (default). --no-pill leaves "
                    + "the consumers running, as in the seed's simple case (env QUEUE_PILL).")
    boolean pill;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_INTERVAL:-0s}",
            description = "Pause before each put, like the seed's asyncio.sleep; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_INTERVAL).")
    Duration interval;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "${env:QUEUE_INTERVAL_MS}",
            description = "Deprecated: --interval in milliseconds; wins over --interval when set "
                    + "(env QUEUE_INTERVAL_MS).")
    Long intervalMs;

    @Option(names = "--run-id", paramLabel = "ID", defaultValue = "${env:QUEUE_RUN_ID}",
            description = "Names this run; default random. Re-run with the same id to re-send items that consumers "
                    + "then skip as already applied (env QUEUE_RUN_ID).")
    String runId;

    @Option(names = "--item-log", paramLabel = "MODE", defaultValue = "${env:QUEUE_ITEM_LOG:-auto}",
            description = "One line per item (each), a periodic summary (summary), or lines for the first 100 "
                    + "then summaries (auto, default, says when it switches); auto and summary end with a total "
                    + "(env QUEUE_ITEM_LOG).")
    ItemLog.Mode itemLog;

    @Option(names = "--lag-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_LAG_INTERVAL:-200ms}",
            description = "Least time between two lag samples for --maxsize and --join; default ${DEFAULT-VALUE} "
                    + "(env QUEUE_LAG_INTERVAL).")
    Duration lagInterval;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:QUEUE_METRICS_PORT}",
            description = "Serve Prometheus metrics at /metrics and a healthcheck at /health on this port; 0 picks a "
                    + "free one. Off by default (env QUEUE_METRICS_PORT).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        QueueAddress queue = connection.address();
        ProducerSettings settings = new ProducerSettings(queue,
                new ProducerSettings.Run(items(),
                        runId == null || runId.isBlank() ? UUID.randomUUID().toString().substring(0, 8) : runId,
                        pill ? ProducerSettings.Pills.SEND : ProducerSettings.Pills.NONE,
                        Optional.ofNullable(transactionalId).filter(id -> !id.isBlank())),
                new ProducerSettings.NewTopic(partitions == null ? OptionalInt.empty() : OptionalInt.of(partitions),
                        replicationFactor),
                new ProducerSettings.Pacing(maxsize, timeout,
                        intervalMs == null ? interval : Duration.ofMillis(intervalMs), lagInterval,
                        connection.connectTimeout()),
                join ? ProducerSettings.AfterPut.JOIN : ProducerSettings.AfterPut.EXIT, itemLog);
        try (ServiceMetrics metrics = ServiceMetrics.start("producer", queue,
                Settings.port("--metrics-port", metricsPort))) {
            return new QueueProducer(settings, groupType.groupType(), metrics).run();
        }
    }

    /**
     * {@code --input}'s lines, or {@code --count}'s generated items. Given on the command line together they are
     * refused; a {@code QUEUE_COUNT} from the environment (a container's default, say) yields to {@code --input}, and
     * says so.
     */
    private ProducerSettings.Items items() {
        boolean countGiven = spec.commandLine().getParseResult().hasMatchedOption("--count");
        if (input == null || input.isBlank()) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--format")) {
                throw new InvalidSettingException("--format applies to --input only; --count generates text items");
            }
            return new ProducerSettings.Generated(count == null ? DEFAULT_COUNT : count);
        }
        if (countGiven) {
            throw new InvalidSettingException("--count cannot be used with --input: the items are the input's lines, "
                    + "one per line (--count generates items, for demos and benchmarks)");
        }
        if (count != null) {
            log.info("QUEUE_COUNT={} ignored: with --input the items are the lines of {}", count,
                    "-".equals(input) ? "standard input" : input);
        }
        return new ProducerSettings.Lines("-".equals(input) ? Optional.empty() : Optional.of(Path.of(input)), format);
    }
}
