package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.InvalidSettingException;
import dev.kafkaqueue.queue.KafkaErrors;
import dev.kafkaqueue.queue.PartitionTail;
import dev.kafkaqueue.queue.ShareGroups;
import dev.kafkaqueue.queue.ShareLagReader;
import dev.kafkaqueue.queue.Words;
import dev.kafkaqueue.service.ItemLog;
import dev.kafkaqueue.service.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of the queue on a Kafka share group ({@code --group-type share}): {@code get()} is a poll, and
 * {@code task_done()} is {@code acknowledge(record, ACCEPT)}, sent to the broker with the next poll or a commit (see
 * {@link #pollUntilDone}). Any number of members may work the same partition.
 *
 * <ul>
 *   <li>A processing failure is retried with backoff as in a consumer group; then the record is {@code RELEASE}d for
 *       another delivery while its delivery count is below the group's {@code share.delivery.count.limit}; at the
 *       last delivery it goes to the dead-letter topic and is {@code REJECT}ed.</li>
 *   <li>An unreadable record goes to the dead-letter topic, then is {@code REJECT}ed: it was not processed, and the
 *       broker's record state says so; it is as final as {@code ACCEPT}, so lag still reaches zero.</li>
 *   <li>If a dead-letter write fails, the record is not acknowledged: closing releases it, and the consumer exits
 *       1.</li>
 *   <li>It ends when the group's lag is zero on every partition ({@code Admin.listShareGroupOffsets}) and every
 *       partition's last record is a pill of this consumer's run (read with {@link PartitionTail}): a pill reaches
 *       one member only, and this is how the others, idle ones too, learn it from the broker.</li>
 * </ul>
 *
 * <p>Before its first poll it sets the group config {@code share.auto.offset.reset=earliest}: a share group starts
 * at the latest offset by default and would skip items put before it. The thread that calls {@link #run()} owns the
 * Kafka clients; {@link #stop()} is the only method other threads may call: the record in hand is finished,
 * acknowledged and committed, the rest of the batch is released, and the consumer closes.
 */
final class ShareQueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(ShareQueueConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    /** Idle members look at the group's closures at most this often: a few admin requests, never per record. */
    private static final Duration CLOSURE_CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final String STOPPED_BY_SIGNAL = "stopped by signal";

    private final ConsumerSettings settings;
    private final ItemProcessor processor;
    private final DedupWindow dedup;
    private final Supplier<ShareConsumer<byte[], byte[]>> consumers;
    private final Supplier<DeadLetters> deadLetters;
    private final Supplier<Admin> admins;
    private final ServiceMetrics metrics;
    private final RecordHandler.Meters meters;
    private final Counter releasedCounter;
    private final Counter commitCounter;
    private final Retrying retrying;
    private final ItemLog items;
    private final long startedAtMillis = System.currentTimeMillis();
    private volatile boolean running = true;
    private volatile ShareConsumer<byte[], byte[]> consumer;
    private ShareRecordHandler handler;
    /** With {@code --commit batch}, when the acknowledgements riding on polls are committed at the latest. */
    private long nextCommitNanos;

    /**
     * @param settings    the parsed settings; {@link #check(ConsumerSettings)} must accept them
     * @param processor   the work done per item
     * @param dedup       what was already applied, for idempotence
     * @param consumers   creates the share consumer, on the thread that calls {@link #run()}
     * @param deadLetters creates the dead-letter writer, likewise
     * @param admins      creates the admin client for the group config and the closure checks, likewise
     * @param metrics     where the queue's meters go
     */
    ShareQueueConsumer(ConsumerSettings settings, ItemProcessor processor, DedupWindow dedup,
                       Supplier<ShareConsumer<byte[], byte[]>> consumers, Supplier<DeadLetters> deadLetters,
                       Supplier<Admin> admins, ServiceMetrics metrics) {
        check(settings);
        this.settings = settings;
        this.processor = processor;
        this.dedup = dedup;
        this.consumers = consumers;
        this.deadLetters = deadLetters;
        this.admins = admins;
        this.metrics = metrics;
        MeterRegistry registry = metrics.registry();
        this.meters = RecordHandler.Meters.register(registry);
        this.releasedCounter = Counter.builder("queue.items.released")
                .description("Failed items released to the share group for another delivery").register(registry);
        this.commitCounter = Counter.builder("queue.commits")
                .description("Acknowledgement batches the broker answered (task_done)").register(registry);
        this.items = new ItemLog(settings.itemLog(), "Consumed", System.out, Duration.ofSeconds(5));
        this.retrying = new Retrying(processor, settings.maxRetries(), settings.retryBackoff());
    }

    /** A share-group member of the cluster the settings name. */
    static ShareQueueConsumer create(ConsumerSettings settings, ItemProcessor processor, DedupWindow dedup,
                                     ServiceMetrics metrics) {
        return new ShareQueueConsumer(settings, processor, dedup,
                () -> new KafkaShareConsumer<>(consumerProperties(settings)),
                () -> DeadLetters.create(settings.client(), settings.deadLetterTopic(), settings.connectTimeout()),
                () -> Admin.create(settings.client().clientProperties()),
                metrics);
    }

    /**
     * Checks the settings a share group cannot honour, before the cluster is contacted.
     *
     * @throws InvalidSettingException naming the flag and what is allowed
     */
    static void check(ConsumerSettings settings) {
        if (settings.commitMode() == CommitMode.NONE) {
            throw new InvalidSettingException("--commit none is not allowed with --group-type share: a share "
                    + "consumer must acknowledge every record before its next poll; use batch or per-record");
        }
        if (settings.concurrency() > 1) {
            throw new InvalidSettingException("--concurrency=" + settings.concurrency() + " is not allowed with "
                    + "--group-type share: a share consumer works one item at a time; run more share consumers");
        }
    }

    /** Asks the poll loop to stop after the record in hand. Safe to call from any thread. */
    void stop() {
        running = false;
        metrics.unhealthy();
        retrying.stop(); // a retry backoff ends at once; that item is released to the group
        ShareConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    /** Polls and processes until the run ends; returns the process exit code. */
    int run() throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = admins.get();
             PartitionTail tail = new PartitionTail(settings.client(), settings.connectTimeout())) {
            ShareGroups.startAtEarliest(admin, settings.group(), settings.connectTimeout());
            handler = new ShareRecordHandler(dedup, retrying, items, meters, releasedCounter,
                    ShareGroups.deliveryCountLimit(admin, settings.group(), settings.connectTimeout()));
            ShareLagReader closures = new ShareLagReader(admin, tail, settings.connectTimeout());
            try (ShareConsumer<byte[], byte[]> kafka = consumers.get(); DeadLetters writer = deadLetters.get()) {
                consumer = kafka;
                kafka.setAcknowledgementCommitCallback(this::acknowledged);
                kafka.subscribe(List.of(settings.topic()));
                String reason = loop(writer, closures);
                items.finish();
                System.out.println("Consumer done: " + Words.items(handler.processed()) + " processed, "
                        + handler.deadLettered()
                        + " dead-lettered (" + reason + ")");
                return ExitCode.OK;
            } catch (DeadLetters.DeadLetterException e) {
                // The record stays unacknowledged: closing the consumer releases it to the group.
                metrics.unhealthy();
                log.error("Stopping without acknowledging the record: {}", e.getMessage());
                System.out.println("Consumer failed: " + e.getMessage());
                return ExitCode.FAILURE;
            } finally {
                consumer = null;
            }
        }
    }

    private String loop(DeadLetters writer, ShareLagReader closures) {
        try {
            return pollUntilDone(writer, closures);
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            // stop() woke the poll between batches: nothing in hand, nothing acquired. The last batch's
            // acknowledgements may still wait for a poll that will not come: they go now (the wakeup is spent).
            commit();
            return STOPPED_BY_SIGNAL;
        }
    }

    /**
     * With {@code --commit batch} the acknowledgements of a poll's records ride on the next poll's fetch, as Kafka's
     * share consumer sends them: that poll follows at once, so a record is acknowledged as soon as the one after it is
     * asked for. A commit of their own ({@code commitSync}) is made only when the member would otherwise hold them: a
     * poll that returned nothing, a pill (the closure check reads the group's state), the end of the run, and at least
     * every {@code --commit-interval} while a poll's records are worked: no broker round trip of its own per record.
     */
    private String pollUntilDone(DeadLetters writer, ShareLagReader closures) {
        long nextClosureCheck = System.nanoTime();
        nextCommitNanos = System.nanoTime() + settings.commitInterval().toNanos();
        while (running) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
            boolean sawPill = false;
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (!running || countReached()) {
                    // Not started: back to the group at once, without waiting for the acquisition lock to expire.
                    consumer.acknowledge(record, AcknowledgeType.RELEASE);
                    continue;
                }
                long pillsBefore = handler.pills();
                consumer.acknowledge(record, handler.handle(record, writer));
                sawPill |= handler.pills() > pillsBefore;
                if (settings.commitMode() == CommitMode.PER_RECORD || System.nanoTime() - nextCommitNanos >= 0) {
                    commit();
                }
            }
            if (records.isEmpty() || sawPill || !running || countReached()) {
                commit();
            }
            if (countReached()) {
                return "count reached";
            }
            if (!running) {
                break;
            }
            if (sawPill || (records.isEmpty() && System.nanoTime() - nextClosureCheck >= 0)) {
                nextClosureCheck = System.nanoTime() + CLOSURE_CHECK_INTERVAL.toNanos();
                if (runClosed(closures)) {
                    return "all partitions closed by poison pills";
                }
            }
        }
        return STOPPED_BY_SIGNAL;
    }

    /**
     * {@code task_done()}: sends the acknowledgements not yet sent and waits for the broker's answer, which
     * {@link #acknowledged} reports.
     */
    private void commit() {
        try {
            consumer.commitSync();
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            consumer.commitSync(); // stop() woke this call; the wakeup is spent and the commit must happen
        }
        nextCommitNanos = System.nanoTime() + settings.commitInterval().toNanos();
    }

    /**
     * The broker's answer to acknowledgements, whether a poll carried them or {@link #commit} sent them; Kafka calls
     * it on this thread, within {@code poll} and {@code commitSync}.
     */
    private void acknowledged(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
        commitCounter.increment();
        if (error != null) {
            // Typically the acquisition lock expired first: the broker delivers the records again, and the applied
            // log skips the ones that were applied. Nothing is lost.
            log.warn("Acknowledgements of {} not accepted, their records will be delivered again: {}", offsets,
                    error.toString());
        }
    }

    /** True when every partition has lag zero and ends with a pill of a run this member works on. */
    private boolean runClosed(ShareLagReader closures) {
        try {
            return closures.closures(settings.topic(), settings.group()).allClosed(pill ->
                    handler.sawRun(pill.runId()) || pill.producedAt().toEpochMilli() >= startedAtMillis);
        } catch (ExecutionException | TimeoutException e) {
            if (!KafkaErrors.isRetriable(e)) {
                throw new IllegalStateException("cannot read the share group's state: "
                        + KafkaErrors.rootMessage(e), e);
            }
            log.info("Cannot check the group's closures yet: {}", e.toString());
            return false; // broker trouble is not a verdict: ask again later
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean countReached() {
        return settings.count() > 0 && handler.processed() >= settings.count();
    }

    /** The share consumer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> consumerProperties(ConsumerSettings settings) {
        Map<String, Object> props = settings.client().clientProperties();
        ClientConfig.putOwned(props, ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        // task_done() is an acknowledgement made after processing, one record at a time, never implied by a poll.
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
        // get() takes one item: a member holding records it has not started would keep them from idle members.
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG,
                "kafka-queue-share-consumer-" + ProcessHandle.current().pid());
        return props;
    }
}
