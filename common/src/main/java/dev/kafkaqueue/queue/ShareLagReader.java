package dev.kafkaqueue.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Reads a share group's progress on a topic with {@code Admin.listShareGroupOffsets}, the call
 * {@code kafka-share-groups --describe} makes, so the numbers agree with Kafka's tool partition by partition.
 *
 * <p>Per partition: the share-partition start offset (SPSO; every record before it is acknowledged or archived) is
 * reported as {@link PartitionLag#committed()}, and the broker's lag (KIP-1226) as {@link PartitionLag#brokerLag()}.
 * An unknown lag ({@code Optional.empty()}) is not zero: the partition then counts end minus SPSO. A partition
 * is {@linkplain PartitionLag#closedByPill() closed} when the broker's lag on it is zero and its last record is a
 * poison pill, read with {@link PartitionTail} (only then, so a running queue costs no record reads).
 *
 * <p>The Admin client and the tail reader are borrowed, not owned; each call is a few admin requests bounded by the
 * request timeout, and callers sample at a bounded rate, never per record.
 */
public final class ShareLagReader implements GroupLagReader {

    /**
     * The closure state of a share group's partitions.
     *
     * @param partitions every partition of the topic; empty while the topic does not exist
     * @param pills      for each partition with lag zero whose last record is a pill, that pill
     */
    public record Closures(List<TopicPartition> partitions, Map<TopicPartition, QueueMessage.PoisonPill> pills) {

        /** True when every partition is closed by a pill that {@code counts}. */
        public boolean allClosed(Predicate<QueueMessage.PoisonPill> counts) {
            return !partitions.isEmpty() && partitions.stream()
                    .allMatch(tp -> pills.containsKey(tp) && counts.test(pills.get(tp)));
        }
    }

    private record State(List<TopicPartition> partitions, Map<TopicPartition, SharePartitionOffsetInfo> share,
                         Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
                         Map<TopicPartition, QueueMessage.PoisonPill> pills) {
    }

    private final Admin admin;
    private final PartitionTail tail;
    private final Duration requestTimeout;
    private final TopicOffsets offsets;

    /**
     * @param admin          the admin client to use; the caller closes it
     * @param tail           reads the last record of finished partitions; the caller closes it
     * @param requestTimeout the limit for each admin call
     */
    public ShareLagReader(Admin admin, PartitionTail tail, Duration requestTimeout) {
        this.admin = admin;
        this.tail = tail;
        this.requestTimeout = requestTimeout;
        this.offsets = new TopicOffsets(admin, requestTimeout);
    }

    @Override
    public LagSnapshot snapshot(String topic, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        State state = read(topic, group);
        if (state.partitions().isEmpty()) {
            return new LagSnapshot(topic, group, false, List.of(), 0, "Unknown");
        }
        List<PartitionLag> lags = new ArrayList<>(state.partitions().size());
        for (TopicPartition tp : state.partitions()) {
            SharePartitionOffsetInfo info = state.share().get(tp);
            Long spso = spso(info);
            lags.add(new PartitionLag(tp.partition(), spso, state.start().get(tp), state.end().get(tp),
                    state.pills().containsKey(tp), spso == null ? null : info.lag().orElse(null)));
        }
        ShareGroupDescription description = describe(group);
        int members = description == null ? 0 : description.members().size();
        String groupState = description == null ? "Dead" : description.groupState().toString();
        return new LagSnapshot(topic, group, true, lags, members, groupState);
    }

    /**
     * Per partition, the end offset minus the broker's lag: as many records at or after it as are unfinished. The
     * SPSO is not used for this, because it can stay behind records already acknowledged. The end offsets are read
     * before the lag, so a record put in between can only make the result lower, never count an unfinished record as
     * finished. Where the lag is unknown, the SPSO is used; partitions without state are absent.
     */
    @Override
    public Map<TopicPartition, Long> committed(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> partitions = offsets.partitions(topic);
        if (partitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, Long> end = offsets.of(partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> committed = new HashMap<>();
        shareOffsets(group, topic).forEach((tp, info) -> {
            Long spso = spso(info);
            if (spso != null && end.containsKey(tp)) {
                committed.put(tp, info.lag().map(lag -> Math.max(spso, end.get(tp) - lag)).orElse(spso));
            }
        });
        return committed;
    }

    /** Which partitions are finished to their end with a pill as their last record, and that pill. */
    public Closures closures(String topic, String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        State state = read(topic, group);
        return new Closures(state.partitions(), state.pills());
    }

    private State read(String topic, String group) throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> partitions = offsets.partitions(topic);
        if (partitions.isEmpty()) {
            return new State(List.of(), Map.of(), Map.of(), Map.of(), Map.of());
        }
        Map<TopicPartition, SharePartitionOffsetInfo> share = shareOffsets(group, topic);
        Map<TopicPartition, Long> start = offsets.of(partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> end = offsets.of(partitions, OffsetSpec.latest());
        // Only partitions whose every record is finished can be closed; only their tails are read. The broker's lag
        // says so, not the SPSO: measured on 4.3.1, the SPSO it reports can stay below the end offset for good
        // (19 of 21 with lag 0) while the records after it are acknowledged.
        Map<TopicPartition, Long> finished = new HashMap<>();
        for (TopicPartition tp : partitions) {
            SharePartitionOffsetInfo info = share.get(tp);
            boolean lagZero = spso(info) != null && info.lag().filter(lag -> lag == 0).isPresent();
            if (lagZero && end.get(tp) > start.get(tp)) {
                finished.put(tp, end.get(tp));
            }
        }
        Map<TopicPartition, QueueMessage.PoisonPill> pills = new HashMap<>();
        if (!finished.isEmpty()) {
            tail.last(start, finished).forEach((tp, message) -> {
                if (message instanceof QueueMessage.PoisonPill pill) {
                    pills.put(tp, pill);
                }
            });
        }
        return new State(partitions, share, start, end, pills);
    }

    /** The SPSO, or null when the group has no state for the partition (the broker reports -1 or nothing). */
    private static Long spso(SharePartitionOffsetInfo info) {
        return info == null || info.startOffset() < 0 ? null : info.startOffset();
    }

    private Map<TopicPartition, SharePartitionOffsetInfo> shareOffsets(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> all = admin
                    .listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(group).get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = new HashMap<>();
            all.forEach((tp, info) -> {
                if (info != null && tp.topic().equals(topic)) {
                    offsets.put(tp, info);
                }
            });
            return offsets;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of(); // no member has joined yet: no partition has state
            }
            throw e;
        }
    }

    private ShareGroupDescription describe(String group)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return admin.describeShareGroups(List.of(group)).describedGroups().get(group)
                    .get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return null;
            }
            throw e;
        }
    }
}
