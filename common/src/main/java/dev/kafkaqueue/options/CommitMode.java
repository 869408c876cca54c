package dev.kafkaqueue.options;

/**
 * When {@code taskDone()} reaches the broker as an offset commit: always after the item's work, never before. This
 * type says what each mode means; the engine carries it out. A share group acknowledges records instead of
 * committing offsets and takes {@link #BATCH} and {@link #PER_RECORD} only.
 */
public enum CommitMode {
    /**
     * Asynchronous commits at least every {@code commitInterval} (1 s by default), and at once when the queue is
     * drained (nothing left in flight or to fetch, so that {@code join()} sees the last item without waiting). The
     * default: a crash redoes about one interval of work.
     */
    BATCH("batch"),
    /**
     * A synchronous commit after each record, and the worker waits for it before taking the next: the smallest
     * redelivery window after a crash, and one commit round trip per record.
     */
    PER_RECORD("per-record"),
    /** Never: the seed's "omit task_done()". Lag stays up and {@code join()} never returns. Consumer groups only. */
    NONE("none");

    private final String word;

    CommitMode(String word) {
        this.word = word;
    }

    /** True when finished offsets are committed at all. */
    public boolean commits() {
        return this != NONE;
    }

    /** The mode as it is written: {@code batch}, {@code per-record} or {@code none}. */
    @Override
    public String toString() {
        return word;
    }
}
