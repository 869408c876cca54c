package dev.kafkaqueue.consumer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * When the consumer calls {@code task_done()}: commits offsets, always after processing, never before. This type is
 * the one place that says what each mode means; {@link TaskDone} carries it out.
 */
enum CommitMode {
    /**
     * Asynchronous commits at least every {@code --commit-interval}, and at once when the queue is drained (nothing
     * left in flight or to fetch). The default: a crash redoes about one interval of work.
     */
    BATCH("batch"),
    /**
     * A synchronous commit after each record, and the worker waits for it before taking the next: the smallest
     * redelivery window after a crash, and one commit round trip per record.
     */
    PER_RECORD("per-record"),
    /** Never: the seed's "omit task_done()". Lag stays up and join never reports done. */
    NONE("none");

    private final String flag;

    CommitMode(String flag) {
        this.flag = flag;
    }

    /** Picocli's converter for {@code --commit}: its error names the value and the allowed ones. */
    static final class Converter implements CommandLine.ITypeConverter<CommitMode> {
        @Override
        public CommitMode convert(String value) {
            return parse(value);
        }
    }

    /**
     * Parses a {@code --commit} value, in any case.
     *
     * @throws CommandLine.TypeConversionException naming the value and the allowed ones
     */
    static CommitMode parse(String value) {
        String wanted = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(mode -> mode.flag.equals(wanted))
                .findFirst()
                .orElseThrow(() -> new CommandLine.TypeConversionException("'" + value + "' is not allowed; use one "
                        + "of " + Arrays.stream(values()).map(m -> m.flag).collect(Collectors.joining(", "))));
    }

    /** True when finished offsets are committed at all. */
    boolean commits() {
        return this != NONE;
    }

    /** True when a worker waits for its record's commit before it takes the next one. */
    boolean workerAwaitsCommit() {
        return this == PER_RECORD;
    }

    /**
     * True when the group's committed offsets tell every member which partitions a pill closed. Without commits, a
     * consumer knows only the pills it read itself.
     */
    boolean sharesClosures() {
        return commits();
    }

    @Override
    public String toString() {
        return flag;
    }
}
