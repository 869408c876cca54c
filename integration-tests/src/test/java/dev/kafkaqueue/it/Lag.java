package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A group's lag on a topic, read independently of the services with the admin client: committed offsets from
 * {@code listConsumerGroupOffsets}, log start and end offsets from {@code listOffsets} (read_uncommitted, as
 * {@code kafka-consumer-groups --describe} reads them).
 *
 * <p>Lag counts offsets, not items: a poison pill is a record and counts 1, and a transaction marker takes an offset
 * too. A partition with no committed offset lags by end minus log start, as the contract defines it.
 */
final class Lag {

    /** One partition: committed is null when the group has no commit on it. */
    record Partition(int partition, Long committed, long start, long end) {
        long lag() {
            return end - (committed == null ? start : committed);
        }
    }

    /** All partitions of the topic at one moment, by partition number. */
    record Snapshot(Map<Integer, Partition> partitions) {
        long total() {
            return partitions.values().stream().mapToLong(Partition::lag).sum();
        }

        /** Partition to committed offset, for partitions that have one. */
        Map<Integer, Long> committed() {
            Map<Integer, Long> committed = new TreeMap<>();
            partitions.forEach((p, row) -> {
                if (row.committed() != null) {
                    committed.put(p, row.committed());
                }
            });
            return committed;
        }

        /** Partition to log end offset. */
        Map<Integer, Long> ends() {
            Map<Integer, Long> ends = new TreeMap<>();
            partitions.forEach((p, row) -> ends.put(p, row.end()));
            return ends;
        }
    }

    private Lag() {
    }

    /** Reads the lag with a new admin client on the shared broker. */
    static Snapshot read(String group, String topic) {
        try (Admin admin = Broker.get().admin()) {
            return read(admin, group, topic);
        }
    }

    /** Reads the lag with the given admin client; every call is limited to 30 s. */
    static Snapshot read(Admin admin, String group, String topic) {
        try {
            int count = admin.describeTopics(List.of(topic)).allTopicNames().get(30, SECONDS).get(topic)
                    .partitions().size();
            List<TopicPartition> partitions = IntStream.range(0, count)
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, SECONDS);
            Map<TopicPartition, ListOffsetsResultInfo> starts = offsets(admin, partitions, OffsetSpec.earliest());
            Map<TopicPartition, ListOffsetsResultInfo> ends = offsets(admin, partitions, OffsetSpec.latest());
            Map<Integer, Partition> rows = new TreeMap<>();
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata offset = committed.get(tp);
                rows.put(tp.partition(), new Partition(tp.partition(), offset == null ? null : offset.offset(),
                        starts.get(tp).offset(), ends.get(tp).offset()));
            }
            return new Snapshot(Collections.unmodifiableMap(rows));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the lag of group " + group + " on " + topic, e);
        }
    }

    private static Map<TopicPartition, ListOffsetsResultInfo> offsets(Admin admin, List<TopicPartition> partitions,
            OffsetSpec spec) throws InterruptedException, ExecutionException, TimeoutException {
        return admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(), tp -> spec)))
                .all().get(30, SECONDS);
    }
}
