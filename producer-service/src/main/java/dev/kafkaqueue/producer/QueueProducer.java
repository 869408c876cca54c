package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.BackpressureGate;
import dev.kafkaqueue.common.ClientConfig;
import dev.kafkaqueue.common.ExitCode;
import dev.kafkaqueue.common.GracefulShutdown;
import dev.kafkaqueue.common.ItemLog;
import dev.kafkaqueue.common.GroupLagReader;
import dev.kafkaqueue.common.GroupType;
import dev.kafkaqueue.common.PartitionTail;
import dev.kafkaqueue.common.ShareGroups;
import dev.kafkaqueue.common.QueueMessage;
import dev.kafkaqueue.common.RecordCodec;
import dev.kafkaqueue.common.ServiceMetrics;
import dev.kafkaqueue.common.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer side of the queue: puts the run's items, then a poison pill on every partition, flushes, and
 * optionally joins.
 *
 * <p>The thread that calls {@link #run()} owns the Kafka clients. SIGTERM stops the puts, flushes what was sent and
 * exits 1 without pills, so consumers keep waiting for a run that did not finish.
 */
final class QueueProducer {

    private static final Logger log = LoggerFactory.getLogger(QueueProducer.class);
    /** A transaction is committed at least this often, so consumers reading committed data keep moving. */
    private static final int MAX_ITEMS_PER_TRANSACTION = 100;

    private final ProducerSettings settings;
    private final GroupType groupType;
    private final ServiceMetrics metrics;
    private final Counter putCounter;
    private final RecordCodec codec = new RecordCodec();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private final AtomicLong acknowledged = new AtomicLong();
    private volatile boolean stopping;

    QueueProducer(ProducerSettings settings, GroupType groupType, ServiceMetrics metrics) {
        this.settings = settings;
        this.groupType = groupType;
        this.metrics = metrics;
        this.putCounter = Counter.builder("queue.items.put")
                .description("Items put and acknowledged (acks=all)").register(metrics.registry());
    }

    /** Runs to completion and returns the process exit code. */
    int run() throws Exception {
        return GracefulShutdown.run(() -> {
            stopping = true;
            metrics.unhealthy();
        }, Duration.ofSeconds(30), this::putAndJoin);
    }

    private int putAndJoin() throws Exception {
        try (Admin admin = Admin.create(settings.client().clientProperties());
             PartitionTail tail = new PartitionTail(settings.client(), settings.connectTimeout())) {
            Topics.awaitCluster(admin, settings.client().bootstrapServers(), settings.connectTimeout());
            Topics.ensure(admin, settings.topic(), settings.partitions(), settings.replicationFactor(),
                    settings.connectTimeout());
            if (groupType == GroupType.SHARE) {
                // A share group that first polls after these puts must still start at the first item.
                ShareGroups.startAtEarliest(admin, settings.group(), settings.connectTimeout());
            }
            GroupLagReader lag = groupType.lagReader(admin, tail, settings.connectTimeout());
            BackpressureGate gate = new BackpressureGate(settings.maxsize(),
                    () -> byPartition(lag.committed(settings.group(), settings.topic())), settings.lagInterval());
            register(gate);
            int putResult = put(gate);
            if (putResult != ExitCode.OK || !settings.join()) {
                return putResult;
            }
            return JoinCommand.run(lag, new JoinSettings(settings.client(), settings.topic(), settings.group(),
                    settings.timeout(), settings.lagInterval(), OptionalLong.of(settings.count()),
                    settings.connectTimeout(), false, false, false));
        }
    }

    private int put(BackpressureGate gate) throws Exception {
        ItemLog items = new ItemLog(settings.itemLog(), "Produced", System.out, Duration.ofSeconds(5));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProperties(settings))) {
            metrics.bind(producer);
            Transactions tx = new Transactions(producer, settings.transactionalId().isPresent());
            for (long id = 0; id < settings.count(); id++) {
                if (stopping || sendFailure.get() != null) {
                    break;
                }
                if (!settings.interval().isZero()) {
                    tx.commit(); // never hold a transaction open across a wait: consumers could not see its items
                    TimeUnit.NANOSECONDS.sleep(settings.interval().toNanos());
                }
                if (!gate.tryAcquire()) {
                    tx.commit();
                    try {
                        gate.acquire(settings.timeout());
                    } catch (TimeoutException e) {
                        System.out.println("Producer stopped: " + e.getMessage());
                        return ExitCode.TIMEOUT;
                    }
                }
                tx.begin();
                send(producer, gate, items, new QueueMessage.Item(id, "item-" + id, settings.runId(), Instant.now()));
                tx.sent(MAX_ITEMS_PER_TRANSACTION);
            }
            tx.commit();
            boolean allPut = !stopping && sendFailure.get() == null;
            int pills = allPut && settings.pill() ? sendPills(producer, tx) : 0;
            producer.flush(); // join's snapshots mean nothing until every send is acknowledged
            return report(gate, pills);
        }
    }

    private void send(KafkaProducer<String, byte[]> producer, BackpressureGate gate, ItemLog items,
                      QueueMessage.Item item) {
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(settings.topic(), Long.toString(item.id()), codec.encode(item));
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                gate.failed();
                if (sendFailure.compareAndSet(null, error)) {
                    log.error("Send of item {} failed; no more items will be put: {}", item.id(), error.toString());
                }
                return;
            }
            gate.acknowledged(metadata.partition(), metadata.offset());
            acknowledged.incrementAndGet();
            putCounter.increment();
            items.item("Produced " + item.id() + " (partition " + metadata.partition() + ", offset "
                    + metadata.offset() + ")");
        });
    }

    private int sendPills(KafkaProducer<String, byte[]> producer, Transactions tx) {
        List<PartitionInfo> partitions = producer.partitionsFor(settings.topic());
        byte[] pill = codec.encode(new QueueMessage.PoisonPill(settings.runId(), Instant.now()));
        tx.begin();
        for (PartitionInfo partition : partitions) {
            producer.send(new ProducerRecord<>(settings.topic(), partition.partition(), null, pill),
                    (metadata, error) -> {
                        if (error != null) {
                            sendFailure.compareAndSet(null, error);
                            log.error("Poison pill to partition {} failed: {}", partition.partition(), error.toString());
                        } else {
                            System.out.println("Poison pill sent to partition " + metadata.partition()
                                    + " (offset " + metadata.offset() + ")");
                        }
                    });
        }
        tx.commit();
        return partitions.size();
    }

    private int report(BackpressureGate gate, int pills) {
        if (settings.maxsize() > 0) {
            log.info("Backpressure: waited {} times, {} ms in all (maxsize {})", gate.waits(), gate.waited().toMillis(),
                    settings.maxsize());
        }
        Exception failure = sendFailure.get();
        if (failure != null) {
            System.out.println("Producer failed: " + acknowledged.get() + " of " + settings.count()
                    + " items acknowledged; a send failed: " + Topics.rootMessage(failure));
            return ExitCode.FAILURE;
        }
        if (stopping) {
            System.out.println("Producer stopped by signal: " + acknowledged.get() + " of " + settings.count()
                    + " items acknowledged, no poison pills sent");
            return ExitCode.FAILURE;
        }
        System.out.println("Producer done: " + acknowledged.get() + " items and " + pills
                + " pills acknowledged (run " + settings.runId() + ")");
        return ExitCode.OK;
    }

    private void register(BackpressureGate gate) {
        MeterRegistry registry = metrics.registry();
        Gauge.builder("queue.unfinished.items", gate, BackpressureGate::unfinished)
                .description("Items put and not yet committed by the group, as the gate last saw them")
                .register(registry);
        FunctionCounter.builder("queue.backpressure.waits", gate, BackpressureGate::waits)
                .description("Puts that waited for the consumers (maxsize reached)").register(registry);
        FunctionCounter.builder("queue.backpressure.wait.seconds", gate, g -> g.waited().toNanos() / 1e9)
                .description("Time puts spent waiting for the consumers").register(registry);
    }

    /** The producer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> producerProperties(ProducerSettings settings) {
        Map<String, Object> props = settings.client().clientProperties();
        // put() returns only once the record is durable: acknowledged by all in-sync replicas.
        ClientConfig.putOwned(props, ProducerConfig.ACKS_CONFIG, "all");
        // Retries never duplicate or reorder a partition's records.
        ClientConfig.putOwned(props, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        ClientConfig.putOwned(props, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        ClientConfig.putOwned(props, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        settings.transactionalId().ifPresent(id -> props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kafka-queue-producer-" + settings.runId());
        return props;
    }

    private static Map<Integer, Long> byPartition(Map<org.apache.kafka.common.TopicPartition, Long> committed) {
        Map<Integer, Long> offsets = new HashMap<>();
        committed.forEach((tp, offset) -> offsets.put(tp.partition(), offset));
        return offsets;
    }

    /** Keeps at most one transaction open, when the producer is transactional; does nothing otherwise. */
    private static final class Transactions {
        private final KafkaProducer<String, byte[]> producer;
        private final boolean enabled;
        private boolean open;
        private int sent;

        Transactions(KafkaProducer<String, byte[]> producer, boolean enabled) {
            this.producer = producer;
            this.enabled = enabled;
            if (enabled) {
                producer.initTransactions();
            }
        }

        void begin() {
            if (enabled && !open) {
                producer.beginTransaction();
                open = true;
                sent = 0;
            }
        }

        void sent(int limit) {
            if (enabled && ++sent >= limit) {
                commit();
            }
        }

        void commit() {
            if (open) {
                producer.commitTransaction();
                open = false;
            }
        }
    }
}
