package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.codec.Closure;

import dev.kafkaqueue.internal.codec.QueueMessage;
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
import java.util.function.Predicate;
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
 * <p>A closure travels with the committed offset as its metadata ({@link Closure}), so every member of the group, an
 * idle one too, can see which partitions are closed without reading them. A closure counts
 * for this consumer when it read a record of that run, or when the pill was put after this consumer started: a
 * second run on the same topic and group therefore does not end on the first run's pills. A pill of a run that
 * already closed the partition is a duplicate and changes nothing. The next item after the pill reopens the partition.
 * The queue's own run counts from the start: its own pills close partitions for its own getters.
 */
final class RunClosure {

    private static final Logger log = LoggerFactory.getLogger(RunClosure.class);
    /** The metadata of an open partition. */
    static final String OPEN = "";

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

    /**
     * @param startedAtMillis when this consumer started, in epoch milliseconds
     * @param ownRun          the run of this queue's own puts: its pills count whenever they were put
     */
    RunClosure(long startedAtMillis, String ownRun) {
        this(startedAtMillis);
        seenRuns.add(ownRun);
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
     * item comes after the pill that closed it. An earlier item handled after the pill (with ordering {@code KEY} or
     * {@code UNORDERED}) does not reopen it. Item after item of one run, with no partition closed, nothing changes:
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
        closed.put(tp, new Closed(Closure.of(pill), offset));
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
        return committed != null && Closure.parse(committed.metadata()).filter(this::counts).isPresent();
    }

    /** True when the closure is of a run this consumer works on: it read a record of it, or the pill is newer. */
    synchronized boolean counts(Closure closure) {
        return seenRuns.contains(closure.runId()) || closure.producedAtMillis() >= startedAtMillis;
    }

    /** True when this consumer read a record of the run (or the run is its own). */
    synchronized boolean sawRun(String runId) {
        return seenRuns.contains(runId);
    }

    /** The closure of a partition this consumer closed or learned at assignment, or null while it is open. */
    synchronized Closure closure(TopicPartition tp) {
        Closed current = closed.get(tp);
        return current == null ? null : current.closure();
    }

    /**
     * True when one of the partitions this member owns has no closure: neither a pill read here nor one committed
     * before it was assigned. Only its owner commits a partition, so the run cannot be closed before that pill is read
     * here, and asking the group would only cost requests that hold up the poll thread.
     */
    synchronized boolean openHere(Collection<TopicPartition> owned) {
        for (TopicPartition tp : owned) {
            if (!closed.containsKey(tp)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when every given partition was closed by a pill this consumer read (for commit mode {@code NONE}, and for
     * getters, whose partitions are drained once the pill is taken).
     */
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
        return runClosed(consumer, endOffsets, topic, timeout, tp -> false);
    }

    /**
     * {@link #runClosed(Consumer, EndOffsets, String, Duration)}, where a partition for which {@code closedHere} holds
     * counts as closed without its commit: a getter's partitions are closed once their pill is taken and nothing is
     * queued behind it, though items taken before it may still be in hand (they hold {@code join}, not {@code get}).
     */
    boolean runClosed(Consumer<?, ?> consumer, EndOffsets endOffsets, String topic, Duration timeout,
                      Predicate<TopicPartition> closedHere) {
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            Set<TopicPartition> all = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition()))
                    .collect(Collectors.toSet());
            Set<TopicPartition> elsewhere = all.stream().filter(closedHere.negate()).collect(Collectors.toSet());
            if (elsewhere.isEmpty()) {
                return true;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(elsewhere, timeout);
            Map<TopicPartition, Long> ends = endOffsets.read(elsewhere, timeout);
            return elsewhere.stream().allMatch(tp -> {
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
