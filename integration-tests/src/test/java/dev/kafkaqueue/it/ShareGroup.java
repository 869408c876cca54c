package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.awaitility.Awaitility;

/**
 * A test's queue worked by a share group ({@code --group-type share}): the group's configs, its members, its offsets
 * read with the admin client, and Kafka's own {@code kafka-share-groups --describe}
 * ({@code org.apache.kafka.tools.consumer.group.ShareGroupCommand} from kafka-tools 4.3.1, run as a process).
 */
final class ShareGroup {

    /**
     * One row of {@code --describe}: GROUP TOPIC PARTITION START-OFFSET LAG; the tool's "-" is kept as null.
     */
    record Row(int partition, Long startOffset, Long lag) {
    }

    /** One partition as {@code Admin.listShareGroupOffsets} reports it. */
    record Offsets(int partition, long startOffset, Optional<Long> lag) {
    }

    private final TestQueue queue;

    ShareGroup(TestQueue queue) {
        this.queue = queue;
    }

    /** Sets group configs, e.g. {@code share.record.lock.duration.ms}, before any member polls. */
    void configure(Map<String, String> configs) {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, queue.group());
        List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((key, value) -> ops.add(new AlterConfigOp(new ConfigEntry(key, value),
                AlterConfigOp.OpType.SET)));
        try (Admin admin = queue.broker().admin()) {
            admin.incrementalAlterConfigs(Map.of(group, ops)).all().get(30, SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot configure share group " + queue.group(), e);
        }
    }

    /** Waits until the share group has {@code members} members. */
    void awaitMembers(int members, Duration timeout) {
        try (Admin admin = queue.broker().admin()) {
            Awaitility.await("share group " + queue.group() + " with " + members + " members")
                    .atMost(timeout).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        try {
                            return admin.describeShareGroups(List.of(queue.group())).describedGroups()
                                    .get(queue.group()).get(30, SECONDS).members().size() == members;
                        } catch (ExecutionException e) {
                            if (e.getCause() instanceof GroupIdNotFoundException) {
                                return false;
                            }
                            throw e;
                        }
                    });
        }
    }

    /** The group's offsets on the test's topic, by partition, read now. */
    Map<Integer, Offsets> offsets() {
        try (Admin admin = queue.broker().admin()) {
            return offsets(admin);
        }
    }

    /** The group's offsets on the test's topic, by partition, with the given admin client. */
    Map<Integer, Offsets> offsets(Admin admin) {
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> all = admin
                    .listShareGroupOffsets(Map.of(queue.group(), new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(queue.group()).get(30, SECONDS);
            Map<Integer, Offsets> offsets = new TreeMap<>();
            all.forEach((tp, info) -> {
                if (info != null && tp.topic().equals(queue.topic())) {
                    offsets.put(tp.partition(), new Offsets(tp.partition(), info.startOffset(), info.lag()));
                }
            });
            return offsets;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of();
            }
            throw new IllegalStateException("cannot list the share group's offsets", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot list the share group's offsets", e);
        }
    }

    /** The sum of the broker's lag over the partitions; fails if any lag is unknown. */
    long totalLag() {
        return offsets().values().stream()
                .mapToLong(o -> o.lag().orElseThrow(() -> new AssertionError("unknown lag: " + o))).sum();
    }

    /**
     * Runs {@code kafka-share-groups --bootstrap-server B --describe --group G} and returns the rows for the topic,
     * by partition. Fails if the tool does not exit 0 within 60 s or prints no table header.
     */
    Map<Integer, Row> describe() {
        List<String> command = new ArrayList<>(List.of(ServiceProcess.javaBin()));
        command.addAll(ServiceProcess.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.consumer.group.ShareGroupCommand",
                "--bootstrap-server", queue.broker().bootstrapServers(), "--describe", "--group", queue.group()));
        ServiceProcess tool = queue.track(ServiceProcess.start("kafka-share-groups", command));
        int exit = tool.awaitExit(Duration.ofSeconds(60));
        if (exit != 0) {
            throw new AssertionError("kafka-share-groups exited " + exit + "\n" + tool.output());
        }
        Map<Integer, Row> rows = new TreeMap<>();
        boolean header = false;
        for (ServiceProcess.Line line : tool.lines()) {
            String[] cols = line.text().trim().split("\\s+");
            if (cols.length == 5 && cols[0].equals("GROUP") && cols[1].equals("TOPIC") && cols[2].equals("PARTITION")
                    && cols[3].equals("START-OFFSET") && cols[4].equals("LAG")) {
                header = true;
            } else if (header && cols.length == 5 && cols[0].equals(queue.group())
                    && cols[1].equals(queue.topic())) {
                int partition = Integer.parseInt(cols[2]);
                rows.put(partition, new Row(partition, number(cols[3]), number(cols[4])));
            }
        }
        if (!header) {
            throw new AssertionError("no --describe table from kafka-share-groups\n" + tool.output());
        }
        return rows;
    }

    private static Long number(String column) {
        return column.equals("-") ? null : Long.valueOf(column);
    }
}
