package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.Words;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-item lines a person reads ({@code Produced 3}, {@code Consumed 3}) for small runs, and a periodic summary
 * instead for large ones. Thread-safe, and without a lock per item: workers count items side by side, and the one
 * that finds a summary due prints it.
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
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong nextSummaryNanos;

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
        this.nextSummaryNanos = new AtomicLong(startedNanos + summaryEveryNanos);
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
    public boolean next(long nowNanos) {
        long counted = count.incrementAndGet();
        if (mode == Mode.EACH || (mode == Mode.AUTO && counted <= AUTO_LINES)) {
            return true;
        }
        if (mode == Mode.AUTO && counted == AUTO_LINES + 1) {
            // Said once, so that a person reading the log knows the item lines did not just stop.
            out.printf(Locale.ROOT, "%s: %d item lines shown; from now on a summary every %ds "
                    + "(--item-log each prints every item)%n", noun, AUTO_LINES, Duration.ofNanos(summaryEveryNanos)
                    .toSeconds());
        }
        long due = nextSummaryNanos.get();
        if (nowNanos - due >= 0 && nextSummaryNanos.compareAndSet(due, nowNanos + summaryEveryNanos)) {
            long sofar = count.get();
            out.printf(Locale.ROOT, "%s %s so far (%.0f/s)%n", noun, Words.items(sofar), rate(sofar, nowNanos));
        }
        return false;
    }

    /**
     * Prints the final summary: {@code Produced in all: 5 items in 0.4s (12/s)}. With {@link Mode#EACH} every item
     * already has its line, and nothing is printed.
     */
    public void finish() {
        if (mode == Mode.EACH) {
            return;
        }
        long now = System.nanoTime();
        long all = count.get();
        // "Produced in all: ...", never "Produced 5 ...": scripts read "Produced <id> (partition ...)" lines as ids.
        out.printf(Locale.ROOT, "%s in all: %s in %.1fs (%.0f/s)%n", noun, Words.items(all), (now - startedNanos) / 1e9,
                rate(all, now));
    }

    /** Items counted so far. */
    public long count() {
        return count.get();
    }

    private double rate(long items, long now) {
        return items / Math.max(1e-9, (now - startedNanos) / 1e9);
    }
}
