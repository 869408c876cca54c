package dev.kafkaqueue.internal.work;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Makes processing idempotent by item within a bounded window: remembers the keys (run id, item id) of the last
 * {@code capacity} applied items, forgetting the oldest first. Memory is O(capacity), whatever the stream's length.
 *
 * <p>What the window catches: every redelivery after a crash or a rebalance (at most the uncommitted items, one
 * commit interval's worth), and a producer run again with the same run id whose items were applied within the
 * last {@code capacity} items. An item applied longer ago than that is applied again.
 *
 * <p>With a file (the applied log) the window survives restarts. A key is written through to the file as its
 * item is applied, before the item's offset can be committed, so an item applied just before a crash is recognised
 * when it is delivered again. That is one small write per item: the price of the guarantee. When the file holds twice
 * the window, it is rewritten with the window alone (write, then atomic rename): its size stays O(capacity), and a
 * restart reads O(capacity) lines. The keys live in a {@link KeyWindow}: no allocation per item. Thread-safe.
 */
final class DedupWindow implements Closeable {

    /** The most keys a window may hold: its arrays take about 36 bytes per key. */
    static final int MAX_CAPACITY = 10_000_000;

    private final int capacity;
    private final Optional<Path> file;
    private final KeyWindow window;
    private BufferedWriter writer;
    private long linesInFile;

    private DedupWindow(int capacity, Optional<Path> file) {
        if (capacity < 0 || capacity > MAX_CAPACITY) { // the builder names the setting; this guards the arrays
            throw new IllegalArgumentException("capacity " + capacity + " outside 0.." + MAX_CAPACITY);
        }
        this.capacity = capacity;
        this.file = file;
        this.window = capacity == 0 ? null : new KeyWindow(capacity);
    }

    /** A window that lives only in memory. {@code capacity} 0 turns dedup off. */
    static DedupWindow inMemory(int capacity) {
        return new DedupWindow(capacity, Optional.empty());
    }

    /**
     * A window kept in {@code file}: opens (or creates) it and reads the last {@code capacity} keys.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read or written
     */
    static DedupWindow open(Path path, int capacity) {
        DedupWindow dedup = new DedupWindow(capacity, Optional.of(path));
        try {
            if (Files.exists(path)) {
                try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (!line.isBlank()) {
                            dedup.remember(line.strip());
                            dedup.linesInFile++;
                        }
                    }
                }
            }
            dedup.writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            return dedup;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use '" + path + "' as the applied log: " + e.getMessage(), e);
        }
    }

    synchronized boolean contains(String runId, long id) {
        return window != null && window.contains(runId, id);
    }

    /** Remembers an applied item, written through to the file. */
    synchronized void add(String runId, long id) {
        if (window == null) {
            return;
        }
        window.add(runId, id);
        if (writer == null) {
            return;
        }
        try {
            writer.write(runId);
            writer.write(' ');
            writer.write(Long.toString(id));
            writer.newLine();
            writer.flush();
            if (++linesInFile > 2L * capacity) {
                compact();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the applied log " + file.orElseThrow(), e);
        }
    }

    /** Writes anything buffered through to the file; called before every offset commit. */
    synchronized void flush() {
        if (writer == null) {
            return;
        }
        try {
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the applied log " + file.orElseThrow(), e);
        }
    }

    /** Keys held now; at most the capacity. */
    synchronized int size() {
        return window == null ? 0 : window.size();
    }

    @Override
    public synchronized void close() throws IOException {
        if (writer != null) {
            writer.close();
        }
    }

    /** A line of the file, {@code <run id> <item id>}; a run id may hold spaces, the item id is the last field. */
    private void remember(String line) {
        if (window != null) {
            int space = line.lastIndexOf(' ');
            window.add(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
    }

    /** Rewrites the file with the window alone, then swaps it in atomically. */
    private void compact() throws IOException {
        Path path = file.orElseThrow();
        writer.close();
        Path next = path.resolveSibling(path.getFileName() + ".compacting");
        try (BufferedWriter out = Files.newBufferedWriter(next, StandardCharsets.UTF_8)) {
            IOException[] failure = new IOException[1];
            window.forEach((runId, id) -> {
                try {
                    out.write(runId);
                    out.write(' ');
                    out.write(Long.toString(id));
                    out.newLine();
                } catch (IOException e) {
                    failure[0] = e;
                }
            });
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        Files.move(next, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        linesInFile = window.size();
        writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
