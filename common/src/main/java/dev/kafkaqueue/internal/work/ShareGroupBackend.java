package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import dev.kafkaqueue.internal.lag.ShareGroups;
import dev.kafkaqueue.options.CommitMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine on a Kafka share group (KIP-932): any number of members take records from the same partitions, and
 * {@code taskDone()} is {@code acknowledge(record, ACCEPT)}. A failed item is {@code RELEASE}d for another delivery,
 * and {@code REJECT}ed once it is dead-lettered.
 *
 * <p>The share consumer is in {@code explicit} acknowledgement mode: every record of a poll must be acknowledged
 * before the next poll, so the poll thread waits for the batch's tasks ({@link #mayPoll()}) and acknowledges each
 * as it finishes. With {@code batch} commits the acknowledgements ride on the next poll's fetch, as Kafka's share
 * consumer sends them; a commit of their own ({@code commitSync}) is made only when the member would otherwise hold
 * them: a poll that returned nothing, a pill (the closure check reads the group's state), the end of the run, and at
 * least every commit interval while a batch is worked. {@code per-record} commits after each acknowledgement.
 *
 * <p>The run is closed when the group's lag is zero on every partition ({@code Admin.listShareGroupOffsets}) and every
 * partition's last record is a pill of a run this member works on: a pill reaches one member only, and this is how
 * the others, idle ones too, learn it from the broker.
 */
final class ShareGroupBackend implements Backend {

    private static final Logger log = LoggerFactory.getLogger(ShareGroupBackend.class);

    private final WorkOptions options;
    private final Function<Map<String, Object>, ShareConsumer<byte[], byte[]>> clients;
    private final RunClosure closure;
    private final LagReader lag;
    private final long startedAtMillis;
    private final Meters meters;
    private final ClientMetrics clientMetrics;
    private final Semaphore finished = new Semaphore(0);
    private final Map<TopicPartition, PartitionProgress> partitions = new HashMap<>();
    /** The last poll's tasks, each acknowledged once done. Poll thread only. */
    private final List<Task> batch = new ArrayList<>();
    private int acknowledged;
    private volatile boolean running = true;
    private volatile ShareConsumer<byte[], byte[]> kafka;
    private long nextCommitNanos;
    private int batchSize;
    private long recordLockNanos = Duration.ofSeconds(30).toNanos();
    private long polledAtNanos;
    private boolean warnedSlow;

    /**
     * @param clients makes the share consumer from its properties, on the poll thread
     * @param lag     reads the group's state for the closure check; borrowed
     */
    ShareGroupBackend(WorkOptions options, Function<Map<String, Object>, ShareConsumer<byte[], byte[]>> clients,
                      RunClosure closure, LagReader lag, long startedAtMillis, Meters meters,
                      ClientMetrics clientMetrics) {
        this.options = options;
        this.clients = clients;
        this.closure = closure;
        this.lag = lag;
        this.startedAtMillis = startedAtMillis;
        this.meters = meters;
        this.clientMetrics = clientMetrics;
    }

    /** A share group's members, as Kafka's {@code KafkaShareConsumer}. */
    static ShareGroupBackend create(WorkOptions options, RunClosure closure, LagReader lag, long startedAtMillis,
                                    Meters meters, ClientMetrics clientMetrics, int batch, Duration recordLock) {
        ShareGroupBackend backend = new ShareGroupBackend(options, KafkaShareConsumer::new, closure, lag,
                startedAtMillis, meters, clientMetrics);
        backend.batch(batch, recordLock);
        return backend;
    }

    /**
     * Records per poll ({@link ShareBatch}; 0 leaves {@code max.poll.records} as the client properties set it), and
     * the group's record lock, which a batch must be finished within.
     */
    void batch(int records, Duration recordLock) {
        this.batchSize = records;
        this.recordLockNanos = recordLock.toNanos();
    }

    @Override
    public void open(Dispatcher dispatcher) {
        Map<String, Object> props = consumerProperties(options);
        if (batchSize > 0) {
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batchSize);
        }
        ShareConsumer<byte[], byte[]> consumer = clients.apply(props);
        kafka = consumer;
        clientMetrics.bind(consumer);
        consumer.setAcknowledgementCommitCallback(this::acknowledged);
        consumer.subscribe(List.of(options.topic()));
        nextCommitNanos = System.nanoTime() + options.commit().interval().toNanos();
        if (!running) {
            consumer.wakeup(); // a stop that came before the consumer existed
        }
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        try {
            return kafka.poll(timeout);
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            return ConsumerRecords.empty(); // stop() woke the poll between batches: nothing in hand, nothing acquired
        }
    }

    @Override
    public void track(ConsumerRecords<byte[], byte[]> records, List<Task> tasks) {
        if (!records.isEmpty()) {
            polledAtNanos = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            Task task = new Task(record, partitions.computeIfAbsent(tp, p -> new PartitionProgress(p,
                    RunClosure.OPEN)));
            batch.add(task);
            tasks.add(task);
        }
    }

    @Override
    public void afterPoll(ConsumerRecords<byte[], byte[]> records) {
        if (records.isEmpty()) {
            commit(); // a poll that returned nothing: what the last one acknowledged is sent now
        }
    }

    @Override
    public boolean mayPoll() {
        return batch.isEmpty();
    }

    @Override
    public void awaitFinished(Duration timeout) {
        try {
            finished.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
            finished.drainPermits();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        acknowledgeFinished();
        warnIfSlow();
    }

    /**
     * Says once when a batch has been in hand for half the record lock: its last records may be delivered again to
     * another member before this one acknowledges them. The cure is fewer records per poll.
     */
    private void warnIfSlow() {
        if (warnedSlow || batch.isEmpty() || System.nanoTime() - polledAtNanos < recordLockNanos / 2) {
            return;
        }
        warnedSlow = true;
        log.warn("A batch of {} records has been in hand for over {} s, half of the group's {}: records not "
                        + "acknowledged within it are delivered again. Set max.poll.records lower for work this slow",
                batch.size(), recordLockNanos / 2_000_000_000L, ShareGroups.RECORD_LOCK_DURATION);
    }

    /** Acknowledges the batch's finished tasks, in order; commits when the mode or the interval says so. */
    private void acknowledgeFinished() {
        while (acknowledged < batch.size() && batch.get(acknowledged).isDone()) {
            Task task = batch.get(acknowledged++);
            kafka.acknowledge(task.record, task.acknowledgement);
            if (options.commit().mode() == CommitMode.PER_RECORD
                    || System.nanoTime() - nextCommitNanos >= 0) {
                commit();
            }
        }
        if (acknowledged == batch.size() && !batch.isEmpty()) {
            batch.clear();
            acknowledged = 0;
            if (!running) {
                commit();
            }
        }
    }

    @Override
    public boolean idle() {
        return batch.isEmpty();
    }

    @Override
    public boolean fetchedToEnd(boolean pollWasEmpty) {
        return false; // a share group has no position of its own to compare with the end
    }

    @Override
    public boolean runClosed() {
        commit();
        try {
            LagSnapshot snapshot = lag.snapshot(options.topic(), options.group());
            return snapshot.topicExists() && !snapshot.partitions().isEmpty() && snapshot.partitions().stream()
                    .allMatch(p -> closedByACountingPill(p));
        } catch (ExecutionException | TimeoutException e) {
            if (!KafkaErrors.isRetriable(e)) {
                throw new IllegalStateException("cannot read the share group's state: " + KafkaErrors.rootMessage(e),
                        e);
            }
            log.info("Cannot check the group's closures yet: {}", e.toString());
            return false; // broker trouble is not a verdict: ask again later
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean closedByACountingPill(PartitionLag partition) {
        return partition.done() && partition.closure() != null
                && (closure.sawRun(partition.closure().runId())
                        || partition.closure().producedAtMillis() >= startedAtMillis);
    }

    /** In a share group items in hand are unacknowledged records: they hold {@code get()} as they hold the lag. */
    @Override
    public boolean closedForGetters(HandOff handOff) {
        return runClosed();
    }

    @Override
    public void commitNow() {
        acknowledgeFinished();
        commit();
    }

    @Override
    public void commitBeforeLeaving() {
        commitNow();
    }

    /**
     * Lets the task in hand finish, acknowledges it, releases the batch's tasks no one started (another member
     * takes them at once, without waiting for the acquisition lock to expire), and commits.
     */
    @Override
    public void finishInHand(Dispatcher dispatcher) {
        dispatcher.stop();
        while (!dispatcher.awaitTermination(Engine.BUSY_POLL_TIMEOUT)) {
            acknowledgeFinished();
        }
        for (int i = acknowledged; i < batch.size(); i++) {
            Task task = batch.get(i);
            if (!task.isDone()) {
                task.done(null, AcknowledgeType.RELEASE);
            }
        }
        acknowledgeFinished();
        commit();
    }

    @Override
    public RecordHandler.AfterRecord afterRecord() {
        if (options.commit().mode() != CommitMode.PER_RECORD) {
            // The acknowledgements ride on the next poll, made once the batch is done: the workers' drained() wakes the
            // poll thread for that, once a batch, not once a record (a wake-up per record halved the rate).
            return task -> { };
        }
        return task -> finished.release();
    }

    @Override
    public void drained() {
        finished.release();
    }

    @Override
    public void nudge() {
        finished.release();
    }

    @Override
    public void stop() {
        running = false;
        finished.release();
        ShareConsumer<byte[], byte[]> current = kafka;
        if (current != null) {
            current.wakeup();
        }
    }

    @Override
    public boolean running() {
        return running;
    }

    @Override
    public void close() {
        if (kafka != null) {
            kafka.close(); // what is still acquired is released to the group
            kafka = null;
        }
    }

    /**
     * {@code task_done()}: sends the acknowledgements not yet sent and waits for the broker's answer, which
     * {@link #acknowledged} reports.
     */
    private void commit() {
        try {
            kafka.commitSync();
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            kafka.commitSync(); // stop() woke this call; the wakeup is spent and the commit must happen
        }
        nextCommitNanos = System.nanoTime() + options.commit().interval().toNanos();
    }

    /**
     * The broker's answer to acknowledgements, whether a poll carried them or {@link #commit} sent them; Kafka calls
     * it on this thread, within {@code poll} and {@code commitSync}.
     */
    private void acknowledged(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
        meters.commits().increment();
        if (error != null) {
            // Typically the acquisition lock expired first: the broker delivers the records again, and the applied
            // log skips the ones that were applied. Nothing is lost.
            log.warn("Acknowledgements of {} not accepted, their records will be delivered again: {}", offsets,
                    error.toString());
        }
    }

    /** The share consumer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> consumerProperties(WorkOptions options) {
        Map<String, Object> props = options.client().clientProperties();
        ClientConfig.putOwned(props, ConsumerConfig.GROUP_ID_CONFIG, options.group());
        // taskDone() is an acknowledgement made after processing, one record at a time, never implied by a poll.
        ClientConfig.putOwned(props, ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // Raw bytes: an unreadable record reaches the dead-letter topic exactly as it was written.
        ClientConfig.putOwned(props, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        ClientConfig.putOwned(props, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        // The producer creates the topic with its partition count; a consumer must not create it first.
        ClientConfig.putOwned(props, ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // The default batch_optimized mode may acquire more than max.poll.records; record_limit honours it (KIP-1206).
        props.putIfAbsent(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        // A member holding records it has not started keeps them from idle members: one per poll, unless the engine
        // sizes its batches from the backlog when it starts (ShareBatch).
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG,
                "kafka-queue-share-consumer-" + ProcessHandle.current().pid());
        return props;
    }
}
