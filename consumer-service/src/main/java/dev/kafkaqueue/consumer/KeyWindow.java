package dev.kafkaqueue.consumer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * The last {@code capacity} distinct keys (run id, item id) added, oldest forgotten first: {@link DedupWindow}'s
 * memory. Nothing is allocated per key: the keys sit in flat arrays, a ring in the order they were added and an
 * open-addressing hash table (linear probing) to find them, and each run id is held once, as a small number. Memory
 * is fixed by the capacity.
 *
 * <p>The table keeps a run's consecutive ids side by side: blocks of {@link #BLOCK} ids are placed at random, the ids
 * of a block in order. A run's items arrive in id order, so adding a key, and forgetting the oldest, mostly touch
 * memory the previous key touched, instead of two cache misses per item in a table of megabytes. Not thread-safe.
 */
final class KeyWindow {

    /** A table slot with no key. Run numbers are stored plus one, so that 0 means empty. */
    private static final int EMPTY = 0;
    /** Consecutive ids of a run that sit in consecutive slots: 8 slots of 16 bytes, two cache lines. */
    private static final int BLOCK_BITS = 3;
    static final int BLOCK = 1 << BLOCK_BITS;

    private final int capacity;
    private final long[] ringIds;
    private final int[] ringRuns;
    private int oldest;
    private int size;

    /** Slot i holds an id at {@code 2i} and its stored run number at {@code 2i + 1}: one cache line for both. */
    private final long[] table;
    private final int mask;

    /** Run ids in the window, by number, with how many of their keys the window holds; numbers are reused. */
    private final Map<String, Integer> runNumbers = new HashMap<>();
    private String[] runIds = new String[4];
    private int[] runKeys = new int[4];
    private final ArrayDeque<Integer> freeRuns = new ArrayDeque<>();
    private int nextRun;
    private String lastRunId;
    private int lastRun = -1;

    /** @param capacity the keys to remember, at least 1 */
    KeyWindow(int capacity) {
        this.capacity = capacity;
        this.ringIds = new long[capacity];
        this.ringRuns = new int[capacity];
        int tableSize = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1; // a power of two, at least 2x
        this.table = new long[2 * tableSize];
        this.mask = tableSize - 1;
    }

    boolean contains(String runId, long id) {
        int run = runNumber(runId);
        return run >= 0 && find(run + 1, id) >= 0;
    }

    /** Adds a key, forgetting the oldest when full; a key already held keeps its place. */
    void add(String runId, long id) {
        int run = runNumber(runId);
        if (run >= 0 && find(run + 1, id) >= 0) {
            return;
        }
        if (size == capacity) {
            forgetOldest();
            run = runNumber(runId); // the oldest key may have been its run's last
        }
        if (run < 0) {
            run = newRun(runId);
        }
        int newest = oldest + size;
        if (newest >= capacity) {
            newest -= capacity;
        }
        ringIds[newest] = id;
        ringRuns[newest] = run + 1;
        size++;
        runKeys[run]++;
        int slot = home(run + 1, id);
        while (table[2 * slot + 1] != EMPTY) {
            slot = (slot + 1) & mask;
        }
        table[2 * slot] = id;
        table[2 * slot + 1] = run + 1;
    }

    int size() {
        return size;
    }

    /** Every key held, oldest first. */
    void forEach(ObjLongConsumer<String> action) {
        for (int i = 0; i < size; i++) {
            int at = (oldest + i) % capacity;
            action.accept(runIds[ringRuns[at] - 1], ringIds[at]);
        }
    }

    private void forgetOldest() {
        long id = ringIds[oldest];
        int run = ringRuns[oldest];
        oldest = oldest + 1 == capacity ? 0 : oldest + 1;
        size--;
        remove(find(run, id));
        if (--runKeys[run - 1] == 0) {
            runNumbers.remove(runIds[run - 1]);
            if (runIds[run - 1].equals(lastRunId)) {
                lastRunId = null;
                lastRun = -1;
            }
            runIds[run - 1] = null;
            freeRuns.push(run - 1);
        }
    }

    /** Linear probing's deletion: moves later keys of the same probe run back into the gap, so none is lost. */
    private void remove(int slot) {
        int gap = slot;
        for (int i = (slot + 1) & mask; table[2 * i + 1] != EMPTY; i = (i + 1) & mask) {
            int home = home((int) table[2 * i + 1], table[2 * i]);
            if (((i - home) & mask) >= ((i - gap) & mask)) {
                table[2 * gap] = table[2 * i];
                table[2 * gap + 1] = table[2 * i + 1];
                gap = i;
            }
        }
        table[2 * gap + 1] = EMPTY;
    }

    /** The table slot holding the key, or -1. */
    private int find(int storedRun, long id) {
        for (int slot = home(storedRun, id); table[2 * slot + 1] != EMPTY; slot = (slot + 1) & mask) {
            if (table[2 * slot] == id && table[2 * slot + 1] == storedRun) {
                return slot;
            }
        }
        return -1;
    }

    /** A random place for the id's block, and the id's place in it. */
    private int home(int storedRun, long id) {
        long h = ((id >>> BLOCK_BITS) + storedRun * 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        return ((int) (h ^ (h >>> 32)) << BLOCK_BITS | (int) (id & (BLOCK - 1))) & mask;
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
            runIds = java.util.Arrays.copyOf(runIds, runIds.length * 2);
            runKeys = java.util.Arrays.copyOf(runKeys, runKeys.length * 2);
        }
        runIds[run] = runId;
        runKeys[run] = 0;
        runNumbers.put(runId, run);
        lastRunId = runId;
        lastRun = run;
        return run;
    }
}
