package dev.kafkaqueue.producer;

import dev.kafkaqueue.producer.join.JoinRunner;
import dev.kafkaqueue.producer.join.JoinSettings;
import dev.kafkaqueue.queue.BackpressureGate;
import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.GroupLagReader;
import dev.kafkaqueue.queue.GroupType;
import dev.kafkaqueue.queue.PartitionTail;
import dev.kafkaqueue.queue.ShareGroups;
import dev.kafkaqueue.queue.StopSignal;
import dev.kafkaqueue.service.GracefulShutdown;
import dev.kafkaqueue.service.ServiceMetrics;
import dev.kafkaqueue.service.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer side of the queue: makes sure the topic exists, puts the run ({@link Put}), and optionally joins
 * ({@link JoinRunner}).
 *
 * <p>The thread that calls {@link #run()} owns the Kafka clients. SIGTERM ends any wait at once (an interval, a full
 * queue, the join); the producer then flushes what it sent, prints its report and exits with the documented code.
 */
final class QueueProducer {

    private static final Logger log = LoggerFactory.getLogger(QueueProducer.class);
    /** How long a signalled producer may take to flush and report before the JVM halts. */
    private static final Duration GRACE = Duration.ofSeconds(30);

    private final ProducerSettings settings;
    private final GroupType groupType;
    private final ServiceMetrics metrics;
    private final Counter putCounter;
    private final StopSignal stop = new StopSignal();

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
            stop.stop();
            metrics.unhealthy();
        }, GRACE, this::putAndJoin);
    }

    private int putAndJoin() throws Exception {
        Duration connectTimeout = settings.pacing().connectTimeout();
        try (Admin admin = Admin.create(settings.queue().client().clientProperties());
             PartitionTail tail = new PartitionTail(settings.queue().client(), connectTimeout)) {
            Topics.awaitCluster(admin, settings.queue().client().bootstrapServers(), connectTimeout);
            int partitions = Topics.ensure(admin, settings.queue().topic(), settings.newTopic().partitionsToCreate(),
                    settings.newTopic().replicationFactor(), connectTimeout);
            warnIfPartitionsDiffer(partitions);
            if (groupType == GroupType.SHARE) {
                // A share group that first polls after these puts must still start at the first item.
                ShareGroups.startAtEarliest(admin, settings.queue().group(), connectTimeout);
            }
            GroupLagReader lag = groupType.lagReader(admin, tail, connectTimeout);
            BackpressureGate gate = new BackpressureGate(settings.pacing().maxsize(),
                    () -> byPartition(lag.committed(settings.queue().group(), settings.queue().topic())),
                    settings.pacing().lagInterval());
            register(gate);
            Put put = new Put(settings, gate, putCounter, stop, System.out);
            int putResult;
            Map<String, Object> props = producerProperties(settings);
            Duration deliveryTimeout = Duration.ofMillis(
                    Long.parseLong(String.valueOf(props.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG))));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                metrics.bind(producer);
                ReplicaWatch replicas = ReplicaWatch.start(admin, settings.queue().topic(), deliveryTimeout);
                try {
                    putResult = put.run(producer);
                } finally {
                    replicas.close();
                }
            }
            if (putResult != ExitCode.OK || settings.afterPut() != ProducerSettings.AfterPut.JOIN) {
                return putResult;
            }
            return new JoinRunner(JoinSettings.afterPut(settings.queue(), settings.pacing().timeout(),
                    settings.pacing().lagInterval(), put.acknowledged(), connectTimeout), System.out).run(lag, stop);
        }
    }

    private void warnIfPartitionsDiffer(int partitions) {
        settings.newTopic().partitions().ifPresent(wanted -> {
            if (wanted != partitions) {
                // Said, not ignored: a user who asked for a partition count should know it was not applied.
                log.warn("--partitions {} ignored: topic {} already exists with {} partitions (an existing topic is "
                        + "kept as it is; kafka-topics --alter --partitions can add partitions, never remove them)",
                        wanted, settings.queue().topic(), partitions);
            }
        });
    }

    private void register(BackpressureGate gate) {
        MeterRegistry registry = metrics.registry();
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

    /** The producer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> producerProperties(ProducerSettings settings) {
        Map<String, Object> props = settings.queue().client().clientProperties();
        // put() returns only once the record is durable: acknowledged by all in-sync replicas.
        ClientConfig.putOwned(props, ProducerConfig.ACKS_CONFIG, "all");
        // Retries never duplicate or reorder a partition's records.
        ClientConfig.putOwned(props, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A put waiting for in-sync replicas (NOT_ENOUGH_REPLICAS: too many brokers down) is retried as long as the
        // producer waits for anything else (--timeout), and never for less than Kafka's default of 120 s.
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                (int) Math.min(Integer.MAX_VALUE, Math.max(120_000, settings.pacing().timeout().toMillis())));
        ClientConfig.putOwned(props, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        ClientConfig.putOwned(props, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        settings.run().transactionalId().ifPresent(id -> props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "kafka-queue-producer-" + settings.run().runId());
        return props;
    }

    private static Map<Integer, Long> byPartition(Map<TopicPartition, Long> committed) {
        Map<Integer, Long> offsets = new HashMap<>();
        committed.forEach((tp, offset) -> offsets.put(tp.partition(), offset));
        return offsets;
    }
}
