package dev.kafkaqueue.consumer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** When the consumer calls {@code task_done()}: commits offsets, always after processing, never before. */
enum CommitMode {
    /** Once per poll batch, after every record in it was processed. The default: one commit per poll. */
    BATCH("batch"),
    /** After each record. A commit per record: slower, smallest redelivery window after a crash. */
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

    @Override
    public String toString() {
        return flag;
    }
}
