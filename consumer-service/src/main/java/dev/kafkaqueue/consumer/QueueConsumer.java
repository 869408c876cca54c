package dev.kafkaqueue.consumer;

import dev.kafkaqueue.common.ClientConfig;
import dev.kafkaqueue.common.ExitCode;
import dev.kafkaqueue.common.ItemLog;
import dev.kafkaqueue.common.QueueMessage;
import dev.kafkaqueue.common.RecordCodec;
import dev.kafkaqueue.common.ServiceMetrics;
import dev.kafkaqueue.common.Topics;
import dev.kafkaqueue.common.UnreadableRecordException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of the queue: {@code get()} is a poll, {@code task_done()} is an offset commit made after
 * processing. Ends when every partition of the topic is closed by a poison pill, after {@code --count} items, or
 * when {@link #stop()} is called (SIGTERM): it then finishes the record in hand, commits it and leaves the group.
 *
 * <p>A record that cannot be read, or whose processing still fails after the retries, goes to the dead-letter topic
 * and its offset is committed: the partition keeps flowing. If the dead-letter write fails, the offset is not
 * committed and the consumer stops with exit code 1.
 *
 * <p>The thread that calls {@link #run()} owns the Kafka consumer; {@link #stop()} is the only method other threads
 * may call.
 */
final class QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(QueueConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    /** Idle consumers look at the group's closures at most this often: two small requests, never per record. */
    private static final Duration CLOSURE_CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final String STOPPED_BY_SIGNAL = "stopped by signal";

    private final ConsumerSettings settings;
    private final ItemProcessor processor;
    private final AppliedLog applied;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final Supplier<DeadLetters> deadLetters;
    private final ServiceMetrics metrics;
    private final Counter doneCounter;
    private final Counter skippedCounter;
    private final Counter deadLetteredCounter;
    private final Counter commitCounter;
    private final Timer processingTimer;
    private final RecordCodec codec = new RecordCodec();
    private final RunClosure closure = new RunClosure(System.currentTimeMillis());
    private final ItemLog items;
    /** Offsets of processed records not yet committed: what the next {@code task_done()} covers. */
    private final Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
    private volatile boolean running = true;
    private volatile Consumer<byte[], byte[]> consumer;
    private long itemsProcessed;
    private long deadLettered;
    private boolean reportedEmpty;

    /**
     * @param settings    the parsed settings
     * @param processor   the work done per item
     * @param applied     what was already applied, for idempotence
     * @param consumers   creates the Kafka consumer, on the thread that calls {@link #run()}
     * @param deadLetters creates the dead-letter writer, likewise
     * @param metrics     where the queue's and the Kafka client's meters go
     */
    QueueConsumer(ConsumerSettings settings, ItemProcessor processor, AppliedLog applied,
                  Supplier<Consumer<byte[], byte[]>> consumers, Supplier<DeadLetters> deadLetters,
                  ServiceMetrics metrics) {
        this.settings = settings;
        this.processor = processor;
        this.applied = applied;
        this.consumers = consumers;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        MeterRegistry registry = metrics.registry();
        this.doneCounter = Counter.builder("queue.items.done")
                .description("Items processed and applied (task_done)").register(registry);
        this.skippedCounter = Counter.builder("queue.items.skipped")
                .description("Redelivered items not applied again").register(registry);
        this.deadLetteredCounter = Counter.builder("queue.items.dead.lettered")
                .description("Records written to the dead-letter topic").register(registry);
        this.commitCounter = Counter.builder("queue.commits")
                .description("Offset commits (task_done calls)").register(registry);
        this.processingTimer = Timer.builder("queue.item.processing")
                .description("Time spent processing one item, retries included").register(registry);
        this.items = new ItemLog(settings.itemLog(), "Consumed", System.out, Duration.ofSeconds(5));
    }

    /** A consumer of the cluster the settings name. */
    static QueueConsumer create(ConsumerSettings settings, ItemProcessor processor, AppliedLog applied,
                                ServiceMetrics metrics) {
        return new QueueConsumer(settings, processor, applied,
                () -> new KafkaConsumer<>(consumerProperties(settings)),
                () -> DeadLetters.create(settings.client(), settings.deadLetterTopic(), settings.connectTimeout()),
                metrics);
    }

    /** Asks the poll loop to stop after the record in hand. Safe to call from any thread. */
    void stop() {
        running = false;
        metrics.unhealthy();
        Consumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    /** Polls and processes until the run ends; returns the process exit code. */
    int run() {
        try (Consumer<byte[], byte[]> kafka = consumers.get(); DeadLetters writer = deadLetters.get()) {
            consumer = kafka;
            metrics.bind(kafka);
            kafka.subscribe(List.of(settings.topic()), new CommitOnRevoke());
            String reason;
            try {
                reason = loop(writer);
            } finally {
                commitProcessed(); // whatever ended the loop, what was processed is done
            }
            items.finish();
            System.out.println("Consumer done: " + ItemLog.items(itemsProcessed) + " processed, " + deadLettered
                    + " dead-lettered (" + reason + ")");
            return ExitCode.OK;
        } catch (DeadLetters.DeadLetterException e) {
            metrics.unhealthy();
            log.error("Stopping without committing the record: {}", e.getMessage());
            System.out.println("Consumer failed: " + e.getMessage());
            return ExitCode.FAILURE;
        } finally {
            consumer = null;
        }
    }

    private String loop(DeadLetters writer) {
        try {
            return pollUntilDone(writer);
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            // stop() woke a blocking call between records (the poll, or a closure check): nothing in hand.
            return STOPPED_BY_SIGNAL;
        }
    }

    private String pollUntilDone(DeadLetters writer) {
        long nextClosureCheck = System.nanoTime();
        while (running) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
            boolean closedSome = false;
            boolean wholeBatch = true;
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (!running || countReached()) {
                    wholeBatch = false;
                    break;
                }
                closedSome |= handle(record, writer);
            }
            if (wholeBatch) {
                // The next positions also step over transaction markers, which offset + 1 would not.
                records.nextOffsets().forEach((tp, next) -> processed.put(tp,
                        new OffsetAndMetadata(next.offset(), next.leaderEpoch(), closure.metadata(tp))));
            }
            commitProcessed();
            if (countReached()) {
                return "count reached";
            }
            if (!running) {
                break;
            }
            reportEmpty(records.isEmpty());
            if (closedSome || (records.isEmpty() && System.nanoTime() - nextClosureCheck >= 0)) {
                nextClosureCheck = System.nanoTime() + CLOSURE_CHECK_INTERVAL.toNanos();
                if (runClosed()) {
                    return "all partitions closed by poison pills";
                }
            }
        }
        return STOPPED_BY_SIGNAL;
    }

    /** Processes one record; returns true when it was a pill that closed its partition. */
    private boolean handle(ConsumerRecord<byte[], byte[]> record, DeadLetters writer) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        boolean closed = false;
        QueueMessage message = null;
        try {
            message = codec.decode(record.value());
        } catch (UnreadableRecordException e) {
            log.warn("Unreadable record {}-{}@{} goes to {}: {}", record.topic(), record.partition(), record.offset(),
                    writer.topic(), e.getMessage());
            deadLetter(writer, record, e);
        }
        if (message instanceof QueueMessage.PoisonPill pill) {
            closed = closure.pill(tp, pill);
            System.out.println((closed ? "Poison pill" : "Duplicate poison pill (ignored)") + " on partition "
                    + record.partition() + " (offset " + record.offset() + ")");
        } else if (message instanceof QueueMessage.Item item) {
            closure.item(tp, item);
            apply(item, record, writer);
        }
        processed.put(tp, new OffsetAndMetadata(record.offset() + 1, record.leaderEpoch(), closure.metadata(tp)));
        if (settings.commitMode() == CommitMode.PER_RECORD) {
            commitProcessed();
        }
        return closed;
    }

    private void apply(QueueMessage.Item item, ConsumerRecord<byte[], byte[]> record, DeadLetters writer) {
        String where = " (partition " + record.partition() + ", offset " + record.offset() + ")";
        if (applied.contains(item.dedupKey())) {
            System.out.println("Skipped " + item.id() + where + ": already applied");
            skippedCounter.increment();
            return;
        }
        long started = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                processor.process(item);
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while processing item " + item.id(), e);
            } catch (Exception e) {
                if (attempt > settings.maxRetries()) {
                    log.warn("Item {} failed {} times, goes to {}: {}", item.id(), attempt, writer.topic(),
                            e.toString());
                    deadLetter(writer, record, e);
                    processingTimer.record(Duration.ofNanos(System.nanoTime() - started));
                    return;
                }
                Duration backoff = backoff(attempt);
                log.warn("Item {} failed (attempt {} of {}), retrying in {} ms: {}", item.id(), attempt,
                        settings.maxRetries() + 1, backoff.toMillis(), e.toString());
                sleep(backoff);
            }
        }
        processingTimer.record(Duration.ofNanos(System.nanoTime() - started));
        applied.add(item.dedupKey());
        itemsProcessed++;
        doneCounter.increment();
        items.item("Consumed " + item.id() + where);
    }

    private void deadLetter(DeadLetters writer, ConsumerRecord<byte[], byte[]> record, Exception error) {
        writer.publish(record, error);
        deadLettered++;
        deadLetteredCounter.increment();
        System.out.println("Dead-lettered " + record.topic() + "-" + record.partition() + "@" + record.offset()
                + " to " + writer.topic() + ": " + error.getMessage());
    }

    private Duration backoff(int attempt) {
        long millis = settings.retryBackoff().toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    private static void sleep(Duration duration) {
        try {
            TimeUnit.MILLISECONDS.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during retry backoff", e);
        }
    }

    private boolean countReached() {
        return settings.count() > 0 && itemsProcessed >= settings.count();
    }

    /** {@code task_done()} for everything processed so far, unless commits are off. */
    private void commitProcessed() {
        if (processed.isEmpty()) {
            return;
        }
        if (settings.commitMode() == CommitMode.NONE) {
            processed.clear();
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf(processed);
        try {
            commitSync(offsets);
        } catch (RetriableException e) {
            // The broker is slow or away: keep the offsets, the next commit carries them.
            log.warn("Commit of {} failed, will retry with the next one: {}", offsets.keySet(), e.toString());
            return;
        } catch (CommitFailedException e) {
            // The group rebalanced and these partitions moved: their new owner redelivers; nothing is lost.
            log.warn("Commit rejected after a rebalance; the new owner redelivers: {}", e.getMessage());
            processed.keySet().removeAll(offsets.keySet());
            return;
        }
        commitCounter.increment();
        processed.keySet().removeAll(offsets.keySet());
    }

    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            consumer.commitSync(offsets);
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            consumer.commitSync(offsets); // stop() woke this call; the wakeup is spent and the commit must happen
        }
    }

    /** Prints "Queue empty" once each time everything assigned has been fetched: queue.empty(), not join(). */
    private void reportEmpty(boolean pollWasEmpty) {
        if (!pollWasEmpty) {
            reportedEmpty = false;
            return;
        }
        Set<TopicPartition> assignment = consumer.assignment();
        if (reportedEmpty || assignment.isEmpty()) {
            return;
        }
        boolean empty = assignment.stream().map(consumer::currentLag)
                .allMatch(lag -> lag.isPresent() && lag.getAsLong() == 0);
        if (empty) {
            reportedEmpty = true;
            System.out.println("Queue empty: every assigned partition fetched to its end");
        }
    }

    /** True when the work this consumer could still receive is done: every partition is closed by a pill. */
    private boolean runClosed() {
        if (settings.commitMode() == CommitMode.NONE) {
            // Without commits the group cannot share closures: only what this consumer read counts.
            return closure.closedLocally(consumer.assignment());
        }
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(settings.topic(), settings.connectTimeout());
            if (infos == null || infos.isEmpty()) {
                return false;
            }
            Set<TopicPartition> all = infos.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition()))
                    .collect(Collectors.toSet());
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all, settings.connectTimeout());
            Map<TopicPartition, Long> ends = consumer.endOffsets(all, settings.connectTimeout());
            return all.stream().allMatch(tp -> {
                OffsetAndMetadata offset = committed.get(tp);
                return closure.closes(offset) && offset.offset() >= ends.get(tp);
            });
        } catch (RetriableException e) {
            log.info("Cannot check the group's closures yet: {}", e.toString());
            return false; // broker trouble is not a verdict: ask again later
        }
    }

    /** Commits what was processed before partitions move to another member; learns closures of new ones. */
    private final class CommitOnRevoke implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitProcessed();
            closure.revoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                try {
                    closure.assigned(consumer.committed(new HashSet<>(partitions), settings.connectTimeout()));
                } catch (RetriableException e) {
                    // Without them these partitions count as open: the consumer waits for their pills instead.
                    log.warn("Cannot read the closures of {}: {}", partitions, e.toString());
                }
            }
            log.info("Assigned {}", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            processed.keySet().removeAll(partitions); // another member owns them now: its commits count
            closure.revoked(partitions);
        }
    }

    /** The consumer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> consumerProperties(ConsumerSettings settings) {
        Map<String, Object> props = settings.client().clientProperties();
        ClientConfig.putOwned(props, ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        // task_done() is an explicit commit after processing, never a timer.
        ClientConfig.putOwned(props, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Raw bytes: an unreadable record reaches the dead-letter topic exactly as it was written.
        ClientConfig.putOwned(props, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        ClientConfig.putOwned(props, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        // Items of an aborted transaction were never put.
        ClientConfig.putOwned(props, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // The producer creates the topic with its partition count; a consumer must not create it first.
        ClientConfig.putOwned(props, ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // A new group starts with the first item ever put, as a queue would.
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-queue-consumer-" + ProcessHandle.current().pid());
        return props;
    }
}
