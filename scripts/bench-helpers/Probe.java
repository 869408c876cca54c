import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.coordinator.group.generated.OffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.OffsetCommitValue;

/**
 * The benchmark's measuring helper: reads what the broker recorded, so nothing in the services under test changes.
 * Compiled once by scripts/bench.sh and run with Kafka's jars on the class path.
 *
 * <pre>
 * Probe create-topic BOOTSTRAP TOPIC PARTITIONS
 * Probe record-size BOOTSTRAP TOPIC            mean key + value bytes of partition 0, sampled along it
 * Probe group-config BOOTSTRAP GROUP KEY=VALUE  a dynamic group config (share.auto.offset.reset=earliest)
 * Probe commits BOOTSTRAP TOPIC GROUP [MAXSIZE] one JSON line, from the topic and __consumer_offsets:
 *     latency of each record from its CreateTime (set in send()) to the commit that covered it
 *     (the coordinator's commitTimestamp), the last commit's time, the commit count, the median gap
 *     between commits, and with MAXSIZE the most items ever put and not yet committed.
 * </pre>
 *
 * Times are the one machine clock both the producer and the broker read, in milliseconds.
 */
public final class Probe {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int SAMPLES = 20;
    private static final int PER_SAMPLE = 100;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "create-topic" -> createTopic(args[1], args[2], Integer.parseInt(args[3]));
            case "record-size" -> System.out.println(recordSize(args[1], args[2]));
            case "group-config" -> groupConfig(args[1], args[2], args[3]);
            case "commits" -> System.out.println(commits(args[1], args[2], args[3],
                    args.length > 4 ? Long.parseLong(args[4]) : 0));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(p);
    }

    private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) -1))).all()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static void groupConfig(String bootstrap, String group, String keyValue) throws Exception {
        String[] kv = keyValue.split("=", 2);
        try (Admin admin = admin(bootstrap)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            admin.incrementalAlterConfigs(Map.of(resource,
                            List.of(new AlterConfigOp(new ConfigEntry(kv[0], kv[1]), AlterConfigOp.OpType.SET))))
                    .all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static KafkaConsumer<byte[], byte[]> reader(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The mean key + value size over the whole partition, from 100 records at each of 20 evenly spaced offsets: an
     * item's id grows by a digit every power of ten, in its key and in its envelope, so the first records are the
     * smallest ones.
     */
    private static String recordSize(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = reader(bootstrap)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            long begin = c.beginningOffsets(List.of(tp), TIMEOUT).get(tp);
            long end = c.endOffsets(List.of(tp), TIMEOUT).get(tp);
            long bytes = 0;
            int n = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            for (int sample = 0; sample < SAMPLES; sample++) {
                c.seek(tp, begin + (end - begin) * sample / SAMPLES);
                int taken = 0;
                while (taken < PER_SAMPLE && c.position(tp) < end && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (taken < PER_SAMPLE && r.value() != null && !isPill(r.value())) {
                            bytes += r.value().length + (r.key() == null ? 0 : r.key().length);
                            n++;
                            taken++;
                        }
                    }
                }
            }
            if (n == 0) {
                throw new IllegalStateException("no records in " + tp);
            }
            return Long.toString(Math.round((double) bytes / n));
        }
    }

    private static boolean isPill(byte[] value) {
        return new String(value, StandardCharsets.UTF_8).contains("\"poison-pill\"");
    }

    /** Every record of the given partitions up to their current end, handed to the visitor. */
    private static void readAll(String bootstrap, Collection<TopicPartition> partitions,
                                java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> visitor) {
        try (KafkaConsumer<byte[], byte[]> c = reader(bootstrap)) {
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = c.endOffsets(partitions, TIMEOUT);
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (ends.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + partitions + " to their ends in 5 minutes");
                }
                c.poll(Duration.ofMillis(200)).forEach(visitor);
            }
        }
    }

    private record Commit(long offset, long at) { }

    private static String commits(String bootstrap, String topic, String group, long maxsize) throws Exception {
        int partitions;
        int offsetsPartitions;
        try (Admin admin = admin(bootstrap)) {
            var described = admin.describeTopics(List.of(topic, "__consumer_offsets")).allTopicNames()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            partitions = described.get(topic).partitions().size();
            offsetsPartitions = described.get("__consumer_offsets").partitions().size();
        }
        // Per partition: the CreateTime of each record, and whether it is an item (pills are not items).
        List<long[]> created = new ArrayList<>();
        List<boolean[]> items = new ArrayList<>();
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        Map<Integer, List<Long>> ts = new HashMap<>();
        Map<Integer, List<Boolean>> isItem = new HashMap<>();
        readAll(bootstrap, tps, r -> {
            List<Long> l = ts.computeIfAbsent(r.partition(), k -> new ArrayList<>());
            while (l.size() < r.offset()) { // offsets taken by transaction markers
                l.add(-1L);
                isItem.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(false);
            }
            l.add(r.timestamp());
            isItem.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.value() != null && !isPill(r.value()));
        });
        for (int p = 0; p < partitions; p++) {
            List<Long> l = ts.getOrDefault(p, List.of());
            created.add(l.stream().mapToLong(Long::longValue).toArray());
            List<Boolean> b = isItem.getOrDefault(p, List.of());
            boolean[] a = new boolean[b.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = b.get(i);
            }
            items.add(a);
        }
        // The group's commits on this topic, in the order the coordinator wrote them.
        // The coordinator's partition for the group, as Kafka computes it (Utils.abs, then modulo).
        int hash = group.hashCode();
        TopicPartition offsetsPartition = new TopicPartition("__consumer_offsets",
                (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % offsetsPartitions);
        Map<Integer, List<Commit>> commits = new HashMap<>();
        readAll(bootstrap, List.of(offsetsPartition), r -> {
            if (r.key() == null || r.value() == null) {
                return;
            }
            ByteBuffer key = ByteBuffer.wrap(r.key());
            short keyVersion = key.getShort();
            if (keyVersion > 1) {
                return; // group metadata, not an offset commit
            }
            OffsetCommitKey k = new OffsetCommitKey(new ByteBufferAccessor(key), keyVersion);
            if (!k.group().equals(group) || !k.topic().equals(topic)) {
                return;
            }
            ByteBuffer value = ByteBuffer.wrap(r.value());
            OffsetCommitValue v = new OffsetCommitValue(new ByteBufferAccessor(value), value.getShort());
            commits.computeIfAbsent(k.partition(), x -> new ArrayList<>()).add(new Commit(v.offset(), v.commitTimestamp()));
        });

        List<Long> latencies = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        long lastCommit = 0;
        long commitCount = 0;
        for (int p = 0; p < partitions; p++) {
            long[] c = created.get(p);
            boolean[] item = items.get(p);
            List<Commit> cs = commits.getOrDefault(p, List.of());
            commitCount += cs.size();
            long covered = 0; // records below this offset already have their latency
            long previous = -1;
            for (Commit commit : cs) {
                lastCommit = Math.max(lastCommit, commit.at());
                if (previous >= 0) {
                    gaps.add(commit.at() - previous);
                }
                previous = commit.at();
                for (long o = covered; o < Math.min(commit.offset(), c.length); o++) {
                    if (item[(int) o]) {
                        latencies.add(commit.at() - c[(int) o]);
                    }
                }
                covered = Math.max(covered, commit.offset());
            }
        }
        long unfinishedMax = maxsize > 0 ? unfinishedMax(created, items, commits) : -1;
        long itemCount = 0;
        for (boolean[] a : items) {
            for (boolean b : a) {
                itemCount += b ? 1 : 0;
            }
        }
        latencies.sort(null);
        gaps.sort(null);
        return String.format(Locale.ROOT,
                "{\"items\":%d,\"items_committed\":%d,\"commits\":%d,\"last_commit_ms\":%d,"
                        + "\"latency_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s,\"mean\":%s},"
                        + "\"commit_gap_ms_p50\":%s,\"maxsize\":%d,\"unfinished_max\":%d}",
                itemCount, latencies.size(), commitCount, lastCommit,
                pct(latencies, 50), pct(latencies, 99), pct(latencies, 100), mean(latencies),
                pct(gaps, 50), maxsize, unfinishedMax);
    }

    /**
     * The most items ever put and not yet committed, checked at each item's CreateTime: items created up to and
     * including it, minus what the group had committed by then (commits in the same millisecond count, since the
     * producer can only have seen a commit the coordinator already made).
     */
    private static long unfinishedMax(List<long[]> created, List<boolean[]> items, Map<Integer, List<Commit>> commits) {
        record Event(long at, int kind, int partition, long value) { }
        List<Event> events = new ArrayList<>();
        for (int p = 0; p < created.size(); p++) {
            for (int o = 0; o < created.get(p).length; o++) {
                if (items.get(p)[o]) {
                    events.add(new Event(created.get(p)[o], 1, p, o));
                }
            }
            for (Commit c : commits.getOrDefault(p, List.of())) {
                events.add(new Event(c.at(), 0, p, c.offset()));
            }
        }
        // Commits first within a millisecond; items of one partition in offset order.
        events.sort((a, b) -> a.at() != b.at() ? Long.compare(a.at(), b.at())
                : a.kind() != b.kind() ? Integer.compare(a.kind(), b.kind())
                : a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                : Long.compare(a.value(), b.value()));
        long[] committed = new long[created.size()];
        long[] createdSoFar = new long[created.size()];
        long max = 0;
        for (Event e : events) {
            if (e.kind() == 0) {
                committed[e.partition()] = Math.max(committed[e.partition()], e.value());
            } else {
                createdSoFar[e.partition()] = e.value() + 1;
                long unfinished = 0;
                for (int p = 0; p < created.size(); p++) {
                    unfinished += Math.max(0, createdSoFar[p] - committed[p]);
                }
                max = Math.max(max, unfinished);
            }
        }
        return max;
    }

    private static String pct(List<Long> sorted, int percentile) {
        if (sorted.isEmpty()) {
            return "null";
        }
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return Long.toString(sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))));
    }

    private static String mean(List<Long> values) {
        return values.isEmpty() ? "null"
                : String.format(Locale.ROOT, "%.1f", values.stream().mapToLong(Long::longValue).average().orElse(0));
    }
}
