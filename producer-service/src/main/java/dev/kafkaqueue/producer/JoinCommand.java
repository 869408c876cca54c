package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.ConnectionOptions;
import dev.kafkaqueue.common.DurationConverter;
import dev.kafkaqueue.common.GroupLagReader;
import dev.kafkaqueue.common.GroupTypeOption;
import dev.kafkaqueue.common.Join;
import dev.kafkaqueue.common.PartitionTail;
import dev.kafkaqueue.common.Topics;
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
                    + "and lag above zero."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:lag is zero: all the work is done",
            "1:run-time failure",
            "2:bad flags or configuration, or no broker answered at startup",
            "3:--timeout passed with lag above zero (or the topic missing)",
            "4:records were deleted by retention before they were processed (lost work)"})
final class JoinCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    GroupTypeOption groupType;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_TIMEOUT:-60s}",
            description = "Longest wait; default ${DEFAULT-VALUE} (env QUEUE_TIMEOUT).")
    Duration timeout;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:QUEUE_LAG_INTERVAL:-1s}",
            description = "Time between lag samples; default ${DEFAULT-VALUE}.")
    Duration interval;

    @Option(names = "--count", paramLabel = "N", defaultValue = "${env:QUEUE_COUNT:--1}",
            description = "The items the run put, only for the final line (\"all N items done\"); optional.")
    long count;

    @Option(names = "--json", description = "One JSON object per line: each lag snapshot, then the result.")
    boolean json;

    @Option(names = "--closed", defaultValue = "${env:QUEUE_JOIN_CLOSED:-false}",
            description = "Also wait until a poison pill was processed on every partition: the run's producer "
                    + "finished, so lag 0 means all of its work is done (a producer killed before its pills keeps "
                    + "join waiting) (env QUEUE_JOIN_CLOSED).")
    boolean closed;

    @Option(names = "--per-partition",
            description = "On a terminal, show each partition's lag beside the progress bar. "
                    + "Without a terminal every partition is always listed.")
    boolean perPartition;

    @Override
    public Integer call() throws Exception {
        JoinSettings settings = new JoinSettings(connection.clientConfig(), connection.topic(), connection.group(),
                timeout, interval, count < 0 ? OptionalLong.empty() : OptionalLong.of(count),
                connection.connectTimeout(), json, perPartition, closed);
        try (Admin admin = Admin.create(settings.client().clientProperties());
             PartitionTail tail = new PartitionTail(settings.client(), settings.connectTimeout())) {
            Topics.awaitCluster(admin, settings.client().bootstrapServers(), settings.connectTimeout());
            return run(groupType.groupType().lagReader(admin, tail, settings.connectTimeout()), settings);
        }
    }

    /** Waits and reports; shared with the producer's {@code --join}. */
    static int run(GroupLagReader reader, JoinSettings settings) throws InterruptedException {
        JoinDisplay display = JoinDisplay.choose(settings.json(), settings.perPartition(), settings.expectedItems(),
                System.out);
        Join join = new Join(reader, settings.interval());
        Join.Result result = (settings.untilClosed() ? join.untilClosed() : join)
                .await(settings.topic(), settings.group(), settings.timeout(), display::progress);
        display.finish(result, settings.timeout());
        return result.outcome().exitCode();
    }
}
