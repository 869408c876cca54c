package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.QueueMessage;
import dev.kafkaqueue.queue.RecordCodec;
import dev.kafkaqueue.queue.UnreadableRecordException;
import dev.kafkaqueue.service.ItemLog;
import io.micrometer.core.instrument.Counter;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a share-group member does with one record between {@code get()} and {@code task_done()}: reads it, applies an
 * item once (dedup window, retries), and says how to acknowledge it. ACCEPT when done; RELEASE while a failing item
 * still has deliveries left; REJECT after dead-lettering an unreadable record or an item's last failed delivery.
 * The poll thread's, like the share consumer.
 */
final class ShareRecordHandler {

    private static final Logger log = LoggerFactory.getLogger(ShareRecordHandler.class);

    private final RecordCodec codec = new RecordCodec();
    private final DedupWindow dedup;
    private final Retrying retrying;
    private final ItemLog items;
    private final RecordHandler.Meters meters;
    private final Counter releasedCounter;
    private final int deliveryCountLimit;
    /** Runs this member read a record of: their pills end it even if they were put before it started. */
    private final Set<String> seenRuns = new HashSet<>();
    private long itemsProcessed;
    private long deadLettered;
    private long pills;

    /** @param deliveryCountLimit the group's {@code share.delivery.count.limit} */
    ShareRecordHandler(DedupWindow dedup, Retrying retrying, ItemLog items, RecordHandler.Meters meters,
                       Counter releasedCounter, int deliveryCountLimit) {
        this.dedup = dedup;
        this.retrying = retrying;
        this.items = items;
        this.meters = meters;
        this.releasedCounter = releasedCounter;
        this.deliveryCountLimit = deliveryCountLimit;
    }

    long processed() {
        return itemsProcessed;
    }

    long deadLettered() {
        return deadLettered;
    }

    /** Pills read so far. */
    long pills() {
        return pills;
    }

    /** True when this member read a record of the run. */
    boolean sawRun(String runId) {
        return seenRuns.contains(runId);
    }

    /** Processes one record; returns how to acknowledge it. */
    AcknowledgeType handle(ConsumerRecord<byte[], byte[]> record, DeadLetters writer) {
        QueueMessage message;
        try {
            message = codec.decode(record.value());
        } catch (UnreadableRecordException e) {
            log.warn("Unreadable record {}-{}@{} goes to {}: {}", record.topic(), record.partition(), record.offset(),
                    writer.topic(), e.getMessage());
            deadLetter(writer, record, e);
            return AcknowledgeType.REJECT;
        }
        if (message instanceof QueueMessage.PoisonPill pill) {
            seenRuns.add(pill.runId());
            pills++;
            System.out.println("Poison pill on partition " + record.partition() + " (offset " + record.offset() + ")");
            return AcknowledgeType.ACCEPT;
        }
        QueueMessage.Item item = (QueueMessage.Item) message;
        seenRuns.add(item.runId());
        return apply(item, record, writer);
    }

    /** Applies the item, retrying as a consumer group does; returns how to acknowledge the record. */
    private AcknowledgeType apply(QueueMessage.Item item, ConsumerRecord<byte[], byte[]> record, DeadLetters writer) {
        if (dedup.contains(item.runId(), item.id())) {
            System.out.println("Skipped " + item.id() + where(record) + ": already applied");
            meters.skipped().increment();
            return AcknowledgeType.ACCEPT;
        }
        long started = System.nanoTime();
        Exception failure = retrying.process(item);
        long ended = System.nanoTime();
        meters.processing().record(ended - started);
        if (failure == Retrying.STOPPED) {
            return AcknowledgeType.RELEASE; // stopping: another member takes it at once
        }
        if (failure != null) {
            return afterRetries(item, record, writer, failure, retrying.attempts());
        }
        dedup.add(item.runId(), item.id());
        itemsProcessed++;
        meters.done().increment();
        if (items.next(ended)) {
            System.out.println("Consumed " + item.id() + where(record));
        }
        return AcknowledgeType.ACCEPT;
    }

    /** RELEASE while the broker will deliver the record again; at the last delivery, dead-letter and REJECT. */
    private AcknowledgeType afterRetries(QueueMessage.Item item, ConsumerRecord<byte[], byte[]> record,
                                         DeadLetters writer, Exception error, int attempts) {
        int delivery = record.deliveryCount().map(Short::intValue).orElse(deliveryCountLimit);
        if (delivery < deliveryCountLimit) {
            log.warn("Item {} failed {} times on delivery {} of {}, released for another delivery: {}", item.id(),
                    attempts, delivery, deliveryCountLimit, error.toString());
            System.out.println("Released " + item.id() + " (partition " + record.partition() + ", offset "
                    + record.offset() + "): delivery " + delivery + " of " + deliveryCountLimit + " failed");
            releasedCounter.increment();
            return AcknowledgeType.RELEASE;
        }
        log.warn("Item {} failed {} times on its last delivery ({} of {}), goes to {}: {}", item.id(), attempts,
                delivery, deliveryCountLimit, writer.topic(), error.toString());
        deadLetter(writer, record, error);
        return AcknowledgeType.REJECT;
    }

    private static String where(ConsumerRecord<byte[], byte[]> record) {
        return " (partition " + record.partition() + ", offset " + record.offset() + ")";
    }

    private void deadLetter(DeadLetters writer, ConsumerRecord<byte[], byte[]> record, Exception error) {
        writer.publish(record, error);
        deadLettered++;
        meters.deadLettered().increment();
        System.out.println("Dead-lettered " + record.topic() + "-" + record.partition() + "@" + record.offset()
                + " to " + writer.topic() + ": " + error.getMessage());
    }
}
