package dev.kafkaqueue.internal.work;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * The last {@code capacity} distinct keys (run id, item id) added, oldest forgotten first: {@link DedupWindow}'s
 * memory. Nothing is allocated per key. The keys sit in a ring of flat arrays in the order they were added, and a
 * chained hash table finds them: a bucket holds the ring position of its newest key, and each position the next key
 * of its bucket. Each run id is held once, as a small number. Memory is fixed by the capacity, about 26 bytes a key.
 *
 * <p>Consecutive ids of a run land in consecutive buckets (within each aligned range of 65,536 ids; the ranges are
 * spread at random), so a run's items, which arrive in id order, touch memory the previous item touched, and do not
 * collide with each other. Each run also keeps the highest id it added: an id above it cannot be in the window, and
 * for a run's items arriving in order, that is every new one, so neither {@link #contains} nor {@link #add} looks
 * in the table for it. Not thread-safe.
 */
final class KeyWindow {

    /** No key: bucket heads and chain links hold a ring position plus one. */
    private static final int NONE = 0;
    private static final int RANGE_BITS = 16;

    private final int capacity;
    private final long[] ids;
    private final int[] runs;
    /** The next key of the same bucket, by ring position, plus one. */
    private final int[] next;
    private int oldest;
    private int size;

    private final int[] buckets;
    private final int mask;

    /** Run ids in the window, by number, with how many of their keys the window holds; numbers are reused. */
    private final Map<String, Integer> runNumbers = new HashMap<>();
    private String[] runIds = new String[4];
    private int[] runKeys = new int[4];
    /** The highest id added for each run number while it has keys in the window. */
    private long[] runMaxIds = new long[4];
    private final ArrayDeque<Integer> freeRuns = new ArrayDeque<>();
    private int nextRun;
    private String lastRunId;
    private int lastRun = -1;

    /** @param capacity the keys to remember, at least 1 */
    KeyWindow(int capacity) {
        this.capacity = capacity;
        this.ids = new long[capacity];
        this.runs = new int[capacity];
        this.next = new int[capacity];
        int bucketCount = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1; // a power of two, at least 2x
        this.buckets = new int[bucketCount];
        this.mask = bucketCount - 1;
    }

    boolean contains(String runId, long id) {
        int run = runNumber(runId);
        return run >= 0 && id <= runMaxIds[run] && find(run, id) >= 0;
    }

    /** Adds a key, forgetting the oldest when full; a key already held keeps its place. */
    void add(String runId, long id) {
        int run = runNumber(runId);
        if (run >= 0 && id <= runMaxIds[run] && find(run, id) >= 0) {
            return;
        }
        if (size == capacity) {
            forgetOldest();
            run = runNumber(runId); // the oldest key may have been its run's last
        }
        if (run < 0) {
            run = newRun(runId);
        }
        int at = oldest + size;
        if (at >= capacity) {
            at -= capacity;
        }
        ids[at] = id;
        runs[at] = run;
        size++;
        runKeys[run]++;
        runMaxIds[run] = Math.max(runMaxIds[run], id);
        int bucket = bucket(run, id);
        next[at] = buckets[bucket];
        buckets[bucket] = at + 1;
    }

    int size() {
        return size;
    }

    /** Every key held, oldest first. */
    void forEach(ObjLongConsumer<String> action) {
        for (int i = 0; i < size; i++) {
            int at = (int) ((oldest + (long) i) % capacity);
            action.accept(runIds[runs[at]], ids[at]);
        }
    }

    /** The ring position of the key, or -1. */
    private int find(int run, long id) {
        for (int link = buckets[bucket(run, id)]; link != NONE; link = next[link - 1]) {
            if (ids[link - 1] == id && runs[link - 1] == run) {
                return link - 1;
            }
        }
        return -1;
    }

    private void forgetOldest() {
        int at = oldest;
        int run = runs[at];
        int bucket = bucket(run, ids[at]);
        if (buckets[bucket] == at + 1) {
            buckets[bucket] = next[at];
        } else {
            int link = buckets[bucket];
            while (next[link - 1] != at + 1) {
                link = next[link - 1];
            }
            next[link - 1] = next[at];
        }
        oldest = at + 1 == capacity ? 0 : at + 1;
        size--;
        if (--runKeys[run] == 0) {
            runNumbers.remove(runIds[run]);
            if (runIds[run].equals(lastRunId)) {
                lastRunId = null;
                lastRun = -1;
            }
            runIds[run] = null;
            freeRuns.push(run);
        }
    }

    /** Consecutive ids, consecutive buckets; each run and each range of ids starts at its own random bucket. */
    private int bucket(int run, long id) {
        long range = ((id >>> RANGE_BITS) + (run + 1) * 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        return (int) ((range ^ (range >>> 29)) + id) & mask;
    }

    /** The run id's number, or -1 when the window holds none of its keys. Item after item it is the same run. */
    private int runNumber(String runId) {
        if (runId == lastRunId || runId.equals(lastRunId)) {
            return lastRun;
        }
        Integer number = runNumbers.get(runId);
        if (number == null) {
            return -1;
        }
        lastRunId = runId;
        lastRun = number;
        return number;
    }

    private int newRun(String runId) {
        int run = freeRuns.isEmpty() ? nextRun++ : freeRuns.pop();
        if (run >= runIds.length) {
            runIds = Arrays.copyOf(runIds, runIds.length * 2);
            runKeys = Arrays.copyOf(runKeys, runKeys.length * 2);
            runMaxIds = Arrays.copyOf(runMaxIds, runMaxIds.length * 2);
        }
        runIds[run] = runId;
        runKeys[run] = 0;
        runMaxIds[run] = -1;
        runNumbers.put(runId, run);
        lastRunId = runId;
        lastRun = run;
        return run;
    }
}
