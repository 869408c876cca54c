package dev.kafkaqueue.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The standalone {@code join} command line ({@code await queue.join()}), and the lines join prints, standalone or
 * at the end of {@code put --join}.
 */
final class Join {

    static final Pattern TOTAL = Pattern.compile("^join: (\\S+) group (\\S+): lag (\\d+) \\(members (\\d+)\\)$");
    static final Pattern PARTITION =
            Pattern.compile("^join: {3}partition (\\d+) committed (\\d+|-) end (\\d+) lag (\\d+)(.*)$");
    static final Pattern DONE = Pattern.compile("^join: done, lag 0 on all (\\d+) partitions? of (\\S+) for group (\\S+)");

    /** One line of join's per-partition table; {@code committed} is null for "-". */
    record Row(int partition, Long committed, long end, long lag) {
    }

    /** One table join printed: the total line and the partition lines under it. */
    record Table(long totalLag, int members, Map<Integer, Row> partitions) {
    }

    private final TestQueue queue;
    private final List<String> args = new ArrayList<>();

    Join(TestQueue queue) {
        this.queue = queue;
    }

    /** {@code --timeout}, e.g. "5s". */
    Join timeout(String duration) {
        return flag("--timeout", duration);
    }

    /** {@code --interval} between lag snapshots, e.g. "500ms". */
    Join interval(String duration) {
        return flag("--interval", duration);
    }

    Join count(int items) {
        return flag("--count", Integer.toString(items));
    }

    /** Any other flag, with its values. */
    Join flag(String name, String... values) {
        args.add(name);
        args.addAll(List.of(values));
        return this;
    }

    /** Starts join and returns at once. */
    ServiceProcess start() {
        return queue.start("join", TestQueue.jar("producer.jar"), List.of("join"), args);
    }

    /** Starts join and waits up to {@link TestQueue#EXIT_TIMEOUT} for it to exit; check its exit code. */
    ServiceProcess run() {
        ServiceProcess join = start();
        join.awaitExit(TestQueue.EXIT_TIMEOUT);
        return join;
    }

    /** Every table the process printed, in order. */
    static List<Table> tables(ServiceProcess process) {
        List<Table> tables = new ArrayList<>();
        Matcher total = null;
        Map<Integer, Row> rows = null;
        for (ServiceProcess.Line line : process.lines()) {
            Matcher t = TOTAL.matcher(line.text());
            Matcher p = PARTITION.matcher(line.text());
            if (t.matches()) {
                if (total != null) {
                    tables.add(table(total, rows));
                }
                total = t;
                rows = new TreeMap<>();
            } else if (p.matches() && rows != null) {
                int partition = Integer.parseInt(p.group(1));
                rows.put(partition, new Row(partition, p.group(2).equals("-") ? null : Long.valueOf(p.group(2)),
                        Long.parseLong(p.group(3)), Long.parseLong(p.group(4))));
            }
        }
        if (total != null) {
            tables.add(table(total, rows));
        }
        return tables;
    }

    /** The last table the process printed; fails if there is none. */
    static Table lastTable(ServiceProcess process) {
        List<Table> tables = tables(process);
        if (tables.isEmpty()) {
            throw new AssertionError("no join table in the output of " + process.name() + "\n" + process.output());
        }
        return tables.get(tables.size() - 1);
    }

    private static Table table(Matcher total, Map<Integer, Row> rows) {
        return new Table(Long.parseLong(total.group(3)), Integer.parseInt(total.group(4)), Collections.unmodifiableMap(rows));
    }
}
