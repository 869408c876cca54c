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
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Reads a group's committed offsets and a topic's log offsets with the Admin client, the same calls
 * {@code kafka-consumer-groups --describe} makes, so the numbers agree with Kafka's tool to the record.
 *
 * <p>Each call is a few admin requests bounded by the given timeout; callers sample at a bounded rate and never per
 * record. The offsets are asked for together, and with the topic's description: a snapshot takes about one round
 * trip, the slowest. It reads the partitions the previous snapshot found, and reads again at once if the description
 * says partitions were added. Membership is informational (a verdict reads only offsets), so it does not hold a
 * snapshot up: each snapshot shows the latest membership the broker answered, asked for again once that answer is
 * in. Describing a classic group costs a failed attempt with the new protocol's request and a retry backoff (about
 * 100 ms), which would otherwise delay join's verdict by as much. The Admin client is borrowed, not owned. Not
 * thread-safe.
 */
public final class LagReader implements GroupLagReader {

    private final Admin admin;
    private final Duration requestTimeout;
    private final TopicOffsets offsets;
    /** The topic's partitions as the last snapshot found them: the next one checks them while it reads offsets. */
    private String partitionsTopic;
    private List<TopicPartition> partitions;
    /** The group's description asked for last, answered or not; and the last answer. */
    private String membershipGroup;
    private KafkaFuture<ConsumerGroupDescription> membershipAsked;
    private Membership membership;

    private record Membership(int members, String state) {
        static final Membership NONE = new Membership(0, "Dead");
    }

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
        try {
            return read(topic, group);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            partitionsTopic = null; // the next snapshot describes the topic first: it may have been deleted
            throw e;
        }
    }

    private LagSnapshot read(String topic, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> known = topic.equals(partitionsTopic) ? partitions : null;
        var described = offsets.describe(topic);
        List<TopicPartition> asked = known != null ? known : offsets.partitions(topic, described);
        if (asked.isEmpty()) {
            partitionsTopic = null;
            return new LagSnapshot(topic, group, false, List.of(), 0, "Unknown");
        }
        KafkaFuture<Map<TopicPartition, OffsetAndMetadata>> committedAsked =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata();
        var startAsked = offsets.request(asked, OffsetSpec.earliest());
        var endAsked = offsets.request(asked, OffsetSpec.latest());
        askMembership(group);
        Map<TopicPartition, OffsetAndMetadata> committed = onTopic(topic,
                committedAsked.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
        Map<TopicPartition, Long> start = offsets.await(startAsked);
        Map<TopicPartition, Long> end = offsets.await(endAsked);
        if (known != null && !known.equals(offsets.partitions(topic, described))) {
            partitionsTopic = null; // partitions were added (or the topic is gone): ask again with the new list
            return read(topic, group);
        }
        partitionsTopic = topic;
        partitions = asked;
        List<PartitionLag> lags = new ArrayList<>(asked.size());
        for (TopicPartition tp : asked) {
            OffsetAndMetadata commit = committed.get(tp);
            lags.add(new PartitionLag(tp.partition(), commit == null ? null : commit.offset(), start.get(tp),
                    end.get(tp), commit != null && QueueMessage.PoisonPill.isClosure(commit.metadata())));
        }
        Membership members = membership();
        return new LagSnapshot(topic, group, true, lags, members.members(), members.state());
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
        return onTopic(topic, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    private static Map<TopicPartition, OffsetAndMetadata> onTopic(String topic,
                                                                  Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        offsets.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(topic)) {
                committed.put(tp, om);
            }
        });
        return committed;
    }

    /** Asks for the group's description unless an earlier question is still unanswered. */
    private void askMembership(String group) {
        if (!group.equals(membershipGroup)) {
            membershipGroup = group;
            membershipAsked = null;
            membership = null;
        }
        if (membershipAsked == null || membershipAsked.isDone()) {
            if (membershipAsked != null) {
                membership = answered(membershipAsked);
            }
            membershipAsked = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group);
        }
    }

    /** The latest answer; the first snapshot waits for one. */
    private Membership membership() throws InterruptedException, ExecutionException, TimeoutException {
        if (membershipAsked.isDone() || membership == null) {
            try {
                membershipAsked.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
            }
            membership = answered(membershipAsked);
        }
        return membership;
    }

    /** A completed description: the group's members and state, or none for a group the broker does not know. */
    private static Membership answered(KafkaFuture<ConsumerGroupDescription> asked) {
        try {
            ConsumerGroupDescription description = asked.getNow(null);
            return description == null ? Membership.NONE
                    : new Membership(description.members().size(), description.groupState().toString());
        } catch (ExecutionException e) {
            return Membership.NONE; // not found (an unknown group); other failures surfaced in membership()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Membership.NONE;
        }
    }
}
