package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.internal.codec.Closure;
import dev.kafkaqueue.internal.codec.QueueMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Reads a group's progress on a topic with the Admin client, through the calls Kafka's own tools make, so the numbers
 * agree with {@code kafka-consumer-groups --describe} (or {@code kafka-share-groups --describe}) to the record. What
 * {@link Join} waits on, what the backpressure gate samples, and what {@code qsize()} counts.
 *
 * <p>Each snapshot is a few admin requests bounded by the request timeout; callers sample at a bounded rate and never
 * per record. The group's progress and the partitions' start and end offsets are asked for together, with the topic's
 * description: a snapshot takes about one round trip, the slowest. It reads the partitions the previous snapshot
 * found, and reads again at once if the description says partitions were added. Membership is informational (a
 * verdict reads only offsets), so it does not hold a snapshot up: each snapshot shows the latest membership the broker
 * answered, asked for again once that answer is in. (Describing a classic group costs a failed attempt with the new
 * protocol's request and a retry backoff, about 100 ms, which would otherwise delay join's verdict by as much.)
 *
 * <p>What differs between the group types is one {@link GroupProgress}: a consumer group's committed offsets, whose
 * metadata carries the pill closures, or a share group's share-partition start offsets and broker lag, whose
 * closures are read from the partitions' last records. The Admin client and the tail reader are borrowed, not owned.
 * Not thread-safe.
 */
public final class LagReader {

    /** The oldest unfinished record's time is read again at most this often per partition. */
    private static final long OLDEST_REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final Duration requestTimeout;
    private final TopicOffsets offsets;
    private final GroupProgress progress;
    /** Reads the oldest unfinished records' times, on a thread of its own; null when snapshots leave them out. */
    private final OldestTimes times;
    /** Written by the reader's thread, read by snapshots. */
    private final Map<TopicPartition, OldestTime> oldest = new ConcurrentHashMap<>();
    /** The topic's partitions as the last snapshot found them: the next one checks them while it reads offsets. */
    private String partitionsTopic;
    private List<TopicPartition> partitions;
    /** The group's membership asked for last, answered or not; and the last answer. */
    private String membershipGroup;
    private CompletableFuture<GroupProgress.Membership> membershipAsked;
    private GroupProgress.Membership membership;

    /** The CreateTime read for a partition's oldest unfinished record at {@code offset}, and when it was read. */
    private record OldestTime(long offset, long millis, long readAtNanos) {
    }

    private LagReader(Admin admin, Duration requestTimeout, GroupProgress progress, OldestTimes times) {
        this.requestTimeout = requestTimeout;
        this.offsets = new TopicOffsets(admin, requestTimeout);
        this.progress = progress;
        this.times = times;
    }

    /**
     * A reader of {@code type}'s progress.
     *
     * @param admin          borrowed, not closed
     * @param tail           borrowed, not closed; only a share group uses it, to see a pill as a partition's last record
     * @param requestTimeout the limit for each admin call
     */
    public static LagReader of(GroupType type, Admin admin, PartitionTail tail, Duration requestTimeout) {
        GroupProgress progress = type == GroupType.SHARE ? new GroupProgress.ShareGroup(admin, tail)
                : new GroupProgress.ConsumerGroup(admin);
        return new LagReader(admin, requestTimeout, progress, null);
    }

    /**
     * This reader, with every snapshot also giving each lagging partition's oldest unfinished record's CreateTime
     * ({@link PartitionLag#ageMillis}): lag in time. It reads one record per lagging partition, at most once a second
     * per partition, on the reader's own thread: a snapshot never waits for it, and shows the time read last (an
     * older record's, so the age shown is never too small), or none yet.
     *
     * @param times reads the records; borrowed, not closed
     */
    public LagReader withOldestUnfinished(OldestTimes times) {
        return new LagReader(offsets.admin(), requestTimeout, progress, times);
    }

