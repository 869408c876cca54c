package dev.kafkaqueue.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.cli.ConnectionOptions;
import dev.kafkaqueue.cli.DurationConverter;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.GracefulShutdown;
import dev.kafkaqueue.cli.GroupTypeOption;
import dev.kafkaqueue.cli.InvalidSettingException;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.cli.ServiceMetrics;
import dev.kafkaqueue.cli.Settings;
import dev.kafkaqueue.internal.StartupException;
import dev.kafkaqueue.internal.Words;
import dev.kafkaqueue.internal.work.DeadLetterException;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code item = await queue.get(); ...; queue.task_done()} in a loop, until the poison pills: the work is a command
 * ({@code --exec}) or a stand-in ({@code --work-ms}).
 */
@Command(name = "consumer-service", mixinStandardHelpOptions = true, version = "kafka-queue consumer 0.1.0",
        sortOptions = false,
        description = {
            "Polls the queue topic as a member of the consumer group, processes each item, then commits its offset.",
            "With --exec CMD each item runs sh -c CMD: the payload on its standard input, QUEUE_TOPIC, "
                    + "QUEUE_PARTITION, QUEUE_OFFSET, QUEUE_ITEM_ID, QUEUE_RUN_ID and QUEUE_ATTEMPT in its "
                    + "environment, its output lines tagged with the item id; exit status 0 is task_done, anything "
                    + "else a failure (retried, then dead-lettered with the exit status and the end of stderr).",
            "Ends when every partition is closed by a poison pill, after --count items, or on SIGTERM (finishes the "
                    + "record in hand, commits it, leaves the group, exits 0).",
            "Unreadable records, and items still failing after the retries, go to the dead-letter topic."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done: poison pills, --count reached, or SIGTERM",
            "1:run-time failure, e.g. a dead-letter write failed (that record's offset is not committed)",
            "2:bad flags or configuration, no broker answered at startup, or --exec's shell cannot start"})
