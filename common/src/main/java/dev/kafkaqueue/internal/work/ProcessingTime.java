package dev.kafkaqueue.internal.work;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time spent processing items, as a Prometheus summary ({@code queue_item_processing_seconds_count} and
 * {@code _sum}). Recording is two uncontended adds, cheap enough for every item of a stream of millions; a full
 * Micrometer timer also keeps a decaying maximum, which costs a clock read and a compare-and-set loop per item.
 * Thread-safe.
 */
final class ProcessingTime {

    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    static ProcessingTime register(MeterRegistry registry) {
        ProcessingTime time = new ProcessingTime();
        FunctionTimer.builder("queue.item.processing", time,
                        t -> t.count.sum(), t -> t.nanos.sum(), TimeUnit.NANOSECONDS)
                .description("Time spent processing one item, retries included")
                .register(registry);
        return time;
    }

    /** One item processed in {@code elapsedNanos}. */
    void record(long elapsedNanos) {
        count.increment();
        nanos.add(elapsedNanos);
    }
}
