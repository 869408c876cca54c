package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.lag.OldestTimes;
import dev.kafkaqueue.internal.lag.PartitionTail;
import dev.kafkaqueue.internal.StopSignal;
import dev.kafkaqueue.cli.GroupTypeOption;
import dev.kafkaqueue.cli.ConnectionOptions;
import dev.kafkaqueue.cli.DurationConverter;
import dev.kafkaqueue.cli.GracefulShutdown;
import dev.kafkaqueue.internal.Topics;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code await queue.join()} on its own: waits until the group's lag on the topic is zero. */
@Command(name = "join", mixinStandardHelpOptions = true, version = "kafka-queue join 0.1.0", sortOptions = false,
        description = {
            "Waits until the consumer group's lag on the topic is zero on every partition: committed offset == log "
                    + "end offset, as kafka-consumer-groups --describe computes it.",
            "A partition with records and no committed offset is not done; neither is a group with no live members "
                    + "and lag above zero.",
            "SIGINT or SIGTERM ends the wait: join prints its result (why it is not done) and exits 5."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:lag is zero: all the work is done",
            "1:run-time failure",
            "2:bad flags or configuration, or no broker answered at startup",
            "3:--timeout passed with lag above zero, the topic missing, or fewer records than --count",
            "4:records were deleted by retention before they were processed (lost work)",
            "5:stopped by SIGINT or SIGTERM before the work was done"})
public final class JoinCommand implements Callable<Integer> {

    /** How long a signalled join may take to print its result before the JVM halts. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_TIMEOUT:-60s}",
            description = "Longest wait; default ${DEFAULT-VALUE} (env QUEUE_TIMEOUT).")
    Duration timeout;

    @Option(names = "--lag-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_LAG_INTERVAL:-50ms}",
            description = "Time between lag samples; default ${DEFAULT-VALUE}, so the done line follows the last "
                    + "commit within about that (unchanged samples are not printed) "
                    + "(env QUEUE_LAG_INTERVAL). --interval is the old name, still accepted.")
    Duration lagInterval;

    /** The old name of {@code --lag-interval}; wins when given. */
    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class, hidden = true)
    Duration oldInterval;

    @Option(names = "--count", paramLabel = "N", defaultValue = "${env:QUEUE_COUNT}",
            description = {"The items the run put (env QUEUE_COUNT). join is not done while the topic holds fewer "
                    + "than N records, so \"all N items done\" is never said of a topic that has fewer.",
                "Records cannot be told apart by offsets: pills, transaction markers and earlier runs' records count "
                        + "too, so N is a lower bound. Without --count no records are counted."})
    Long count;

    @Option(names = "--json", defaultValue = "${env:QUEUE_JOIN_JSON:-false}",
            description = "One JSON object per line: each lag snapshot, then the result with its reason "
                    + "(env QUEUE_JOIN_JSON).")
    boolean json;

    @Option(names = "--closed", defaultValue = "${env:QUEUE_JOIN_CLOSED:-false}",
            description = "Also wait until a poison pill was processed on every partition: the run's producer "
                    + "finished, so lag 0 means all of its work is done (a producer killed before its pills keeps "
                    + "join waiting) (env QUEUE_JOIN_CLOSED).")
    boolean closed;

    @Option(names = "--per-partition", defaultValue = "${env:QUEUE_JOIN_PER_PARTITION:-false}",
            description = "On a terminal, show each partition's lag beside the progress bar. "
                    + "Without a terminal every partition is always listed (env QUEUE_JOIN_PER_PARTITION).")
    boolean perPartition;

    @Override
    public Integer call() throws Exception {
        JoinSettings settings = new JoinSettings(connection.address(), timeout,
                oldInterval == null ? lagInterval : oldInterval,
                count == null ? OptionalLong.empty() : OptionalLong.of(count),
                closed ? Join.Condition.CLOSED : Join.Condition.LAG_ZERO,
                json ? JoinSettings.Display.JSON
                        : perPartition ? JoinSettings.Display.PER_PARTITION : JoinSettings.Display.AUTO,
                connection.connectTimeout());
        StopSignal stop = new StopSignal();
        return GracefulShutdown.run(stop::stop, GRACE, () -> {
            try (Admin admin = Admin.create(settings.queue().client().clientProperties());
                 PartitionTail tail = new PartitionTail(settings.queue().client(), settings.connectTimeout());
                 OldestTimes times = new OldestTimes(settings.queue().client(), settings.connectTimeout())) {
                Topics.awaitCluster(admin, settings.queue().client().bootstrapServers(), settings.connectTimeout());
                return new JoinRunner(settings, System.out)
                        .run(LagReader.of(groupType.groupType(), admin, tail, settings.connectTimeout())
                        .withOldestUnfinished(times), stop);
            }
        });
    }
}
