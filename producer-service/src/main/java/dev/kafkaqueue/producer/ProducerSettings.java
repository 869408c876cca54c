package dev.kafkaqueue.producer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.cli.InvalidSettingException;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.cli.Settings;
import dev.kafkaqueue.cli.ItemLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything the producer service needs, parsed and checked once at startup, in small parts.
 *
 * @param queue     the cluster, the topic, and the group whose progress bounds {@code maxsize} and ends the join
 * @param run       what to put
 * @param newTopic  how to create the topic when it is missing
 * @param pacing    the waits: maxsize, timeouts and intervals
 * @param afterPut  whether to join after the pills
 * @param itemLog   how items are reported on standard output
 */
public record ProducerSettings(QueueAddress queue, Run run, NewTopic newTopic, Pacing pacing, AfterPut afterPut,
                               ItemLog.Mode itemLog) {

    public ProducerSettings {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(newTopic, "newTopic");
        Objects.requireNonNull(pacing, "pacing");
        Objects.requireNonNull(afterPut, "afterPut");
        Objects.requireNonNull(itemLog, "itemLog");
    }

    /** The queue these settings describe, for puts: the topic is created when it is missing. */
    KafkaQueue.Builder<JsonNode> builder(GroupType groupType) {
        KafkaQueue.Builder<JsonNode> builder = queue.configure(KafkaQueue.builder(JsonNode.class))
                .groupType(groupType)
                .maxsize(pacing.maxsize())
                .partitions(newTopic.partitionsToCreate())
                .replicationFactor(newTopic.replicationFactor())
                .runId(run.runId())
                .firstItemId(run.items().firstId())
                .putTimeout(pacing.timeout())
                .lagInterval(pacing.lagInterval())
                .requestTimeout(pacing.connectTimeout());
        run.transactionalId().ifPresent(builder::transactionalId);
        return builder;
    }

    /** Whether the producer sends a poison pill to every partition after its last item. */
    public enum Pills {
        /** A pill on every partition: consumers end once they have done the run's work (default). */
        SEND,
        /** No pills: consumers keep running (the seed's simple case). */
        NONE
    }

    /** What the producer does once its items and pills are acknowledged. */
    public enum AfterPut {
        /** Exit. */
        EXIT,
        /** Wait until the group's lag is zero ({@code --join}). */
        JOIN
    }

    /**
     * The run's items.
     *
     * @param items           what to put: generated items, or the lines of a file or of standard input
     * @param runId           names this run; with the item id it is the dedup key; no spaces
     * @param pills           whether to send the pills after the items
     * @param transactionalId send in transactions under this id, if present
     */
    public record Run(Items items, String runId, Pills pills, Optional<String> transactionalId) {
        public Run {
            Objects.requireNonNull(items, "items");
            if (runId == null || runId.isBlank() || runId.contains(" ")) {
                throw new InvalidSettingException("--run-id='" + runId
                        + "' is not allowed: it must be non-empty, without spaces");
            }
            Objects.requireNonNull(pills, "pills");
            Objects.requireNonNull(transactionalId, "transactionalId");
        }
    }

    /** Where the items come from. */
    public sealed interface Items permits Generated, Lines {
        /** The id of the first item put; the next ones count up from it. */
        long firstId();
    }

    /**
     * {@code --count N}: N generated items, {@code item-0} ... (ids 0..N-1), for demos and the benchmark.
     *
     * @param count items to put, 0 or more
     */
    public record Generated(int count) implements Items {
        public Generated {
            Settings.requireNonNegative("--count", count);
        }

        @Override
        public long firstId() {
            return 0;
        }
    }

    /**
     * {@code --input FILE} (or {@code -} for standard input): one item per line, its id the line number (from 1), so a
     * second run of the same file puts recognisably the same items.
     *
     * @param file   the file, or empty for standard input
     * @param format how a line is read
     */
    public record Lines(Optional<Path> file, Format format) implements Items {
        public Lines {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(format, "format");
        }

        @Override
        public long firstId() {
            return 1;
        }

        /** The input's name, for messages: the file, or standard input. */
        public String name() {
            return file.map(Path::toString).orElse("standard input");
        }
    }

    /** How an input line becomes an item's payload ({@code --format}). */
    public enum Format {
        /** The line's text, without its newline (default). */
        TEXT,
        /** JSON Lines: the line is exactly one JSON value, and that value is the payload. */
        JSON
    }

    /**
     * How a missing topic is created; an existing topic is kept as it is.
     *
     * @param partitions        {@code --partitions} if given (1 when absent); checked against an existing topic
     * @param replicationFactor 1 or more, or -1 for the broker's default
     */
    public record NewTopic(OptionalInt partitions, short replicationFactor) {
        public NewTopic {
            Objects.requireNonNull(partitions, "partitions");
            if (partitions.isPresent() && partitions.getAsInt() < 1) {
                throw new InvalidSettingException("--partitions=" + partitions.getAsInt()
                        + " is not allowed: it must be 1 or more");
            }
            if (replicationFactor < 1 && replicationFactor != -1) {
                throw new InvalidSettingException("--replication-factor=" + replicationFactor
                        + " is not allowed: it must be 1 or more, or -1 for the broker's default");
            }
        }

        /** The partitions to create the topic with. */
        public int partitionsToCreate() {
            return partitions.orElse(1);
        }
    }

    /**
     * The producer's waits.
     *
     * @param maxsize        bound on unfinished items; 0 is unbounded
     * @param timeout        the longest a join, or a single backpressure wait, may take
     * @param interval       pause before each put, like the seed's {@code asyncio.sleep}; zero or more
     * @param lagInterval    least time between two lag samples (backpressure and join)
     * @param connectTimeout how long to wait at startup for a broker, and for each admin call
     */
    public record Pacing(int maxsize, Duration timeout, Duration interval, Duration lagInterval,
                         Duration connectTimeout) {
        public Pacing {
            Settings.requireNonNegative("--maxsize", maxsize);
            Settings.requirePositive("--timeout", timeout);
            Settings.requireNonNegative("--interval", interval);
            Settings.requirePositive("--lag-interval", lagInterval);
            Settings.requirePositive("--connect-timeout", connectTimeout);
        }
    }
}