    /** A full snapshot: partitions (including ones added since the last call), progress, offsets and membership. */
    public LagSnapshot snapshot(String topic, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return read(topic, group);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            partitionsTopic = null; // the next snapshot describes the topic first: it may have been deleted
            throw e;
        }
    }

    /**
     * Per partition, an offset with at least as many records at or after it as are unfinished: a consumer group's
     * committed offset; for a share group, end offset minus the broker's lag (the end offsets are read first, so a
     * record put in between can only make it lower). The backpressure gate counts the producer's records at or after
     * it as unfinished. Partitions without progress are absent.
     */
    public Map<TopicPartition, Long> committed(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        return progress.unfinishedFrom(group, topic, offsets, requestTimeout);
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
        CompletableFuture<Map<TopicPartition, GroupProgress.Progress>> progressAsked = progress.ask(group, topic);
        var startAsked = offsets.request(asked, OffsetSpec.earliest());
        var endAsked = offsets.request(asked, OffsetSpec.latest());
        askMembership(group);
        Map<TopicPartition, GroupProgress.Progress> made = await(progressAsked);
        Map<TopicPartition, Long> start = offsets.await(startAsked);
        Map<TopicPartition, Long> end = offsets.await(endAsked);
        if (known != null && !known.equals(offsets.partitions(topic, described))) {
            partitionsTopic = null; // partitions were added (or the topic is gone): ask again with the new list
            return read(topic, group);
        }
        partitionsTopic = topic;
        partitions = asked;
        Map<TopicPartition, Closure> closures = progress.closures(made, start, end);
        List<PartitionLag> lags = new ArrayList<>(asked.size());
        for (TopicPartition tp : asked) {
            GroupProgress.Progress p = made.getOrDefault(tp, GroupProgress.Progress.NONE);
            lags.add(new PartitionLag(tp.partition(), p.committed(), start.get(tp), end.get(tp), closures.get(tp),
                    p.brokerLag()));
        }
        if (times != null) {
            lags = withOldest(lags, topic, end);
        }
        GroupProgress.Membership members = membership();
        return new LagSnapshot(topic, group, true, lags, members.members(), members.state());
    }

    /** The lags, each lagging partition with its oldest unfinished record's time: read, or as read last. */
    private List<PartitionLag> withOldest(List<PartitionLag> lags, String topic, Map<TopicPartition, Long> end) {
        long now = System.nanoTime();
        Map<TopicPartition, Long> toRead = new HashMap<>();
        for (PartitionLag p : lags) {
            TopicPartition tp = new TopicPartition(topic, p.partition());
            OldestTime known = oldest.get(tp);
            long from = unfinishedFrom(p);
            if (p.lag() == 0) {
                oldest.remove(tp);
            } else if (known == null
                    || (known.offset() != from && now - known.readAtNanos() >= OLDEST_REFRESH_NANOS)) {
                toRead.put(tp, from);
            }
        }
        if (!toRead.isEmpty()) {
            times.request(toRead, end, read -> read.forEach((tp, millis) ->
                    oldest.put(tp, new OldestTime(toRead.get(tp), millis, now))));
        }
        List<PartitionLag> timed = new ArrayList<>(lags.size());
        for (PartitionLag p : lags) {
            OldestTime known = p.lag() == 0 ? null : oldest.get(new TopicPartition(topic, p.partition()));
            timed.add(known == null ? p : p.withOldestUnfinished(known.millis()));
        }
        return timed;
    }

    /** The first offset of a partition's unfinished records: the committed one, or end minus a share group's lag. */
    private static long unfinishedFrom(PartitionLag p) {
        if (p.brokerLag() != null) {
            return Math.max(p.startOffset(), p.endOffset() - p.brokerLag());
        }
        return p.committed() == null ? p.startOffset() : Math.max(p.committed(), p.startOffset());
    }

    /** Asks for the group's membership unless an earlier question is still unanswered. */
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
            membershipAsked = progress.members(group);
        }
    }

    /** The latest answer; the first snapshot waits for one. */
    private GroupProgress.Membership membership() throws InterruptedException, ExecutionException, TimeoutException {
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

    private <V> V await(CompletableFuture<V> future) throws InterruptedException, ExecutionException,
            TimeoutException {
        return future.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A completed answer: the group's members and state, or none for a group the broker does not know. */
    private static GroupProgress.Membership answered(CompletableFuture<GroupProgress.Membership> asked) {
        try {
            GroupProgress.Membership answer = asked.getNow(null);
            return answer == null ? GroupProgress.Membership.NONE : answer;
        } catch (RuntimeException e) {
            return GroupProgress.Membership.NONE; // not found (an unknown group); other failures surface in membership()
        }
    }

    /** The closure of each partition whose last record (below {@code end}) is a pill; used by share groups. */
    static Map<TopicPartition, Closure> pillsAtTheEnd(PartitionTail tail, Map<TopicPartition, Long> start,
                                                      Map<TopicPartition, Long> finished) {
        Map<TopicPartition, Closure> closures = new HashMap<>();
        if (!finished.isEmpty()) {
            tail.last(start, finished).forEach((tp, message) -> {
                if (message instanceof QueueMessage.PoisonPill pill) {
                    closures.put(tp, Closure.of(pill));
                }
            });
        }
        return closures;
    }
}
