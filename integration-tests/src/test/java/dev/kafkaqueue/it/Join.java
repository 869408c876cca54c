package dev.kafkaqueue.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The standalone {@code join} command line ({@code await queue.join()}), and what join prints.
 *
 * <p>Tests read standalone join through {@code --json} ({@link #json()}, then {@link #output(ServiceProcess)}): one
 * object per lag snapshot, then one result. The regular expressions below read the table meant for people; they
 * remain for {@code put --join}, which has no JSON form, and for the test that the table agrees with the JSON.
 */
final class Join {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static final Pattern TOTAL = Pattern.compile("^join: (\\S+) group (\\S+): lag (\\d+) \\(members (\\d+)\\)$");
    static final Pattern PARTITION =
            Pattern.compile("^join: {3}partition (\\d+) committed (\\d+|-) end (\\d+) lag (\\d+)(.*)$");
    static final Pattern DONE = Pattern.compile("^join: done, lag 0 on all (\\d+) partitions? of (\\S+) for group (\\S+)");

    /** One partition of a snapshot; {@code committed} is null where the group never committed ("-" in the table). */
    record Row(int partition, Long committed, long end, long lag) {
    }

    /** One snapshot join printed: a table (its total line and partition lines), or a JSON {@code lag} event. */
    record Table(long totalLag, int members, Map<Integer, Row> partitions) {
    }

    /**
     * The {@code "event":"result"} line of {@code join --json}.
     *
     * @param outcome  {@code DONE}, {@code TIMEOUT} or {@code LOST_WORK}
     * @param exitCode the exit code join announced, one of {@code dev.kafkaqueue.cli.ExitCode}'s
     * @param lag      the last snapshot's total lag, or null when join took none
     * @param lost     records deleted by retention before they were processed
     * @param json     the whole line, for fields this record does not name
     */
    record Result(String outcome, int exitCode, Long lag, long lost, JsonNode json) {
    }

    /**
     * Everything {@code join --json} printed on standard output.
     *
     * @param snapshots the {@code "event":"lag"} lines, in order
     * @param result    the final {@code "event":"result"} line
     */
    record Output(List<Table> snapshots, Result result) {

        /** The last snapshot; fails if join printed none. */
        Table last() {
            if (snapshots.isEmpty()) {
                throw new AssertionError("join --json printed no lag snapshot before its result " + result.json());
            }
            return snapshots.get(snapshots.size() - 1);
        }
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

    /** {@code --json}: one JSON object per line; read it with {@link #output(ServiceProcess)}. */
    Join json() {
        return flag("--json");
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

    /** Starts {@code join --json}, waits for it to exit, and returns its exit code and what it printed. */
    Exited runJson() {
        ServiceProcess join = json().start();
        int exit = join.awaitExit(TestQueue.EXIT_TIMEOUT);
        return new Exited(exit, output(join), join);
    }

    /**
     * A {@code join --json} run that ended.
     *
     * @param exitCode the process's exit code
     * @param output   what it printed
     * @param process  the process, for its full output in failure messages
     */
    record Exited(int exitCode, Output output, ServiceProcess process) {
    }

    /**
     * Reads the standard output of a {@code join --json} process that has ended: every line must be JSON, and the
     * last one the result.
     */
    static Output output(ServiceProcess process) {
        List<Table> snapshots = new ArrayList<>();
        Result result = null;
        for (ServiceProcess.Line line : process.lines()) {
            JsonNode node;
            try {
                node = MAPPER.readTree(line.text());
            } catch (JsonProcessingException e) {
                throw new AssertionError("join --json printed a line that is not JSON: " + line + "\n"
                        + process.output(), e);
            }
            if (result != null) {
                throw new AssertionError("join --json printed after its result: " + line + "\n" + process.output());
            }
            switch (node.path("event").asText()) {
                case "lag" -> snapshots.add(snapshot(node));
                case "result" -> result = new Result(node.path("outcome").asText(), node.path("exitCode").asInt(),
                        node.hasNonNull("lag") ? node.get("lag").asLong() : null, node.path("lost").asLong(), node);
                default -> throw new AssertionError("join --json printed an unknown event: " + line);
            }
        }
        if (result == null) {
            throw new AssertionError("join --json printed no result line\n" + process.output());
        }
        return new Output(List.copyOf(snapshots), result);
    }

    private static Table snapshot(JsonNode node) {
        Map<Integer, Row> rows = new TreeMap<>();
        for (JsonNode p : node.path("partitions")) {
            int partition = p.get("partition").asInt();
            rows.put(partition, new Row(partition, p.get("committed").isNull() ? null : p.get("committed").asLong(),
                    p.get("end").asLong(), p.get("lag").asLong()));
        }
        return new Table(node.get("lag").asLong(), node.get("members").asInt(), Collections.unmodifiableMap(rows));
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
