package dev.kafkaqueue.consumer;

import dev.kafkaqueue.common.QueueMessage;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions a poison pill has closed, and whether a closure belongs to the run this consumer works on.
 *
 * <p>A closure travels with the committed offset as its metadata, {@code kafka-queue:pill:<run>:<epoch-ms>}, so every
 * member of the group, an idle one too, can see which partitions are closed without reading them. A closure counts
 * for this consumer when it read a record of that run, or when the pill was put after this consumer started: a
 * second run on the same topic and group therefore does not end on the first run's pills. A pill of a run that
 * already closed the partition is a duplicate and changes nothing. The next item on a partition reopens it.
 */
final class RunClosure {

    private static final String PREFIX = QueueMessage.PoisonPill.CLOSURE_METADATA_PREFIX;

    /** A parsed closure: the run whose pill closed the partition, and when the pill was put. */
    record Closure(String runId, long producedAtMillis) {
        String metadata() {
            return PREFIX + runId + ":" + producedAtMillis;
        }

        static Optional<Closure> parse(String metadata) {
            if (metadata == null || !metadata.startsWith(PREFIX)) {
                return Optional.empty();
            }
            String rest = metadata.substring(PREFIX.length());
            int colon = rest.lastIndexOf(':');
            try {
                return Optional.of(new Closure(rest.substring(0, colon), Long.parseLong(rest.substring(colon + 1))));
            } catch (RuntimeException e) {
                return Optional.empty(); // someone else's metadata: not a closure
            }
        }
    }

    private final long startedAtMillis;
    private final Set<String> seenRuns = new HashSet<>();
    private final Map<TopicPartition, Closure> closed = new HashMap<>();

    /** @param startedAtMillis when this consumer started, in epoch milliseconds */
    RunClosure(long startedAtMillis) {
        this.startedAtMillis = startedAtMillis;
    }

    /** Learns the closures committed for newly assigned partitions. */
    void assigned(Map<TopicPartition, OffsetAndMetadata> committed) {
        committed.forEach((tp, offset) -> {
            if (offset != null) {
                Closure.parse(offset.metadata()).ifPresent(closure -> closed.put(tp, closure));
            }
        });
    }

    /** Forgets partitions this consumer no longer owns; their closures stay in the group's commits. */
    void revoked(Collection<TopicPartition> partitions) {
        partitions.forEach(closed::remove);
    }

    /** An item read from the partition: its run is current, and the partition is open again. */
    void item(TopicPartition tp, QueueMessage.Item item) {
        seenRuns.add(item.runId());
        closed.remove(tp);
    }

    /**
     * A pill read from the partition.
     *
     * @return true when it closed the partition, false for a duplicate of the pill that already closed it
     */
    boolean pill(TopicPartition tp, QueueMessage.PoisonPill pill) {
        Closure current = closed.get(tp);
        if (current != null && current.runId().equals(pill.runId())) {
            return false;
        }
        seenRuns.add(pill.runId());
        closed.put(tp, new Closure(pill.runId(), pill.producedAt().toEpochMilli()));
        return true;
    }

    /** The metadata to commit with the partition's offset: its closure, or empty while it is open. */
    String metadata(TopicPartition tp) {
        Closure closure = closed.get(tp);
        return closure == null ? "" : closure.metadata();
    }

    /** True when a committed offset carries a closure of a run this consumer works on. */
    boolean closes(OffsetAndMetadata committed) {
        return committed != null && Closure.parse(committed.metadata())
                .filter(c -> seenRuns.contains(c.runId()) || c.producedAtMillis() >= startedAtMillis)
                .isPresent();
    }

    /** True when every given partition was closed by a pill this consumer read (for {@code --commit none}). */
    boolean closedLocally(Collection<TopicPartition> partitions) {
        return !partitions.isEmpty() && partitions.stream()
                .allMatch(tp -> closed.containsKey(tp) && seenRuns.contains(closed.get(tp).runId()));
    }
}
