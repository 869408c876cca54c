package dev.kafkaqueue.internal.lag;

import java.util.List;
import java.util.OptionalLong;

/**
 * A group's progress on one topic at one moment.
 *
 * @param topic       the topic
 * @param group       the consumer group or share group
 * @param topicExists false while the topic has not been created; such a snapshot is never done
 * @param partitions  every partition of the topic, in partition order
 * @param members     live members of the group (0 when it is empty or dead)
 * @param groupState  the group's state as the broker reports it, e.g. {@code Stable} or {@code Empty}
 */
public record LagSnapshot(String topic, String group, boolean topicExists, List<PartitionLag> partitions,
                          int members, String groupState) {

    public LagSnapshot {
        partitions = List.copyOf(partitions);
    }

    /** Total lag over all partitions. */
    public long totalLag() {
        return partitions.stream().mapToLong(PartitionLag::lag).sum();
    }

    /** Total records lost to retention before they were processed. */
    public long totalLost() {
        return partitions.stream().mapToLong(PartitionLag::lost).sum();
    }

    /** Records on the topic now: end minus log start, summed over partitions (pills and markers included). */
    public long records() {
        return partitions.stream().mapToLong(p -> p.endOffset() - p.startOffset()).sum();
    }

    /** How long the oldest unfinished record of any partition has waited, when the snapshot read it. */
    public OptionalLong oldestAgeMillis(long nowMillis) {
        OptionalLong oldest = OptionalLong.empty();
        for (PartitionLag p : partitions) {
            OptionalLong age = p.ageMillis(nowMillis);
            if (age.isPresent() && (oldest.isEmpty() || age.getAsLong() > oldest.getAsLong())) {
                oldest = age;
            }
        }
        return oldest;
    }

    /** Items immediate shutdowns committed past without working them, as the closures say. */
    public long totalDropped() {
        return partitions.stream().mapToLong(PartitionLag::dropped).sum();
    }

    /** True when the group has no committed offset on any partition of the topic: it never finished an item here. */
    public boolean neverCommitted() {
        return topicExists && partitions.stream().allMatch(p -> p.committed() == null);
    }

    /** {@code queue.join()}'s condition: the topic exists and every partition is done. */
    public boolean done() {
        return topicExists && !partitions.isEmpty() && partitions.stream().allMatch(PartitionLag::done);
    }

    /** Partitions whose committed offset is not past a poison pill: a run's producer may still add to them. */
    public List<Integer> openPartitions() {
        return partitions.stream().filter(p -> !p.closedByPill()).map(PartitionLag::partition).toList();
    }

    /** Done, and every partition closed by a poison pill: the producer finished its run and nothing is left. */
    public boolean doneAndClosed() {
        return done() && openPartitions().isEmpty();
    }
}
