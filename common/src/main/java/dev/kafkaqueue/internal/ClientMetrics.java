package dev.kafkaqueue.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Exports the Kafka clients' own metrics (send rate, commit latency, records lag, ...) into the queue's meter
 * registry, when it was given one, and unbinds them when the queue closes. Thread-safe.
 */
public final class ClientMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final List<KafkaClientMetrics> bound = new CopyOnWriteArrayList<>();

    /** @param registry where the metrics go; null exports nothing */
    public ClientMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Exports a producer's metrics. */
    public void bind(Producer<?, ?> producer) {
        if (registry != null) {
            bind(new KafkaClientMetrics(producer));
        }
    }

    /** Exports a consumer's metrics. */
    public void bind(Consumer<?, ?> consumer) {
        if (registry != null) {
            bind(new KafkaClientMetrics(consumer));
        }
    }

    /** A share consumer's metrics are not exported: Micrometer's binder takes consumers and producers only. */
    public void bind(ShareConsumer<?, ?> consumer) {
        // nothing to bind
    }

    @Override
    public void close() {
        bound.forEach(KafkaClientMetrics::close);
        bound.clear();
    }

    private void bind(KafkaClientMetrics metrics) {
        metrics.bindTo(registry);
        bound.add(metrics);
    }
}
