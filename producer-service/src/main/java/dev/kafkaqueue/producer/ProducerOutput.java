package dev.kafkaqueue.producer;

import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.events.QueueListener;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The producer's lines on standard output, from the queue's events: an item's line once the broker acknowledged it
 * (for the first items, then summaries: {@link ItemLog}), and every pill. Scripts and tests read these lines, so their
 * wording is kept. Thread-safe: acknowledgements arrive on the producer's I/O thread.
 */
final class ProducerOutput implements QueueListener {

    private final PrintStream out;
    private final ItemLog items;
    private final AtomicInteger pills = new AtomicInteger();

    ProducerOutput(PrintStream out, ItemLog items) {
        this.out = out;
        this.items = items;
    }

    @Override
    public void put(long id, int partition, long offset) {
        if (items.next()) { // the line is built only when it is printed
            out.println("Produced " + id + " (partition " + partition + ", offset " + offset + ")");
        }
    }

    @Override
    public void pillSent(int partition, long offset) {
        pills.incrementAndGet();
        out.println("Poison pill sent to partition " + partition + " (offset " + offset + ")");
    }

    /** Pills acknowledged so far. */
    int pills() {
        return pills.get();
    }
}
