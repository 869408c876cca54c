package dev.kafkaqueue.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The consumer service's command line ({@code get} + {@code task_done}), built flag by flag as the contract names
 * them, and the lines it prints. Only the flags a test sets are passed.
 */
final class Consumer {

    static final Pattern CONSUMED = Pattern.compile("^Consumed (\\d+) \\(partition (\\d+), offset (\\d+)\\)$");
    static final Pattern PILL = Pattern.compile("^Poison pill on partition (\\d+) \\(offset (\\d+)\\)$");
    static final Pattern EMPTY = Pattern.compile("^Queue empty: every assigned partition fetched to its end$");
    static final Pattern DONE =
            Pattern.compile("^Consumer done: (\\d+) items? processed, (\\d+) dead-lettered \\((.+)\\)$");

    /** The {@code --commit} modes. */
    enum Commit {
        BATCH("batch"), PER_RECORD("per-record"), NONE("none");

        final String flag;

        Commit(String flag) {
            this.flag = flag;
        }
    }

    /** One {@code Consumed} line: the item at this partition and offset was processed. */
    record Consumed(long id, int partition, long offset, ServiceProcess.Line line) {
    }

    private final TestQueue queue;
    private final List<String> args = new ArrayList<>();

    Consumer(TestQueue queue) {
        this.queue = queue;
    }

    Consumer workMs(int millis) {
        return flag("--work-ms", Integer.toString(millis));
    }

    Consumer commit(Commit mode) {
        return flag("--commit", mode.flag);
    }

    Consumer count(int items) {
        return flag("--count", Integer.toString(items));
    }

    Consumer appliedLog(Path file) {
        return flag("--applied-log", file.toString());
    }

    /** {@code --exec CMD}: the command run once per item. */
    Consumer exec(String command) {
        return flag("--exec", command);
    }

    /** Any other flag, with its values. */
    Consumer flag(String name, String... values) {
        args.add(name);
        args.addAll(List.of(values));
        return this;
    }

    /** Starts the consumer and returns at once. */
    ServiceProcess start() {
        return queue.start("consumer", TestQueue.jar("consumer.jar"), List.of(), args);
    }

    /** The {@code Consumed} lines printed so far, in order. */
    static List<Consumed> consumed(ServiceProcess consumer) {
        return consumer.lines(CONSUMED).stream().map(line -> {
            Matcher m = CONSUMED.matcher(line.text());
            if (!m.matches()) {
                throw new AssertionError("not a Consumed line: " + line);
            }
            return new Consumed(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)),
                    Long.parseLong(m.group(3)), line);
        }).toList();
    }

    /** The item ids of the {@code Consumed} lines, in order. */
    static List<Long> ids(ServiceProcess consumer) {
        return consumed(consumer).stream().map(Consumed::id).toList();
    }

    /** The reason on the {@code Consumer done} line, or null if there is none. */
    static String doneReason(ServiceProcess consumer) {
        Matcher m = consumer.firstMatch(DONE);
        return m == null ? null : m.group(3);
    }

    /** An {@code --applied-log} file's entries ({@code "<run> <id>"}), blank lines left out; none if it is absent. */
    static List<String> applied(Path file) {
        try {
            return Files.exists(file)
                    ? Files.readAllLines(file).stream().filter(line -> !line.isBlank()).toList()
                    : List.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }
}
