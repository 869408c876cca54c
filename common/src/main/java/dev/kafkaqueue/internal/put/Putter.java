package dev.kafkaqueue.internal.put;

import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.StopSignal;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer side of a queue: each put takes a slot at the {@link BackpressureGate} (waiting while the queue is
 * full), is encoded and sent, and counts once the broker acknowledged it ({@code acks=all}, idempotent). Sends are
 * pipelined: a put returns a future, completed on the acknowledgement (in a transaction: on its commit).
 *
 * <p>With a transactional id the puts go in transactions of at most {@value #MAX_ITEMS_PER_TRANSACTION} items,
 * committed when full, before any wait for room, on {@link #flush()}, before the pills and on close, so that
 * consumers reading committed data keep moving. A failed send, and fencing by a newer producer with the same id, are
 * kept: every later put throws that failure.
 *
 * <p>Thread-safe: any number of threads may put. The Kafka producer is thread-safe; transactional sends take one
 * lock.
 */
public final class Putter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Putter.class);
    /** A transaction is committed at least this often, so consumers reading committed data keep moving. */
    public static final int MAX_ITEMS_PER_TRANSACTION = 100;
    /** What a record batch adds around one record (batch header, record framing), generously. */
    private static final int RECORD_OVERHEAD = 128;
    private static final Duration NO_LIMIT = Duration.ofDays(36_500);

    /** Makes the item to put, once it has its id. */
    @FunctionalInterface
    public interface ItemFactory {
        QueueMessage.Item item(long id, String runId, Instant producedAt);
    }

    /** Why a put was not made; nothing was sent. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        /** What refused it. */
        public enum Why { FULL, STOPPED }

        private final Why why;

        Refused(Why why, String message) {
            super(message, null, false, false);
            this.why = why;
        }

        public Why why() {
            return why;
        }
    }

    /** A poison pill the broker acknowledged. */
    public record Pill(int partition, long offset) {
    }

    private final PutOptions options;
    private final Producer<byte[], byte[]> producer;
    private final BackpressureGate gate;
    private final QueueListener listener;
    private final StopSignal stop;
    private final Counter putCounter;
    private final RecordCodec codec = new RecordCodec();
    private final AtomicLong nextId;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    /** Sends made and not yet answered (acknowledged or failed): what a wait for replicas holds up. */
    private final java.util.concurrent.atomic.AtomicInteger unanswered = new java.util.concurrent.atomic.AtomicInteger();
    private final Transactions transactions;
    private final int largestRecord;
    private final List<Pill> pills = new ArrayList<>();

    /**
     * @param committed    samples the group's progress for the gate: partition to the offset from which records are
     *                     unfinished
     * @param largestRecord the largest record the topic takes, when known: bigger puts are refused before sending
     * @param stop         ends every wait for room: a shutdown or a close
     */
    public Putter(PutOptions options, BackpressureGate.CommittedOffsets committed, int largestRecord,
                  QueueListener listener, StopSignal stop, MeterRegistry registry, ClientMetrics clientMetrics) {
        this(options, committed, largestRecord, listener, stop, registry, clientMetrics, KafkaProducer::new);
    }

    /** As the other constructor, with the producer made by {@code producers} (a {@code MockProducer} in tests). */
    public Putter(PutOptions options, BackpressureGate.CommittedOffsets committed, int largestRecord, QueueListener listener,
           StopSignal stop, MeterRegistry registry, ClientMetrics clientMetrics,
           java.util.function.Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        this.options = options;
        this.listener = listener;
        this.stop = stop;
        this.largestRecord = largestRecord;
        this.nextId = new AtomicLong(options.firstItemId());
        this.gate = new BackpressureGate(options.maxsize(), committed, options.lagInterval());
        this.putCounter = Counter.builder("queue.items.put")
                .description("Items put and acknowledged (acks=all)").register(registry);
        register(gate, registry);
        this.producer = producers.apply(producerProperties(options));
        clientMetrics.bind(producer);
        this.transactions = options.transactionalId().isPresent() ? new Transactions(producer) : null;
    }

    /** The run id of these puts. */
    public String runId() {
        return options.runId();
    }

    /** Items acknowledged so far. */
    public long acknowledged() {
        return (long) putCounter.count();
    }

    /**
     * Puts one item: waits for room while the queue is full (unless {@code wait} is false), then sends it.
     *
     * @return completed when the broker acknowledged it (in a transaction: when that commits)
     * @throws Refused               full and not waiting, waited the put timeout out, or stopped while waiting
     * @throws RecordTooLargeException when the item's record is larger than the topic takes; nothing was sent
     * @throws KafkaException        an earlier send failed, or this producer was fenced
     */
    public CompletableFuture<Void> put(ItemFactory factory, boolean wait) throws InterruptedException, Refused {
        throwIfFailed();
        if (!gate.tryAcquire()) {
            acquire(wait);
        }
        long id = nextId.getAndIncrement();
        ProducerRecord<byte[], byte[]> record;
        try {
            QueueMessage.Item item = factory.item(id, options.runId(), Instant.now());
            record = new ProducerRecord<>(options.topic(), RecordCodec.key(id), codec.encode(item));
            checkSize(id, record);
        } catch (RuntimeException e) {
            gate.failed();
            throw e;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        unanswered.incrementAndGet();
        if (transactions == null) {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    failed(id, error);
                    done.completeExceptionally(error);
                } else {
                    acknowledged(id, metadata.partition(), metadata.offset());
                    done.complete(null);
                }
            });
        } else {
            try {
                transactions.send(record, done, (metadata, error) -> {
                    if (error != null) {
                        failed(id, error);
                    } else {
                        acknowledged(id, metadata.partition(), metadata.offset());
                    }
                });
            } catch (KafkaException e) {
                // Fenced, typically: nothing more may be sent, committed or aborted by this producer.
                failure.compareAndSet(null, e);
                throw e;
            }
        }
        return done;
    }

    /** True when the queue is full: unfinished items (put, not yet done by the group) reach {@code maxsize}. */
    public boolean full() {
        try {
            return gate.full();
        } catch (Exception e) {
            throw new KafkaException("cannot read the group's progress: " + KafkaErrors.rootMessage(e), e);
        }
    }

    /** True while sends wait for the broker's answer. */
    public boolean sending() {
        return unanswered.get() > 0;
    }

    /** The producer's {@code delivery.timeout.ms}: how long a send is retried before it fails. */
    public static Duration deliveryTimeout(PutOptions options) {
        return Duration.ofMillis(Long.parseLong(String.valueOf(
                producerProperties(options).get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG))));
    }

    /** Unfinished items as the gate last saw them; 0 when unbounded (nothing is counted). */
    public int unfinished() {
        return gate.unfinished();
    }

    /**
     * Waits until every put so far is acknowledged, committing the open transaction.
     *
     * @throws KafkaException when a send failed, or this producer was fenced
     */
    public void flush() {
        if (transactions != null) {
            transactions.commit();
        }
        producer.flush();
        throwIfFailed();
    }

    /**
     * The sentinel: flushes, then puts a poison pill on every partition of the topic and waits for them.
     *
     * @return the pills, as acknowledged
     */
    public List<Pill> sendPills() {
        flush();
        List<PartitionInfo> partitions = producer.partitionsFor(options.topic());
        byte[] pill = codec.encode(new QueueMessage.PoisonPill(options.runId(), Instant.now()));
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (PartitionInfo partition : partitions) {
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(options.topic(), partition.partition(), null,
                    pill);
            CompletableFuture<Void> done = new CompletableFuture<>();
            org.apache.kafka.clients.producer.Callback callback = (metadata, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                    log.error("Poison pill to partition {} failed: {}", partition.partition(), error.toString());
                    done.completeExceptionally(error);
                } else {
                    synchronized (pills) {
                        pills.add(new Pill(metadata.partition(), metadata.offset()));
                    }
                    listener.pillSent(metadata.partition(), metadata.offset());
                    if (transactions == null) {
                        done.complete(null);
                    }
                }
            };
            if (transactions == null) {
                producer.send(record, callback);
            } else {
                transactions.send(record, done, callback);
            }
            sent.add(done);
        }
        flush();
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
        synchronized (pills) {
            return List.copyOf(pills);
        }
    }

    /** The pills this queue put, as acknowledged. */
    public List<Pill> pills() {
        synchronized (pills) {
            return List.copyOf(pills);
        }
    }

    /** Items in committed transactions; 0 without transactions. */
    public long committedInTransactions() {
        return transactions == null ? 0 : transactions.committedItems();
    }

    /** The failure that stopped the puts: a failed send, or fencing; null while none happened. */
    public Exception failure() {
        return failure.get();
    }

    /** Commits what was sent (a transaction still open), waits for the acknowledgements, and closes the producer. */
    @Override
    public void close() {
        try {
            if (transactions != null && failure.get() == null) {
                transactions.commit();
            }
        } catch (KafkaException e) {
            failure.compareAndSet(null, e);
            log.warn("Committing the open transaction failed: {}", e.toString());
            if (transactions != null) {
                transactions.abortQuietly();
            }
        } finally {
            producer.close(Duration.ofSeconds(30)); // sends what is buffered, and waits for it
        }
    }

    private void acquire(boolean wait) throws InterruptedException, Refused {
        try {
            if (!wait) {
                if (!gate.tryAcquireSampled()) {
                    throw new Refused(Refused.Why.FULL, "the queue is full: " + gate.unfinished()
                            + " unfinished items, maxsize " + options.maxsize());
                }
                return;
            }
            if (transactions != null) {
                transactions.commit(); // never hold a transaction open across a wait: consumers could not see it
            }
            if (!gate.acquire(options.putTimeout().orElse(NO_LIMIT), stop)) {
                throw new Refused(Refused.Why.STOPPED, "stopped while waiting for room");
            }
        } catch (TimeoutException e) {
            throw new Refused(Refused.Why.FULL, e.getMessage());
        } catch (InterruptedException | Refused | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new KafkaException("backpressure: cannot read the group's committed offsets: "
                    + KafkaErrors.rootMessage(e), e);
        }
    }

    private void checkSize(long id, ProducerRecord<byte[], byte[]> record) {
        long size = (long) record.key().length + record.value().length + RECORD_OVERHEAD;
        if (largestRecord > 0 && size > largestRecord) {
            throw new RecordTooLargeException("item " + id + " is " + size + " bytes as a record, more than the "
                    + largestRecord + " bytes topic " + options.topic() + " takes (the smaller of its max.message.bytes "
                    + "and the producer's max.request.size); nothing was sent");
        }
    }

    private void acknowledged(long id, int partition, long offset) {
        unanswered.decrementAndGet();
        gate.acknowledged(partition, offset);
        putCounter.increment();
        listener.put(id, partition, offset);
    }

    private void failed(long id, Exception error) {
        unanswered.decrementAndGet();
        gate.failed();
        if (failure.compareAndSet(null, error)) {
            log.error("Send of item {} failed; no more items will be put: {}", id, error.toString());
        }
    }

    private void throwIfFailed() {
        Exception failed = failure.get();
        if (failed != null) {
            throw failed instanceof KafkaException kafka ? kafka : new KafkaException(failed);
        }
    }

    private static void register(BackpressureGate gate, MeterRegistry registry) {
        if (gate.bounded()) { // unbounded, the gate counts nothing: no figure rather than a false 0
            Gauge.builder("queue.unfinished.items", gate, BackpressureGate::unfinished)
                    .description("Items put and not yet committed by the group, as the gate last saw them")
                    .register(registry);
        }
        FunctionCounter.builder("queue.backpressure.waits", gate, BackpressureGate::waits)
                .description("Puts that waited for the consumers (maxsize reached)").register(registry);
        FunctionCounter.builder("queue.backpressure.wait.seconds", gate, g -> g.waited().toNanos() / 1e9)
                .description("Time puts spent waiting for the consumers").register(registry);
    }

    /**
     * The producer's client properties, with a reason for every setting that is not a default.
     *
     * @throws dev.kafkaqueue.internal.ConflictingSettingException for a setting that contradicts the queue's
     *                                                             guarantees
     */
    public static Map<String, Object> producerProperties(PutOptions options) {
        Map<String, Object> props = options.client().clientProperties();
        // put() returns only once the record is durable: acknowledged by all in-sync replicas.
        ClientConfig.putOwned(props, ProducerConfig.ACKS_CONFIG, "all");
        // Retries never duplicate or reorder a partition's records.
        ClientConfig.putOwned(props, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A put waiting for in-sync replicas (NOT_ENOUGH_REPLICAS: too many brokers down) is retried as long as a put
        // may wait for room (the put timeout), and never for less than Kafka's default of 120 s.
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE,
                Math.max(120_000, options.putTimeout().map(Duration::toMillis).orElse(0L))));
        // A put is sent at once, as Kafka's EndToEndLatency sends: a queue is judged by how soon a put item is done,
        // and Kafka 4's default of 5 ms held every item put one at a time up to 5 ms. Puts in bulk still go in full
        // batches, filled while the requests before them are answered (1,000,000 puts took the same time either way).
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        ClientConfig.putOwned(props, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        ClientConfig.putOwned(props, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class.getName());
        options.transactionalId().ifPresent(id -> props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kafka-queue-producer-" + options.runId());
        return props;
    }

    /**
     * Keeps at most one transaction open. Sends and commits take one lock, so a commit never meets a send half-way.
     * A put's future completes when its transaction commits.
     */
    private static final class Transactions {
        private final Producer<byte[], byte[]> producer;
        private final List<CompletableFuture<Void>> open = new ArrayList<>();
        private boolean begun;
        private long committedItems;

        Transactions(Producer<byte[], byte[]> producer) {
            this.producer = producer;
            producer.initTransactions();
        }

        synchronized void send(ProducerRecord<byte[], byte[]> record, CompletableFuture<Void> done,
                               org.apache.kafka.clients.producer.Callback callback) {
            if (!begun) {
                producer.beginTransaction();
                begun = true;
            }
            producer.send(record, callback);
            open.add(done);
            if (open.size() >= MAX_ITEMS_PER_TRANSACTION) {
                commit();
            }
        }

        synchronized void commit() {
            if (!begun) {
                return;
            }
            try {
                producer.commitTransaction(); // waits for the transaction's sends: all acknowledged if it returns
            } catch (KafkaException e) {
                open.forEach(done -> done.completeExceptionally(e));
                open.clear();
                begun = false;
                throw e;
            }
            begun = false;
            committedItems += open.size();
            open.forEach(done -> done.complete(null));
            open.clear();
        }

        synchronized void abortQuietly() {
            if (begun) {
                begun = false;
                try {
                    producer.abortTransaction();
                } catch (KafkaException e) {
                    log.warn("Aborting the open transaction failed: {}", e.toString());
                }
            }
        }

        synchronized long committedItems() {
            return committedItems;
        }
    }
}
