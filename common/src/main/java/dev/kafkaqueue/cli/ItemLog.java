package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.Words;

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
    public boolean next() {
        return next(System.nanoTime());
    }

    /** {@link #next()} for a caller that has just read {@link System#nanoTime()}: one clock read per item, not two. */
    public synchronized boolean next(long nowNanos) {
        count++;
        if (mode == Mode.EACH || (mode == Mode.AUTO && count <= AUTO_LINES)) {
            return true;
        }
        if (mode == Mode.AUTO && count == AUTO_LINES + 1) {
            // Said once, so that a person reading the log knows the item lines did not just stop.
            out.printf(Locale.ROOT, "%s: %d item lines shown; from now on a summary every %ds "
                    + "(--item-log each prints every item)%n", noun, AUTO_LINES, Duration.ofNanos(summaryEveryNanos)
                    .toSeconds());
        }
        if (nowNanos - nextSummaryNanos >= 0) {
            nextSummaryNanos = nowNanos + summaryEveryNanos;
            out.printf(Locale.ROOT, "%s %s so far (%.0f/s)%n", noun, Words.items(count), rate(nowNanos));
        }
        return false;
    }

    /**
     * Prints the final summary: {@code Produced in all: 5 items in 0.4s (12/s)}. With {@link Mode#EACH} every item
     * already has its line, and nothing is printed.
     */
    public synchronized void finish() {
        if (mode == Mode.EACH) {
            return;
        }
        long now = System.nanoTime();
        // "Produced in all: ...", never "Produced 5 ...": scripts read "Produced <id> (partition ...)" lines as ids.
        out.printf(Locale.ROOT, "%s in all: %s in %.1fs (%.0f/s)%n", noun, Words.items(count), (now - startedNanos) / 1e9,
                rate(now));
    }

    /** Items counted so far. */
    public synchronized long count() {
        return count;
    }

    private double rate(long now) {
        return count / Math.max(1e-9, (now - startedNanos) / 1e9);
    }
}
