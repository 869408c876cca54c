package dev.kafkaqueue.internal;

import dev.kafkaqueue.internal.codec.Closure;
import dev.kafkaqueue.options.GroupType;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An immediate shutdown of a queue whose consumer side does not run in this process: with no member in the group,
 * the group's progress is moved to the end of every partition, pills included, so nothing waiting is ever worked and
 * {@code join} is done. A group with live members is left to them: they drain their partitions as for a plain
 * shutdown. Admin calls only, once.
 */
public final class Drops {

    private static final Logger log = LoggerFactory.getLogger(Drops.class);

    private Drops() {
    }

    /**
     * Moves an empty group past everything on the topic.
     *
     * @param closure the run's closure, carried by the consumer group's new commits with the items dropped on each
     * @return the records dropped (pills included), or -1 when the group has live members and was left alone
     */
    public static long dropAll(Admin admin, GroupType type, String topic, String group, Closure closure,
                               Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        if (members(admin, type, group, timeout) > 0) {
            log.info("Immediate shutdown: group {} has live members; they drain their partitions of {}", group,
                    topic);
            return -1;
        }
        List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        Map<TopicPartition, Long> from = from(admin, type, group, partitions, timeout);
        long dropped = 0;
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        Map<TopicPartition, Long> shareStarts = new HashMap<>();
        for (TopicPartition tp : partitions) {
            long end = ends.get(tp);
            long records = Math.max(0, end - from.getOrDefault(tp, 0L));
            dropped += records;
            commits.put(tp, new OffsetAndMetadata(end, closure.droppedMore(Math.max(0, records - 1)).metadata()));
            shareStarts.put(tp, end);
        }
        if (type == GroupType.SHARE) {
            admin.alterShareGroupOffsets(group, shareStarts).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            admin.alterConsumerGroupOffsets(group, commits).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return dropped;
    }

    private static int members(Admin admin, GroupType type, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return type == GroupType.SHARE
                    ? admin.describeShareGroups(List.of(group)).describedGroups().get(group)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).members().size()
                    : admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return 0;
            }
            throw e;
        }
    }

    /** Where the group's unfinished records start on each partition: its commits, or the log start. */
    private static Map<TopicPartition, Long> from(Admin admin, GroupType type, String group,
                                                  List<TopicPartition> partitions, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        partitions.forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
        Map<TopicPartition, Long> from = new HashMap<>();
        admin.listOffsets(earliest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .forEach((tp, info) -> from.put(tp, info.offset()));
        if (type == GroupType.CONSUMER) {
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).forEach((tp, om) -> {
                        if (om != null && from.containsKey(tp)) {
                            from.put(tp, Math.max(from.get(tp), om.offset()));
                        }
                    });
        }
        return from;
    }
}
