package dev.kafkaqueue.it;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The producer service's command line ({@code put}), built flag by flag as the contract names them, and the lines it
 * prints. Only the flags a test sets are passed; everything else is the service's default.
 */
final class Producer {

    static final Pattern PRODUCED = Pattern.compile("^Produced (\\d+) \\(partition (\\d+), offset (\\d+)\\)$");
    static final Pattern PILL_SENT = Pattern.compile("^Poison pill sent to partition (\\d+) \\(offset (\\d+)\\)$");
    /** Matched as a prefix: the service appends " (run <id>)", which the contract does not show. */
    static final Pattern DONE = Pattern.compile("^Producer done: (\\d+) items? and (\\d+) pills? acknowledged");

    /** One {@code Produced} line: the item was acknowledged at this partition and offset. */
    record Produced(long id, int partition, long offset, ServiceProcess.Line line) {
    }

    private final TestQueue queue;
    private final List<String> args = new ArrayList<>();

    Producer(TestQueue queue) {
        this.queue = queue;
    }

    Producer count(int items) {
        return flag("--count", Integer.toString(items));
    }

    Producer maxsize(int maxsize) {
        return flag("--maxsize", Integer.toString(maxsize));
    }

    /** {@code --join}: after the pills, wait until the group's lag is 0. */
    Producer join() {
        return flag("--join");
    }

    /** {@code --timeout}, e.g. "30s", "500ms". */
    Producer timeout(String duration) {
        return flag("--timeout", duration);
    }

    Producer partitions(int partitions) {
        return flag("--partitions", Integer.toString(partitions));
    }

    Producer transactionalId(String id) {
        return flag("--transactional-id", id);
    }

    Producer noPill() {
        return flag("--no-pill");
    }

    Producer intervalMs(int millis) {
        return flag("--interval-ms", Integer.toString(millis));
    }

    Producer runId(String runId) {
        return flag("--run-id", runId);
    }

    /** Any other flag, with its values. */
    Producer flag(String name, String... values) {
        args.add(name);
        args.addAll(List.of(values));
        return this;
    }

    /** Starts the producer and returns at once. */
    ServiceProcess start() {
        return queue.start("producer", TestQueue.jar("producer.jar"), List.of(), args);
    }

    /** Starts the producer with its standard input a pipe, for {@code --input -}; returns at once. */
    ServiceProcess startWithStdin() {
        return queue.startWithStdin("producer", TestQueue.jar("producer.jar"), args);
    }

    /** {@code --input FILE} ({@code -} for standard input). */
    Producer input(String file) {
        return flag("--input", file);
    }

    /** Starts the producer and waits up to {@link TestQueue#EXIT_TIMEOUT} for it to exit; check its exit code. */
    ServiceProcess run() {
        ServiceProcess producer = start();
        producer.awaitExit(TestQueue.EXIT_TIMEOUT);
        return producer;
    }

    /** The {@code Produced} lines printed so far, in order. */
    static List<Produced> produced(ServiceProcess producer) {
        return producer.lines(PRODUCED).stream().map(line -> {
            Matcher m = PRODUCED.matcher(line.text());
            if (!m.matches()) {
                throw new AssertionError("not a Produced line: " + line);
            }
            return new Produced(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)),
                    Long.parseLong(m.group(3)), line);
        }).toList();
    }
}