final class ConsumerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ConsumerCommand.class);
    /** How long a signalled consumer may take to finish, commit and leave before the JVM halts. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(20);
    /** How long commands have after SIGTERM before they get SIGKILL: half the grace, the rest is for the commits. */
    static final Duration EXEC_KILL_AFTER = SHUTDOWN_GRACE.dividedBy(2);

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Spec
    CommandSpec spec;

    @Option(names = "--exec", paramLabel = "CMD", defaultValue = "${env:QUEUE_EXEC}",
            description = "Run sh -c CMD once per item: the payload is its standard input, QUEUE_TOPIC, "
                    + "QUEUE_PARTITION, QUEUE_OFFSET, QUEUE_ITEM_ID, QUEUE_RUN_ID and QUEUE_ATTEMPT are in its "
                    + "environment, each line it prints goes to this consumer's standard output or error "
                    + "as '<item id><TAB><line>'. Exit status 0 is task_done; anything else is a failure, retried "
                    + "(--max-retries), then dead-lettered with headers dlt.exec.exit.status and dlt.exec.stderr. "
                    + "SIGTERM passes SIGTERM on to the running commands (env QUEUE_EXEC).")
    String exec;

    @Option(names = "--exec-timeout", paramLabel = "DURATION", converter = BlankIsNoDuration.class,
            defaultValue = "${env:QUEUE_EXEC_TIMEOUT}",
            description = "Kill a command after DURATION, with every process it started; that run is a failure. "
                    + "Default: no limit (env QUEUE_EXEC_TIMEOUT).")
    Duration execTimeout;

    @Option(names = "--work-ms", paramLabel = "MS", defaultValue = "${env:QUEUE_WORK_MS:-0}",
            description = "Simulated processing time per item, for demos and benchmarks; not with --exec. "
                    + "Default ${DEFAULT-VALUE} (env QUEUE_WORK_MS).")
    long workMs;

    @Option(names = "--commit", paramLabel = "MODE", defaultValue = "${env:QUEUE_COMMIT:-batch}",
            converter = CommitModeConverter.class,
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
                    + KafkaQueue.Builder.MAX_CONCURRENCY + ", default ${DEFAULT-VALUE} (env QUEUE_CONCURRENCY).")
    int concurrency;

    @Option(names = "--ordering", paramLabel = "ORDER", defaultValue = "${env:QUEUE_ORDERING:-partition}",
            converter = OrderingConverter.class,
            description = "Which items may be in flight together with --concurrency: partition (one at a time per "
                    + "partition, default), key (one at a time per record key) or unordered (env QUEUE_ORDERING).")
    Ordering ordering;

    @Option(names = "--run-id", paramLabel = "ID", defaultValue = "${env:QUEUE_RUN_ID}",
            description = "The producer run this consumer works on: its poison pills end this consumer even when they "
                    + "were put before it started. By default a consumer ends at pills put after it started, or of a "
                    + "run it read items of, so that a finished run's pills do not end a new one (env QUEUE_RUN_ID).")
    String runId;

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
        Optional<ConsumerSettings.Exec> command = command();
        ConsumerSettings settings = new ConsumerSettings(queue, groupType.groupType(),
                new ConsumerSettings.Work(Duration.ofMillis(command.isPresent() ? workMsWithExec() : workMs),
                        concurrency, ordering, count, failItems, command),
                new ConsumerSettings.Commit(commit, commitInterval),
                new ConsumerSettings.Failures(maxRetries, retryBackoff,
                        Optional.ofNullable(deadLetterTopic).filter(topic -> !topic.isBlank())),
                new ConsumerSettings.Dedup(dedupWindow, Optional.ofNullable(appliedLog)),
                instanceId(instanceId), Optional.ofNullable(runId).filter(id -> !id.isBlank()), itemLog,
                connection.connectTimeout());
        // Every flag is checked before the cluster is: a bad one fails at once, not after --connect-timeout. So is
        // the shell --exec needs.
        OptionalInt port = Settings.port("--metrics-port", metricsPort);
        Optional<ExecWork> commands = settings.work().exec().map(ConsumerCommand::commands);
        KafkaQueue.Handler<JsonNode> work = InjectedFailures.wrap(commands.<KafkaQueue.Handler<JsonNode>>map(c -> c)
                .orElseGet(() -> new SimulatedWork(settings.work().simulated())), settings.work().failItems());
        try (ServiceMetrics metrics = ServiceMetrics.start("consumer", queue, port)) {
            return run(settings, work, commands, metrics);
        } finally {
            commands.ifPresent(ExecWork::close);
        }
    }

    private static int run(ConsumerSettings settings, KafkaQueue.Handler<JsonNode> work, Optional<ExecWork> commands,
                           ServiceMetrics metrics) throws Exception {
        ItemLog items = new ItemLog(settings.itemLog(), "Consumed", System.out, Duration.ofSeconds(5));
        KafkaQueue.Builder<JsonNode> builder = settings.builder().meterRegistry(metrics.registry())
                .listener(new ConsumerOutput(System.out, items));
        KafkaQueue<JsonNode> opened = open(builder, settings);
        if (opened == null) {
            return ExitCode.OK; // a signal ended the wait before there was anything to consume
        }
        // A command that cannot be started stops the consumer; close() waits for the workers, so not on one.
        commands.ifPresent(c -> c.whenStartFails(() -> new Thread(opened::close, "exec-start-failed").start()));
        try {
            return GracefulShutdown.run(() -> {
                metrics.unhealthy();
                commands.ifPresent(c -> c.stop(EXEC_KILL_AFTER)); // SIGTERM to the commands, SIGKILL later
                opened.close(); // process() finishes the items in hand, commits them and returns
            }, SHUTDOWN_GRACE, () -> consume(opened, work, commands, settings, items, metrics));
        } finally {
            opened.close();
        }
    }

    /** The queue, once its topic exists: a consumer started before its producer waits, and says so. */
    private static KafkaQueue<JsonNode> open(KafkaQueue.Builder<JsonNode> builder, ConsumerSettings settings)
            throws Exception {
        try {
            return builder.open();
        } catch (StartupException e) {
            if (e.reason() != StartupException.Reason.TOPIC_MISSING) {
                throw e;
            }
        }
        try (Admin admin = Admin.create(settings.queue().client().clientProperties())) {
            if (!TopicWait.untilCreated(admin, settings.queue().topic(), settings.connectTimeout())) {
                return null;
            }
        }
        return builder.open();
    }

    private static int consume(KafkaQueue<JsonNode> q, KafkaQueue.Handler<JsonNode> work,
                               Optional<ExecWork> commands, ConsumerSettings settings, ItemLog items,
                               ServiceMetrics metrics) throws InterruptedException {
        KafkaQueue.Processed processed;
        try {
            processed = q.process(work, settings.work().concurrency(), settings.work().count());
        } catch (DeadLetterException e) {
            metrics.unhealthy();
            log.error("Stopping without {} the record: {}", settings.groupType() == GroupType.SHARE ? "acknowledging"
                    : "committing", e.getMessage());
            System.out.println("Consumer failed: " + e.getMessage());
            return ExitCode.FAILURE;
        }
        Optional<java.io.IOException> cannotStart = commands.flatMap(ExecWork::startFailure);
        if (cannotStart.isPresent()) {
            metrics.unhealthy();
            items.finish();
            System.out.println("Consumer failed: cannot start --exec's command: " + cannotStart.get().getMessage()
                    + "; " + Words.items(processed.items()) + " processed, the item in hand left for its next delivery");
            return ExitCode.FAILURE;
        }
        if (processed.concurrency() > 1) {
            System.out.println("Workers: " + processed.concurrency() + " threads, at most " + processed.mostBusy()
                    + " items in progress at once");
        }
        items.finish();
        ConsumerOutput.waits(metrics.registry()).ifPresent(System.out::println);
        System.out.println("Consumer done: " + Words.items(processed.items()) + " processed, "
                + processed.deadLettered() + " dead-lettered (" + switch (processed.ending()) {
                    case CLOSED -> "all partitions closed by poison pills";
                    case LIMIT -> "count reached";
                    case STOPPED -> "stopped by signal";
                } + ")");
        return ExitCode.OK;
    }

    /** {@code --exec} and {@code --exec-timeout}, if a command is given (a blank one is none). */
    private Optional<ConsumerSettings.Exec> command() {
        if (exec == null || exec.isBlank()) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--exec-timeout")) {
                throw new InvalidSettingException("--exec-timeout applies to --exec only");
            }
            return Optional.empty();
        }
        return Optional.of(new ConsumerSettings.Exec(exec, Optional.ofNullable(execTimeout)));
    }

    /**
     * {@code --work-ms} beside {@code --exec}: refused when given on the command line; a {@code QUEUE_WORK_MS} from
     * the environment (a container's default, say) yields to the command, and says so.
     */
    private long workMsWithExec() {
        if (spec.commandLine().getParseResult().hasMatchedOption("--work-ms")) {
            return workMs; // refused by the settings, naming both flags
        }
        if (workMs != 0) {
            log.info("QUEUE_WORK_MS={} ignored: with --exec the command is the work", workMs);
        }
        return 0;
    }

    /** The runner of {@code --exec}'s command, once its shell is known to start. */
    private static ExecWork commands(ConsumerSettings.Exec exec) {
        Shell shell = Shell.find();
        shell.check(exec.command());
        log.info("Each item runs sh -c '{}'{}", exec.command(),
                exec.timeout().map(t -> ", killed after " + t.toMillis() + " ms").orElse(""));
        return new ExecWork(exec.command(), exec.timeout(), shell, System.out, System.err);
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

    /** A duration, or none for a blank value: compose passes an unset variable as an empty one. */
    static final class BlankIsNoDuration implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return value == null || value.isBlank() ? null : DurationConverter.parse(value);
        }
    }

    /** Reads --commit, listing the allowed values when it is wrong. */
    static final class CommitModeConverter implements picocli.CommandLine.ITypeConverter<CommitMode> {
        @Override
        public CommitMode convert(String value) {
            String wanted = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
            for (CommitMode mode : CommitMode.values()) {
                if (mode.toString().equals(wanted)) {
                    return mode;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not allowed; use one of "
                    + "batch, per-record, none");
        }
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
