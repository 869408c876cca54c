package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.QueueMessage;
import dev.kafkaqueue.queue.RecordCodec;
import dev.kafkaqueue.queue.UnreadableRecordException;
import dev.kafkaqueue.service.ItemLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a worker does with one record between {@code get()} and {@code task_done()}: reads it, applies an item (once,
 * thanks to the dedup window, with retries), notes a pill's closure, dead-letters what cannot be read or processed,
 * and marks the task done. Runs on worker threads; everything it shares is thread-safe.
 */
final class RecordHandler implements WorkPool.Handler {

    private static final Logger log = LoggerFactory.getLogger(RecordHandler.class);

    /**
     * The meters a consumer moves per record, consumer group or share group. {@code done} is the one count of items
     * processed and applied: the meter reads it, and so does the consumer's own summary.
     */
    record Meters(LongAdder done, Counter skipped, Counter deadLettered, ProcessingTime processing) {
        static Meters register(MeterRegistry registry) {
            LongAdder done = new LongAdder();
            FunctionCounter.builder("queue.items.done", done, LongAdder::sum)
                    .description("Items processed and applied (task_done)").register(registry);
            return new Meters(
                    done,
                    Counter.builder("queue.items.skipped")
                            .description("Redelivered items not applied again").register(registry),
                    Counter.builder("queue.items.dead.lettered")
                            .description("Records written to the dead-letter topic").register(registry),
                    ProcessingTime.register(registry));
        }
    }

    private final RecordCodec codec = new RecordCodec();
    private final RunClosure closure;
    private final DedupWindow dedup;
    private final Retrying retrying;
    private final DeadLetters deadLetters;
    private final ItemLog items;
    private final Meters meters;
    private final long count;
    private final AtomicLong claimed = new AtomicLong();
    private final LongAdder deadLettered = new LongAdder();
    private volatile boolean pillFinished;
    /** Per-record mode: called after each record, before its commit is awaited. */
    private final AfterRecord after;

    /** What happens after each finished record; for {@code per-record} commits. */
    interface AfterRecord {
        void finished(Task task);
    }

    RecordHandler(RunClosure closure, DedupWindow dedup, Retrying retrying, DeadLetters deadLetters, ItemLog items,
                  Meters meters, long count, AfterRecord after) {
        this.closure = closure;
        this.dedup = dedup;
        this.retrying = retrying;
        this.deadLetters = deadLetters;
        this.items = items;
        this.meters = meters;
        this.count = count;
        this.after = after;
    }

    @Override
    public void handle(Task task) {
        ConsumerRecord<byte[], byte[]> record = task.record;
        TopicPartition tp = task.partition.topicPartition();
        QueueMessage message;
        try {
            message = codec.decode(record.value());
        } catch (UnreadableRecordException e) {
            log.warn("Unreadable record {}-{}@{} goes to {}: {}", record.topic(), record.partition(), record.offset(),
                    deadLetters.topic(), e.getMessage());
            deadLetter(record, e);
            finish(task, null);
            return;
        }
        if (message instanceof QueueMessage.PoisonPill pill) {
            boolean closed = closure.pill(tp, pill, record.offset());
            System.out.println((closed ? "Poison pill" : "Duplicate poison pill (ignored)") + " on partition "
                    + record.partition() + " (offset " + record.offset() + ")");
            finish(task, closed ? closure.metadata(tp) : null);
            pillFinished = true;
        } else if (message instanceof QueueMessage.Item item) {
            closure.item(tp, item, record.offset());
            if (count > 0 && claimed.incrementAndGet() > count) {
                return; // --count reached by other items: left unfinished, delivered again to the next consumer
            }
            if (apply(item, record)) {
                finish(task, RunClosure.OPEN);
            }
        }
    }

    /** Items processed (applied) so far. */
    long processed() {
        return meters.done().sum();
    }

    long deadLettered() {
        return deadLettered.sum();
    }

    /** True once per finished pill: the poll thread then checks whether the run is closed. */
    boolean takePillFinished() {
        if (!pillFinished) {
            return false;
        }
        pillFinished = false;
        return true;
    }

    /** Applies the item; false when the run stopped before it was done (it stays unfinished). */
    private boolean apply(QueueMessage.Item item, ConsumerRecord<byte[], byte[]> record) {
        if (dedup.contains(item.runId(), item.id())) {
            System.out.println("Skipped " + item.id() + " (partition " + record.partition() + ", offset "
                    + record.offset() + "): already applied");
            meters.skipped().increment();
            return true;
        }
        long started = System.nanoTime();
        Exception failure = retrying.process(item);
        long ended = System.nanoTime();
        meters.processing().record(ended - started);
        if (failure == Retrying.STOPPED) {
            return false;
        }
        if (failure != null) {
            log.warn("Item {} failed {} times, goes to {}: {}", item.id(), retrying.attempts(), deadLetters.topic(),
                    failure.toString());
            deadLetter(record, failure);
            return true;
        }
        dedup.add(item.runId(), item.id());
        meters.done().increment();
        if (items.next(ended)) {
            System.out.println("Consumed " + item.id() + " (partition " + record.partition() + ", offset "
                    + record.offset() + ")");
        }
        return true;
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, Exception error) {
        deadLetters.publish(record, error);
        deadLettered.increment();
        meters.deadLettered().increment();
        System.out.println("Dead-lettered " + record.topic() + "-" + record.partition() + "@" + record.offset()
                + " to " + deadLetters.topic() + ": " + error.getMessage());
    }

    private void finish(Task task, String closureMetadata) {
        task.done(closureMetadata);
        after.finished(task);
    }
}
