package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.events.QueueListener;
import java.io.PrintStream;

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
