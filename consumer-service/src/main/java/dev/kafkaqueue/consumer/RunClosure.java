package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.QueueMessage;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which partitions a poison pill has closed, and whether a closure belongs to the run this consumer works on.
 *
 * <p>A closure travels with the committed offset as its metadata, {@code kafka-queue:pill:<run>:<epoch-ms>}, so every
 * member of the group, an idle one too, can see which partitions are closed without reading them. A closure counts
 * for this consumer when it read a record of that run, or when the pill was put after this consumer started: a
 * second run on the same topic and group therefore does not end on the first run's pills. A pill of a run that
 * already closed the partition is a duplicate and changes nothing. The next item after the pill reopens the partition.
 */
final class RunClosure {

    private static final Logger log = LoggerFactory.getLogger(RunClosure.class);
    private static final String PREFIX = QueueMessage.PoisonPill.CLOSURE_METADATA_PREFIX;
    /** The metadata of an open partition. */
    static final String OPEN = "";

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

    /**
     * Where the check reads the partitions' ends (the last stable offsets, as a {@code read_committed} consumer sees
     * them). In a consumer this is an Admin client, not the consumer itself: the broker answers a connection's
     * requests in order, and the consumer's own connection usually waits on a fetch the broker holds for up to
     * {@code fetch.max.wait.ms} once the partition is read to its end: exactly when the check runs.
     */
    interface EndOffsets {
        /** The end offset of each partition; throws a {@link RetriableException} when it cannot say now. */
        Map<TopicPartition, Long> read(Set<TopicPartition> partitions, Duration timeout);

        /** Through an Admin client, which has connections of its own. */
        static EndOffsets of(Admin admin) {
            return (partitions, timeout) -> {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                try {
                    Map<TopicPartition, Long> ends = new HashMap<>();
                    admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .forEach((tp, info) -> ends.put(tp, info.offset()));
                    return ends;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptException(e);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new TimeoutException("no end offsets for " + partitions + " within " + timeout);
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof KafkaException kafka ? kafka : new KafkaException(e.getCause());
                }
            };
        }
    }

    private final long startedAtMillis;
    private final Set<String> seenRuns = new HashSet<>();
    private final Map<TopicPartition, Closed> closed = new HashMap<>();
    /** The run of the last item read; written under the lock, read without it by {@link #item}. */
    private volatile String lastRun;
    /** Whether {@link #closed} has an entry; written under the lock, read without it by {@link #item}. */
    private volatile boolean anyClosed;

    /**
     * A closed partition: its closure, and the offset of the pill that closed it (or one below the committed offset,
     * for a closure learned at assignment).
     */
    private record Closed(Closure closure, long pillOffset) {
    }

    /** @param startedAtMillis when this consumer started, in epoch milliseconds */
    RunClosure(long startedAtMillis) {
        this.startedAtMillis = startedAtMillis;
    }

    /** Learns the closures committed for newly assigned partitions. */
    synchronized void assigned(Map<TopicPartition, OffsetAndMetadata> committed) {
        committed.forEach((tp, offset) -> {
            if (offset != null) {
                Closure.parse(offset.metadata())
                        .ifPresent(closure -> closed.put(tp, new Closed(closure, offset.offset() - 1)));
            }
        });
        anyClosed = !closed.isEmpty();
    }

    /** Forgets partitions this consumer no longer owns; their closures stay in the group's commits. */
    synchronized void revoked(Collection<TopicPartition> partitions) {
        partitions.forEach(closed::remove);
        anyClosed = !closed.isEmpty();
    }

    /**
     * An item read from the partition at {@code offset}: its run is current, and the partition is open again if the
     * item comes after the pill that closed it. An earlier item handled after the pill (with {@code --ordering key} or
     * {@code unordered}) does not reopen it. Item after item of one run, with no partition closed, nothing changes:
     * that case takes no lock.
     */
    void item(TopicPartition tp, QueueMessage.Item item, long offset) {
        if (item.runId().equals(lastRun) && !anyClosed) {
            return;
        }
        synchronized (this) {
            if (!item.runId().equals(lastRun)) {
                seenRuns.add(item.runId());
                lastRun = item.runId();
            }
            Closed current = closed.get(tp);
            if (current != null && offset > current.pillOffset()) {
                closed.remove(tp);
                anyClosed = !closed.isEmpty();
            }
        }
    }

    /**
     * A pill read from the partition at {@code offset}.
     *
     * @return true when it closed the partition, false for a duplicate of the pill that already closed it
     */
    synchronized boolean pill(TopicPartition tp, QueueMessage.PoisonPill pill, long offset) {
        Closed current = closed.get(tp);
        if (current != null && current.closure().runId().equals(pill.runId())) {
            return false;
        }
        seenRuns.add(pill.runId());
        closed.put(tp, new Closed(new Closure(pill.runId(), pill.producedAt().toEpochMilli()), offset));
        anyClosed = true;
        return true;
    }

    /** The metadata to commit with the partition's offset: its closure, or empty while it is open. */
    synchronized String metadata(TopicPartition tp) {
        Closed current = closed.get(tp);
        return current == null ? OPEN : current.closure().metadata();
    }

    /** True when a committed offset carries a closure of a run this consumer works on. */
    synchronized boolean closes(OffsetAndMetadata committed) {
        return committed != null && Closure.parse(committed.metadata())
                .filter(c -> seenRuns.contains(c.runId()) || c.producedAtMillis() >= startedAtMillis)
                .isPresent();
    }

    /** True when every given partition was closed by a pill this consumer read (for {@code --commit none}). */
    synchronized boolean closedLocally(Collection<TopicPartition> partitions) {
        return !partitions.isEmpty() && partitions.stream()
                .allMatch(tp -> closed.containsKey(tp) && seenRuns.contains(closed.get(tp).closure().runId()));
    }

    /**
     * True when the work a consumer of the group could still receive is done: every partition of the topic is
     * committed up to its end, past a pill of a run this consumer works on. Two small requests (the partitions come
     * from the consumer's metadata); the poll thread calls it when idle or after a pill, never per record.
     */
    boolean runClosed(Consumer<?, ?> consumer, EndOffsets endOffsets, String topic, Duration timeout) {
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            Set<TopicPartition> all = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition()))
                    .collect(Collectors.toSet());
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all, timeout);
            Map<TopicPartition, Long> ends = endOffsets.read(all, timeout);
            return all.stream().allMatch(tp -> {
                OffsetAndMetadata offset = committed.get(tp);
                Long end = ends.get(tp);
                return closes(offset) && end != null && offset.offset() >= end;
            });
        } catch (RetriableException e) {
            log.info("Cannot check the group's closures yet: {}", e.toString());
            return false; // broker trouble is not a verdict: ask again later
        }
    }
}
