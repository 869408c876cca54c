package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.internal.codec.Payloads;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import dev.kafkaqueue.options.GroupType;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to one record between {@code get()} and {@code taskDone()}, the same for both group types and both
 * ways of working (a worker running {@code process()}'s handler, or a getter): the record is read; a pill notes its
 * closure; an unreadable record, or a payload that does not map to the item type, goes to the dead-letter topic; an
 * item already applied is skipped (the dedup window); any other item is handed to the work. After the work it is
 * applied once, or, having failed every attempt, dead-lettered (in a share group: released while the broker will
 * deliver it again). Every such record ends {@linkplain Task#done done}; runs on worker and getter threads, and
 * everything it shares is thread-safe.
 *
 * @param <T> the queue's item type
 */
final class RecordHandler<T> {

    private static final Logger log = LoggerFactory.getLogger(RecordHandler.class);

    /** What happens after each finished record; for {@code per-record} commits. */
    @FunctionalInterface
    interface AfterRecord {
        void finished(Task task);
    }

    private final RecordCodec codec = new RecordCodec();
    private final Payloads<T> payloads;
    private final GroupType groupType;
    private final RunClosure closure;
    private final DedupWindow dedup;
    private final DeadLetters deadLetters;
    private final QueueListener listener;
    private final Meters meters;
    private final int deliveryCountLimit;
    private final long limit;
    private final AfterRecord after;
    private final AtomicLong claimed = new AtomicLong();
    private final LongAdder deadLettered = new LongAdder();
    private volatile boolean pillFinished;

    /**
     * @param deliveryCountLimit a share group's {@code share.delivery.count.limit}; unused for a consumer group
     * @param limit              items to take at most ({@code process()}'s limit); 0 is no limit
     */
    RecordHandler(Payloads<T> payloads, GroupType groupType, RunClosure closure, DedupWindow dedup,
                  DeadLetters deadLetters, QueueListener listener, Meters meters, int deliveryCountLimit, long limit,
                  AfterRecord after) {
        this.payloads = payloads;
        this.groupType = groupType;
        this.closure = closure;
        this.dedup = dedup;
        this.deadLetters = deadLetters;
        this.listener = listener;
        this.meters = meters;
        this.deliveryCountLimit = deliveryCountLimit;
        this.limit = limit;
        this.after = after;
    }

    /** A worker's whole task: read it, work it with retries, and finish it. */
    void work(Task task, Retrying retrying, Retrying.Work work) {
        if (!take(task)) {
            return;
        }
        long started = System.nanoTime();
        Exception failure = retrying.run(task, work);
        meters.processing().record(System.nanoTime() - started);
        if (failure == Retrying.STOPPED) {
            stopped(task);
        } else if (failure != null) {
            failed(task, failure, retrying.attempts());
        } else {
            succeeded(task);
        }
    }

    /**
     * Reads the task's record on the thread that took it.
     *
     * @return true when it is an item to work, with {@link Task#item} and {@link Task#value} set; false when the
     *         record was finished here (a pill, an unreadable record, a duplicate), or is left for a later delivery
     *         (past the limit)
     */
    boolean take(Task task) {
        ConsumerRecord<byte[], byte[]> record = task.record;
        QueueMessage message;
        try {
            message = codec.decode(record.value());
        } catch (UnreadableRecordException e) {
            log.warn("Unreadable record {}-{}@{} goes to {}: {}", record.topic(), record.partition(), record.offset(),
                    deadLetters.topic(), e.getMessage());
            deadLetter(record, e);
            finish(task, null, AcknowledgeType.REJECT);
            return false;
        }
        if (message instanceof QueueMessage.PoisonPill pill) {
            boolean closed = closure.pill(task.partition.topicPartition(), pill, record.offset());
            listener.pill(record.partition(), record.offset(), closed);
            finish(task, closed ? closure.metadata(task.partition.topicPartition()) : null, AcknowledgeType.ACCEPT);
            pillFinished = true;
            return false;
        }
        QueueMessage.Item item = (QueueMessage.Item) message;
        closure.item(task.partition.topicPartition(), item, record.offset());
        if (limit > 0 && claimed.incrementAndGet() > limit) {
            left(task); // the limit was reached by other items: delivered again, to this member or another
            return false;
        }
        if (dedup.contains(item.runId(), item.id())) {
            listener.skipped(item.id(), record.partition(), record.offset());
            meters.skipped().increment();
            finish(task, RunClosure.OPEN, AcknowledgeType.ACCEPT);
            return false;
        }
        try {
            task.value = payloads.value(item);
        } catch (UnreadableRecordException e) {
            log.warn("Item {} at {}-{}@{} goes to {}: {}", item.id(), record.topic(), record.partition(),
                    record.offset(), deadLetters.topic(), e.getMessage());
            deadLetter(record, e);
            finish(task, RunClosure.OPEN, AcknowledgeType.REJECT);
            return false;
        }
        task.item = item;
        meters.waits().record(record.timestamp(), System.currentTimeMillis());
        listener.got(item.id(), record.partition(), record.offset());
        return true;
    }

    /** The work on a taken item succeeded: it is applied, and done. */
    void succeeded(Task task) {
        QueueMessage.Item item = task.item;
        dedup.add(item.runId(), item.id());
        meters.done().increment();
        listener.done(item.id(), task.record.partition(), task.record.offset());
        finish(task, RunClosure.OPEN, AcknowledgeType.ACCEPT);
    }

    /**
     * The work on a taken item failed every attempt: dead-lettered and done, or, in a share group while the broker
     * will deliver it again, released.
     */
    void failed(Task task, Exception error, int attempts) {
        QueueMessage.Item item = task.item;
        ConsumerRecord<byte[], byte[]> record = task.record;
        if (groupType == GroupType.SHARE) {
            int delivery = record.deliveryCount().map(Short::intValue).orElse(deliveryCountLimit);
            if (delivery < deliveryCountLimit) {
                log.warn("Item {} failed {} times on delivery {} of {}, released for another delivery: {}",
                        item.id(), attempts, delivery, deliveryCountLimit, error.toString());
                listener.released(item.id(), record.partition(), record.offset(), delivery, deliveryCountLimit);
                meters.released().increment();
                finish(task, null, AcknowledgeType.RELEASE);
                return;
            }
            log.warn("Item {} failed {} times on its last delivery ({} of {}), goes to {}: {}", item.id(), attempts,
                    delivery, deliveryCountLimit, deadLetters.topic(), error.toString());
        } else {
            log.warn("Item {} failed {} times, goes to {}: {}", item.id(), attempts, deadLetters.topic(),
                    error.toString());
        }
        deadLetter(record, error);
        finish(task, RunClosure.OPEN, AcknowledgeType.REJECT);
    }

    /**
     * The run stopped before a taken item was done: a consumer group leaves it unfinished (its offset is not
     * committed, the next owner delivers it); a share group releases it to another member at once.
     */
    void stopped(Task task) {
        left(task);
    }

    /** True once per finished pill: the poll thread then checks whether the run is closed. */
    boolean takePillFinished() {
        if (!pillFinished) {
            return false;
        }
        pillFinished = false;
        return true;
    }

    /** Items processed (applied) so far. */
    long processed() {
        return meters.done().sum();
    }

    /** Records dead-lettered so far. */
    long deadLettered() {
        return deadLettered.sum();
    }

    private void left(Task task) {
        if (groupType == GroupType.SHARE) {
            task.done(null, AcknowledgeType.RELEASE); // a share group must answer for every record it holds
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, Exception error) {
        deadLetters.publish(record, error);
        deadLettered.increment();
        meters.deadLettered().increment();
        listener.deadLettered(record.topic(), record.partition(), record.offset(), deadLetters.topic(), error);
    }

    private void finish(Task task, String closureMetadata, AcknowledgeType acknowledgement) {
        task.done(closureMetadata, acknowledgement);
        after.finished(task);
    }
}
