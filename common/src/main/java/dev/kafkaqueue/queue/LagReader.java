package dev.kafkaqueue.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Reads a group's committed offsets and a topic's log offsets with the Admin client, the same calls
 * {@code kafka-consumer-groups --describe} makes, so the numbers agree with Kafka's tool to the record.
 *
 * <p>Each call is a few admin requests bounded by the given timeout; callers sample at a bounded rate and never per
 * record. The Admin client is borrowed, not owned.
 */
public final class LagReader implements GroupLagReader {

    private final Admin admin;
    private final Duration requestTimeout;
    private final TopicOffsets offsets;

    /**
     * @param admin          the admin client to use; the caller closes it
     * @param requestTimeout the limit for each admin call
     */
    public LagReader(Admin admin, Duration requestTimeout) {
        this.admin = admin;
        this.requestTimeout = requestTimeout;
        this.offsets = new TopicOffsets(admin, requestTimeout);
    }

    /** A full snapshot: partitions (including ones added since the last call), offsets and group membership. */
    @Override
    public LagSnapshot snapshot(String topic, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> partitions = offsets.partitions(topic);
        if (partitions.isEmpty()) {
            return new LagSnapshot(topic, group, false, List.of(), 0, "Unknown");
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committedWithMetadata(group, topic);
        Map<TopicPartition, Long> start = offsets.of(partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> end = offsets.of(partitions, OffsetSpec.latest());
        List<PartitionLag> lags = new ArrayList<>(partitions.size());
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata commit = committed.get(tp);
            lags.add(new PartitionLag(tp.partition(), commit == null ? null : commit.offset(), start.get(tp),
                    end.get(tp), commit != null && QueueMessage.PoisonPill.isClosure(commit.metadata())));
        }
        ConsumerGroupDescription description = describe(group);
        int members = description == null ? 0 : description.members().size();
        String state = description == null ? "Dead" : description.groupState().toString();
        return new LagSnapshot(topic, group, true, lags, members, state);
    }

    /** The group's committed offsets on the topic; partitions without one are absent. */
    @Override
    public Map<TopicPartition, Long> committed(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, Long> committed = new HashMap<>();
        committedWithMetadata(group, topic).forEach((tp, om) -> committed.put(tp, om.offset()));
        return committed;
    }

    private Map<TopicPartition, OffsetAndMetadata> committedWithMetadata(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        offsets.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(topic)) {
                committed.put(tp, om);
            }
        });
        return committed;
    }

    private ConsumerGroupDescription describe(String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }
}
