package dev.kafkaqueue.producer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.GracefulShutdown;
import dev.kafkaqueue.cli.InvalidSettingException;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.cli.ServiceMetrics;
import dev.kafkaqueue.internal.StopSignal;
import dev.kafkaqueue.internal.Topics;
import dev.kafkaqueue.internal.Words;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.lag.OldestTimes;
import dev.kafkaqueue.internal.lag.PartitionTail;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.producer.join.JoinRunner;
import dev.kafkaqueue.producer.join.JoinSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer side of the queue, as a user of {@link KafkaQueue}: opens the queue (creating the topic when it is
 * missing), puts the run ({@link Put}), and optionally joins ({@link JoinRunner}).
 *
 * <p>SIGTERM ends any wait at once (an interval, a full queue, the join): the queue is closed from the signal's thread,
 * which flushes what was sent; the producer prints its report and exits with the documented code.
 */
final class QueueProducer {

    private static final Logger log = LoggerFactory.getLogger(QueueProducer.class);
    /** How long a signalled producer may take to flush and report before the JVM halts. */
    private static final Duration GRACE = Duration.ofSeconds(30);
    /** Kafka's default max.request.size. */
    private static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

    private final ProducerSettings settings;
    private final GroupType groupType;
    private final ServiceMetrics metrics;
    private final StopSignal stop = new StopSignal();

    QueueProducer(ProducerSettings settings, GroupType groupType, ServiceMetrics metrics) {
        this.settings = settings;
        this.groupType = groupType;
        this.metrics = metrics;
    }

    /** Runs to completion and returns the process exit code. */
    int run() throws Exception {
        try (InputLines input = openInput()) {
            return run(input == null ? Put.generated(((ProducerSettings.Generated) settings.run().items()).count())
                    : Put.lines(input));
        }
    }

    private int run(Put.Source source) throws Exception {
        ItemLog items = new ItemLog(settings.itemLog(), "Produced", System.out, Duration.ofSeconds(5));
        ProducerOutput output = new ProducerOutput(System.out, items);
        KafkaQueue<JsonNode> queue = settings.builder(groupType).meterRegistry(metrics.registry()).listener(output)
                .open();
        warnIfPartitionsDiffer(queue.partitions());
        try {
            int putResult = GracefulShutdown.run(() -> {
                stop.stop();
                metrics.unhealthy();
                queue.close();
            }, GRACE, () -> new Put(settings, output, items, stop, System.out).run(Put.Target.of(queue), source));
            reportBackpressure();
            if (putResult != ExitCode.OK || settings.afterPut() != ProducerSettings.AfterPut.JOIN) {
                return putResult;
            }
            // The queue stays open while join waits: its meters (and its producer's) are still scraped.
            return GracefulShutdown.run(stop::stop, GRACE, () -> join(queue.acknowledged()));
        } finally {
            queue.close();
        }
    }

    /** {@code --join}: the standalone join's runner, expecting the items this run put. */
    private int join(long itemsPut) throws Exception {
        Duration timeout = settings.pacing().connectTimeout();
        try (Admin admin = Admin.create(settings.queue().client().clientProperties());
             PartitionTail tail = new PartitionTail(settings.queue().client(), timeout);
             OldestTimes times = new OldestTimes(settings.queue().client(), timeout)) {
            Topics.awaitCluster(admin, settings.queue().client().bootstrapServers(), timeout);
            return new JoinRunner(JoinSettings.afterPut(settings.queue(), settings.pacing().timeout(),
                    settings.pacing().lagInterval(), itemsPut, timeout), System.out)
                    .run(LagReader.of(groupType, admin, tail, timeout).withOldestUnfinished(times), stop);
        }
    }

    /**
     * {@code --input}'s lines, opened before anything else: a missing file fails at once. Null for generated items.
     *
     * @throws InvalidSettingException when the file cannot be read
     */
    private InputLines openInput() {
        if (!(settings.run().items() instanceof ProducerSettings.Lines lines)) {
            return null;
        }
        InputStream in;
        if (lines.file().isEmpty()) {
            in = System.in;
        } else {
            Path file = lines.file().get();
            if (Files.isDirectory(file)) {
                throw new InvalidSettingException("--input=" + file + ": is a directory, not a file of items");
            }
            try {
                in = Files.newInputStream(file);
            } catch (NoSuchFileException e) {
                throw new InvalidSettingException("--input=" + file + ": no such file", e);
            } catch (IOException e) {
                throw new InvalidSettingException("--input=" + file + ": cannot be read: " + e, e);
            }
        }
        return new InputLines(in, lines.format(), maxRequestSize());
    }

    /** The producer's max.request.size: no longer line can be a record. */
    private int maxRequestSize() {
        Object value = settings.queue().client().clientProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        try {
            return value == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            return DEFAULT_MAX_REQUEST_SIZE; // the producer itself refuses the value when it opens, naming it
        }
    }

    private void reportBackpressure() {
        if (settings.pacing().maxsize() > 0) {
            var waits = metrics.registry().find("queue.backpressure.waits").functionCounter();
            var seconds = metrics.registry().find("queue.backpressure.wait.seconds").functionCounter();
            long times = waits == null ? 0 : (long) waits.count();
            log.info("Backpressure: waited {}, {} ms in all (maxsize {})", Words.plural(times, "time"),
                    seconds == null ? 0 : (long) Math.floor(seconds.count() * 1000), settings.pacing().maxsize());
        }
    }

    private void warnIfPartitionsDiffer(int partitions) {
        settings.newTopic().partitions().ifPresent(wanted -> {
            if (wanted != partitions) {
                // Said, not ignored: a user who asked for a partition count should know it was not applied.
                log.warn("--partitions {} ignored: topic {} already exists with {} partitions (an existing topic is "
                        + "kept as it is; kafka-topics --alter --partitions can add partitions, never remove them)",
                        wanted, settings.queue().topic(), partitions);
            }
        });
    }
}
