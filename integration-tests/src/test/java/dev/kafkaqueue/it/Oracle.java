package dev.kafkaqueue.it;

import dev.kafkaqueue.internal.codec.QueueMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "nothing lost" oracle: compares what the producers had acknowledged with what the consumers applied and what
 * went to the dead-letter topic.
 *
 * <p>Items are named by their dedup key, {@code "<run> <id>"}. Sources:
 * <ul>
 *   <li>acknowledged: a producer's {@code Produced i (partition p, offset o)} lines, under the run id the test gave
 *       it ({@link #acked(String, ServiceProcess)}), or ids the test acknowledged itself ({@link #acked(String,
 *       Collection)});</li>
 *   <li>applied: the consumers' {@code --applied-log} file ({@link #appliedLog(Path)}), which is written before the
 *       offset commit and survives a SIGKILL; without one, the consumers' {@code Consumed} lines;</li>
 *   <li>delivered: each consumer's {@code Consumed} and {@code Skipped ...: already applied} lines
 *       ({@link #consumers(ServiceProcess...)}), counted by item id; an item in hand when a consumer was killed
 *       printed nothing, so this is what the user can see;</li>
 *   <li>dead-lettered: the records of the dead-letter topic ({@link #deadLetters(String, String)}); those that decode
 *       to an item name it, the others only count.</li>
 * </ul>
 *
 * <p>Per-item lines are needed: run producers and consumers with {@code --item-log each} when they handle more than
 * 100 items; {@link #check(String)} fails if it finds a summary line instead.
 *
 * <p>Usage: {@code Oracle.Result r = new Oracle().acked(run, producer).consumers(c1, c2).appliedLog(file)
 * .deadLetters(queue).check("consumer-crash");} then assert on {@code r}. {@link #check(String)} prints one
 * {@code ORACLE case=...} line.
 */
final class Oracle {

    static final Pattern SKIPPED = Pattern.compile("^Skipped (\\d+) \\(partition (\\d+), offset (\\d+)\\): already applied$");
    private static final Pattern SUMMARY = Pattern.compile("^(Produced|Consumed) \\d+ items so far");

    /**
     * The verdict.
     *
     * @param name          the case
     * @param acked         distinct items acknowledged to a producer
     * @param applied       distinct items applied
     * @param lost          acknowledged items neither applied nor dead-lettered; must be 0
     * @param dupApplied    applications beyond the first, over all items; must be 0
     * @param dupDelivered  deliveries beyond the first (Consumed or Skipped lines), over all items
     * @param deadLettered  records on the dead-letter topic, readable or not
     * @param lostKeys      the lost items' keys
     * @param dupAppliedKeys the keys applied more than once
     */
    record Result(String name, long acked, long applied, long lost, long dupApplied, long dupDelivered,
                  long deadLettered, SortedSet<String> lostKeys, SortedSet<String> dupAppliedKeys) {

        /** The one line the lead's table is built from. */
        @Override
        public String toString() {
            return "ORACLE case=" + name + " acked=" + acked + " applied=" + applied + " lost=" + lost
                    + " dupApplied=" + dupApplied + " dupDelivered=" + dupDelivered + " dlt=" + deadLettered
                    + (lostKeys.isEmpty() ? "" : " lostKeys=" + abbreviate(lostKeys))
                    + (dupAppliedKeys.isEmpty() ? "" : " dupAppliedKeys=" + abbreviate(dupAppliedKeys));
        }

        private static String abbreviate(SortedSet<String> keys) {
            List<String> first = keys.stream().limit(10).toList();
            return first + (keys.size() > first.size() ? "+" + (keys.size() - first.size()) : "");
        }
    }

    private final Set<String> acked = new TreeSet<>();
    private final List<ServiceProcess> consumers = new ArrayList<>();
    private final List<Path> appliedLogs = new ArrayList<>();
    private final List<ServiceProcess> producers = new ArrayList<>();
    private final List<Records.QueueRecord> deadLetters = new ArrayList<>();

    /** Items acknowledged to {@code producer}, a producer started with {@code --run-id runId}. Call once per run. */
    Oracle acked(String runId, ServiceProcess producer) {
        producers.add(producer);
        Producer.produced(producer).forEach(p -> acked.add(key(runId, p.id())));
        return this;
    }

    /** Items the test itself had acknowledged (a raw producer), under {@code runId}. */
    Oracle acked(String runId, Collection<Long> ids) {
        ids.forEach(id -> acked.add(key(runId, id)));
        return this;
    }

    /** The consumers whose lines count as deliveries (and as applications when there is no applied log). */
    Oracle consumers(ServiceProcess... processes) {
        consumers.addAll(List.of(processes));
        return this;
    }

    /** An {@code --applied-log} file the consumers wrote; may be given more than once (one file per consumer). */
    Oracle appliedLog(Path file) {
        appliedLogs.add(file);
        return this;
    }

    /** The records of {@code <queue topic>.DLT} on the shared broker, if that topic exists. */
    Oracle deadLetters(TestQueue queue) {
        return deadLetters(queue.broker().bootstrapServers(), queue.topic() + ".DLT");
    }

    /** The records of dead-letter topic {@code topic}, read through {@code bootstrapServers}, if it exists. */
    Oracle deadLetters(String bootstrapServers, String topic) {
        if (DeadLetterTopic.exists(bootstrapServers, topic)) {
            deadLetters.addAll(Records.read(bootstrapServers, topic));
        }
        return this;
    }

    /** Computes the verdict, prints its {@code ORACLE} line and returns it; asserts nothing about loss itself. */
    Result check(String name) {
        requireItemLines();
        Map<String, Integer> appliedCounts = new HashMap<>();
        if (appliedLogs.isEmpty()) {
            // Consumed lines carry no run id: one run per topic, as every test here has.
            String run = singleRun();
            consumers.forEach(c -> Consumer.ids(c).forEach(id -> appliedCounts.merge(key(run, id), 1, Integer::sum)));
        } else {
            appliedLogs.forEach(file -> Consumer.applied(file).forEach(k -> appliedCounts.merge(k, 1, Integer::sum)));
        }
        Map<Long, Integer> deliveries = new HashMap<>();
        for (ServiceProcess consumer : consumers) {
            Consumer.ids(consumer).forEach(id -> deliveries.merge(id, 1, Integer::sum));
            skippedIds(consumer).forEach(id -> deliveries.merge(id, 1, Integer::sum));
        }
        Set<String> deadLetteredKeys = new TreeSet<>();
        for (Records.QueueRecord record : deadLetters) {
            if (record.message() instanceof QueueMessage.Item item) {
                deadLetteredKeys.add(item.dedupKey());
            }
        }
        SortedSet<String> lost = new TreeSet<>(acked);
        lost.removeAll(appliedCounts.keySet());
        lost.removeAll(deadLetteredKeys);
        SortedSet<String> dupAppliedKeys = new TreeSet<>();
        appliedCounts.forEach((k, n) -> {
            if (n > 1) {
                dupAppliedKeys.add(k);
            }
        });
        long dupApplied = appliedCounts.values().stream().mapToLong(n -> n - 1).sum();
        long dupDelivered = deliveries.values().stream().mapToLong(n -> n - 1).sum();
        Result result = new Result(name, acked.size(), appliedCounts.size(), lost.size(), dupApplied, dupDelivered,
                deadLetters.size(), lost, dupAppliedKeys);
        System.out.println(result);
        return result;
    }

    /** The ids on a consumer's {@code Skipped ...: already applied} lines: redeliveries it recognised. */
    static List<Long> skippedIds(ServiceProcess consumer) {
        return consumer.lines(SKIPPED).stream().map(line -> {
            Matcher m = SKIPPED.matcher(line.text());
            if (!m.matches()) {
                throw new AssertionError("not a Skipped line: " + line);
            }
            return Long.parseLong(m.group(1));
        }).toList();
    }

    private void requireItemLines() {
        List<ServiceProcess> all = new ArrayList<>(producers);
        all.addAll(consumers);
        for (ServiceProcess process : all) {
            if (!process.lines(SUMMARY).isEmpty()) {
                throw new AssertionError(process.name() + " printed summaries instead of one line per item: "
                        + "start it with --item-log each for the oracle");
            }
        }
    }

    private String singleRun() {
        Set<String> runs = new TreeSet<>();
        acked.forEach(k -> runs.add(k.substring(0, k.indexOf(' '))));
        if (runs.size() > 1) {
            throw new AssertionError("several runs " + runs + " and no applied log: give the consumers "
                    + "--applied-log so applied items carry their run");
        }
        return runs.isEmpty() ? "" : runs.iterator().next();
    }

    private static String key(String runId, long id) {
        return runId + " " + id;
    }
}
