package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.InvalidSettingException;
import dev.kafkaqueue.queue.QueueMessage;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Makes processing idempotent by item within a bounded window: remembers the keys (run id, item id) of the last
 * {@code capacity} applied items, forgetting the oldest first. Memory is O(capacity), whatever the stream's length.
 *
 * <p>What the window catches: every redelivery after a crash or a rebalance (at most the uncommitted items, one
 * commit interval's worth), and a producer re-run with the same {@code --run-id} whose items were applied within the
 * last {@code capacity} items. An item applied longer ago than that is applied again.
 *
 * <p>With a file ({@code --applied-log}) the window survives restarts. A key is written through to the file as its
 * item is applied, before the item's offset can be committed, so an item applied just before a crash is recognised
 * when it is delivered again. That is one small write per item: the price of the guarantee. When the file holds twice
 * the window, it is rewritten with the window alone (write, then atomic rename): its size stays O(capacity), and a
 * restart reads O(capacity) lines. Thread-safe.
 */
final class DedupWindow implements Closeable {

    /** A dedup key. The run id string is shared between the keys of one run. */
    record Key(String runId, long id) {
        static Key of(QueueMessage.Item item) {
            return new Key(item.runId(), item.id());
        }

        String line() {
            return runId + " " + id;
        }

        static Key parse(String line) {
            int space = line.lastIndexOf(' ');
            return new Key(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
    }

    private final int capacity;
    private final Optional<Path> file;
    private final LinkedHashMap<Key, Boolean> window;
    /** One string per run id, so a window of one run's keys holds the id once (bounded: cleared when large). */
    private final Map<String, String> runIds = new HashMap<>();
    private BufferedWriter writer;
    private long linesInFile;

    private DedupWindow(int capacity, Optional<Path> file) {
        this.capacity = capacity;
        this.file = file;
        this.window = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
                return size() > DedupWindow.this.capacity;
            }
        };
    }

    /** A window that lives only in memory. {@code capacity} 0 turns dedup off. */
    static DedupWindow inMemory(int capacity) {
        return new DedupWindow(capacity, Optional.empty());
    }

    /**
     * A window kept in {@code file}: opens (or creates) it and reads the last {@code capacity} keys.
     *
     * @throws dev.kafkaqueue.queue.InvalidSettingException naming the file when it cannot be read or written
     */
    static DedupWindow open(Path path, int capacity) {
        DedupWindow dedup = new DedupWindow(capacity, Optional.of(path));
        try {
            if (Files.exists(path)) {
                try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (!line.isBlank()) {
                            dedup.remember(Key.parse(line.strip()));
                            dedup.linesInFile++;
                        }
                    }
                }
            }
            dedup.writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            return dedup;
        } catch (IOException | RuntimeException e) {
            throw new dev.kafkaqueue.queue.InvalidSettingException("--applied-log: cannot use '" + path + "': " + e.getMessage(), e);
        }
    }

    synchronized boolean contains(Key key) {
        return capacity > 0 && window.containsKey(key);
    }

    /** Remembers an applied item, written through to the file. */
    synchronized void add(Key key) {
        if (capacity == 0) {
            return;
        }
        remember(key);
        if (writer == null) {
            return;
        }
        try {
            writer.write(key.runId());
            writer.write(' ');
            writer.write(Long.toString(key.id()));
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
        return window.size();
    }

    @Override
    public synchronized void close() throws IOException {
        if (writer != null) {
            writer.close();
        }
    }

    private void remember(Key key) {
        String runId = runIds.get(key.runId());
        if (runId == null) {
            if (runIds.size() > 1024) {
                runIds.clear(); // only sharing is lost, never a key
            }
            runIds.put(key.runId(), key.runId());
            runId = key.runId();
        }
        window.put(runId == key.runId() ? key : new Key(runId, key.id()), Boolean.TRUE);
    }

    /** Rewrites the file with the window alone, then swaps it in atomically. */
    private void compact() throws IOException {
        Path path = file.orElseThrow();
        writer.close();
        Path next = path.resolveSibling(path.getFileName() + ".compacting");
        try (BufferedWriter out = Files.newBufferedWriter(next, StandardCharsets.UTF_8)) {
            for (Key key : window.keySet()) {
                out.write(key.line());
                out.newLine();
            }
        }
        Files.move(next, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        linesInFile = window.size();
        writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }
}
