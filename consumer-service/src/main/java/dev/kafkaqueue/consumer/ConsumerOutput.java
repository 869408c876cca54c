package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.events.QueueListener;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;

/**
 * The consumer's lines on standard output, from the queue's events: an item's line once it is done (for the first
 * items, then summaries: {@link ItemLog}), and always the pills, the skipped redeliveries, the releases, the dead
 * letters and "Queue empty". Scripts and tests read these lines, so their wording is kept. Thread-safe.
 */
final class ConsumerOutput implements QueueListener {

    private final PrintStream out;
    private final ItemLog items;

    ConsumerOutput(PrintStream out, ItemLog items) {
        this.out = out;
        this.items = items;
    }

    /**
     * The run's line on how long items waited between their put and their get ({@code queue.item.wait}), as
     * {@code Waited from put to get: p50 2 ms, p99 7 ms, max 31 ms}; empty when no item was got.
     */
    static Optional<String> waits(MeterRegistry registry) {
        Gauge p50 = registry.find("queue.item.wait.quantile").tag("quantile", "0.5").gauge();
        Gauge p99 = registry.find("queue.item.wait.quantile").tag("quantile", "0.99").gauge();
        Gauge max = registry.find("queue.item.wait.quantile").tag("quantile", "1.0").gauge();
        var timer = registry.find("queue.item.wait").functionTimer();
        if (p50 == null || p99 == null || max == null || timer == null || timer.count() == 0) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "Waited from put to get: p50 %s, p99 %s, max %s",
                millis(p50.value()), millis(p99.value()), millis(max.value())));
    }

    private static String millis(double seconds) {
        long millis = Math.round(seconds * 1000);
        return millis < 10_000 ? millis + " ms" : Math.round(seconds) + " s";
    }

    @Override
    public void done(long id, int partition, long offset) {
        if (items.next()) { // the line is built only when it is printed
            out.println("Consumed " + id + " (partition " + partition + ", offset " + offset + ")");
        }
    }

    @Override
    public void skipped(long id, int partition, long offset) {
        out.println("Skipped " + id + " (partition " + partition + ", offset " + offset + "): already applied");
    }

    @Override
    public void released(long id, int partition, long offset, int delivery, int deliveryLimit) {
        out.println("Released " + id + " (partition " + partition + ", offset " + offset + "): delivery " + delivery
                + " of " + deliveryLimit + " failed");
    }

    @Override
    public void deadLettered(String topic, int partition, long offset, String deadLetterTopic, Throwable reason) {
        out.println("Dead-lettered " + topic + "-" + partition + "@" + offset + " to " + deadLetterTopic + ": "
                + reason.getMessage());
    }

    @Override
    public void pill(int partition, long offset, boolean closed) {
        out.println((closed ? "Poison pill" : "Duplicate poison pill (ignored)") + " on partition " + partition
                + " (offset " + offset + ")");
    }

    @Override
    public void empty() {
        out.println("Queue empty: every assigned partition fetched to its end");
    }

    @Override
    public void dropped(long count) {
        out.println("Dropped " + count + (count == 1 ? " item" : " items") + " not yet got (immediate shutdown)");
    }
}
