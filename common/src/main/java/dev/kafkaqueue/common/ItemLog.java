package dev.kafkaqueue.common;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The per-item lines a person reads ({@code Produced 3}, {@code Consumed 3}) for small runs, and a periodic summary
 * instead for large ones. Thread-safe.
 */
public final class ItemLog {

    /** How items are reported on standard output. */
    public enum Mode {
        /** One line per item for the first {@value ItemLog#AUTO_LINES}, then a summary every few seconds. */
        AUTO,
        /** One line per item, always. */
        EACH,
        /** Only the periodic summary. */
        SUMMARY
    }

    static final int AUTO_LINES = 100;

    private final Mode mode;
    private final String noun;
    private final PrintStream out;
    private final long summaryEveryNanos;
    private final long startedNanos = System.nanoTime();
    private long count;
    private long nextSummaryNanos;

    /**
     * @param mode         how to report
     * @param noun         what a summary counts, e.g. "Produced"
     * @param out          where lines go
     * @param summaryEvery time between summaries
     */
    public ItemLog(Mode mode, String noun, PrintStream out, Duration summaryEvery) {
        this.mode = mode;
        this.noun = noun;
        this.out = out;
        this.summaryEveryNanos = summaryEvery.toNanos();
        this.nextSummaryNanos = startedNanos + summaryEveryNanos;
    }

    /** Counts one item and prints its line, or a summary when one is due. */
    public void item(String line) {
        if (next()) {
            out.println(line);
        }
    }

    /**
     * Counts one item and prints a summary when one is due. Returns true when the caller should print the item's own
     * line, so a line that would not be printed is never built.
     */
    public synchronized boolean next() {
        count++;
        if (mode == Mode.EACH || (mode == Mode.AUTO && count <= AUTO_LINES)) {
            return true;
        }
        long now = System.nanoTime();
        if (now - nextSummaryNanos >= 0) {
            nextSummaryNanos = now + summaryEveryNanos;
            double seconds = Math.max(1e-9, (now - startedNanos) / 1e9);
            out.printf(Locale.ROOT, "%s %d items so far (%.0f/s)%n", noun, count, count / seconds);
        }
        return false;
    }

    /** Items counted so far. */
    public synchronized long count() {
        return count;
    }
}
