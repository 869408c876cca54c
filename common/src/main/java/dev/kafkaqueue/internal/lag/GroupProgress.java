package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.codec.Closure;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * What a {@link LagReader} asks of one kind of group: its progress on each partition, its membership, and which
 * partitions a poison pill closed. A consumer group answers with committed offsets, a share group with share-partition
 * start offsets and the broker's lag (KIP-1226).
 */
interface GroupProgress {

    /**
     * One partition's progress.
     *
     * @param committed the committed offset, or a share group's start offset; null when the group has none here
     * @param closure   the closure the commit's metadata carries (consumer groups), or null
     * @param brokerLag the broker's lag (share groups), or null when it is unknown or computed from the offsets
     */
    record Progress(Long committed, Closure closure, Long brokerLag) {
        static final Progress NONE = new Progress(null, null, null);
    }

    /** The group's live members and its state as the broker reports it, e.g. {@code Stable} or {@code Empty}. */
    record Membership(int members, String state) {
        static final Membership NONE = new Membership(0, "Dead");
    }

    /** Asks for the group's progress on the topic's partitions, without waiting. */
    CompletableFuture<Map<TopicPartition, Progress>> ask(String group, String topic);

    /** Asks for the group's membership, without waiting; an unknown group answers {@link Membership#NONE}. */
    CompletableFuture<Membership> members(String group);

    /** The partitions closed by a pill, from the answer and the offsets. */
    Map<TopicPartition, Closure> closures(Map<TopicPartition, Progress> progress, Map<TopicPartition, Long> start,
                                          Map<TopicPartition, Long> end);

    /** See {@link LagReader#committed(String, String)}. */
    Map<TopicPartition, Long> unfinishedFrom(String group, String topic, TopicOffsets offsets, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException;

    /** A consumer group: committed offsets, as {@code kafka-consumer-groups --describe} reads them. */
    final class ConsumerGroup implements GroupProgress {

        private final Admin admin;

        ConsumerGroup(Admin admin) {
            this.admin = admin;
        }

        @Override
        public CompletableFuture<Map<TopicPartition, Progress>> ask(String group, String topic) {
            return future(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata())
                    .thenApply(all -> {
                        Map<TopicPartition, Progress> progress = new HashMap<>();
                        all.forEach((tp, om) -> {
                            if (om != null && tp.topic().equals(topic)) {
                                progress.put(tp, new Progress(om.offset(), closure(om), null));
                            }
                        });
                        return progress;
                    });
        }

        @Override
        public CompletableFuture<Membership> members(String group) {
            return orNone(future(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group))
                    .thenApply(d -> new Membership(d.members().size(), d.groupState().toString())));
        }

        @Override
        public Map<TopicPartition, Closure> closures(Map<TopicPartition, Progress> progress,
                                                     Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
            Map<TopicPartition, Closure> closures = new HashMap<>();
            progress.forEach((tp, p) -> {
                if (p.closure() != null) {
                    closures.put(tp, p.closure());
                }
            });
            return closures;
        }

        @Override
        public Map<TopicPartition, Long> unfinishedFrom(String group, String topic, TopicOffsets offsets,
                                                        Duration timeout)
                throws InterruptedException, ExecutionException, TimeoutException {
            Map<TopicPartition, Long> committed = new HashMap<>();
            ask(group, topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((tp, p) -> committed.put(tp, p.committed()));
            return committed;
        }

        private static Closure closure(OffsetAndMetadata committed) {
            return Closure.parse(committed.metadata()).orElse(null);
        }
    }

    /**
     * A share group: {@code Admin.listShareGroupOffsets}, the call {@code kafka-share-groups --describe} makes. The
     * share-partition start offset (SPSO; every record before it is acknowledged or archived) is reported as the
     * committed offset, and the broker's lag as the lag. An unknown lag ({@code Optional.empty()}) is not zero: the
     * partition then counts end minus SPSO. A partition is closed when the broker's lag on it is zero and its last
     * record is a poison pill, read with {@link PartitionTail} (only then, so a running queue costs no record reads).
     */
    final class ShareGroup implements GroupProgress {

        private final Admin admin;
        private final PartitionTail tail;

        ShareGroup(Admin admin, PartitionTail tail) {
            this.admin = admin;
            this.tail = tail;
        }

        @Override
        public CompletableFuture<Map<TopicPartition, Progress>> ask(String group, String topic) {
            return future(admin.listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(group))
                    .handle((all, error) -> {
                        if (error != null) {
                            if (unwrap(error) instanceof GroupIdNotFoundException) {
                                return Map.<TopicPartition, Progress>of(); // no member joined yet: no state
                            }
                            throw new CompletionException(unwrap(error));
                        }
                        Map<TopicPartition, Progress> progress = new HashMap<>();
                        all.forEach((tp, info) -> {
                            Long spso = spso(info);
                            if (spso != null && tp.topic().equals(topic)) {
                                progress.put(tp, new Progress(spso, null, info.lag().orElse(null)));
                            }
                        });
                        return progress;
                    });
        }

        @Override
        public CompletableFuture<Membership> members(String group) {
            return orNone(future(admin.describeShareGroups(List.of(group)).describedGroups().get(group))
                    .thenApply(d -> new Membership(d.members().size(), d.groupState().toString())));
        }

        /**
         * Only partitions whose every record is finished can be closed; only their tails are read. The broker's lag
         * says so, not the SPSO: measured on 4.3.1, the SPSO it reports can stay below the end offset for good (19 of
         * 21 with lag 0) while the records after it are acknowledged.
         */
        @Override
        public Map<TopicPartition, Closure> closures(Map<TopicPartition, Progress> progress,
                                                     Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
            Map<TopicPartition, Long> finished = new HashMap<>();
            progress.forEach((tp, p) -> {
                Long e = end.get(tp);
                if (p.brokerLag() != null && p.brokerLag() == 0 && e != null && e > start.getOrDefault(tp, 0L)) {
                    finished.put(tp, e);
                }
            });
            return LagReader.pillsAtTheEnd(tail, start, finished);
        }

        @Override
        public Map<TopicPartition, Long> unfinishedFrom(String group, String topic, TopicOffsets offsets,
                                                        Duration timeout)
                throws InterruptedException, ExecutionException, TimeoutException {
            List<TopicPartition> partitions = offsets.partitions(topic);
            if (partitions.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, Long> end = offsets.of(partitions, OffsetSpec.latest());
            Map<TopicPartition, Long> from = new HashMap<>();
            ask(group, topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS).forEach((tp, p) -> {
                if (end.containsKey(tp)) {
                    from.put(tp, p.brokerLag() == null ? p.committed()
                            : Math.max(p.committed(), end.get(tp) - p.brokerLag()));
                }
            });
            return from;
        }

        /** The SPSO, or null when the group has no state for the partition (the broker reports -1 or nothing). */
        private static Long spso(SharePartitionOffsetInfo info) {
            return info == null || info.startOffset() < 0 ? null : info.startOffset();
        }
    }

    private static <V> CompletableFuture<V> future(KafkaFuture<V> future) {
        return future.toCompletionStage().toCompletableFuture();
    }

    /** The membership, or {@link Membership#NONE} when the broker does not know the group. */
    private static CompletableFuture<Membership> orNone(CompletableFuture<Membership> asked) {
        return asked.handle((answer, error) -> {
            if (error == null) {
                return answer;
            }
            if (unwrap(error) instanceof GroupIdNotFoundException) {
                return Membership.NONE;
            }
            throw new CompletionException(unwrap(error));
        });
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
