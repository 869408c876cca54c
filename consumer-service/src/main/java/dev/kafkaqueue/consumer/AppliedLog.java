package dev.kafkaqueue.consumer;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Makes processing idempotent by item: remembers the dedup key ({@code "<run> <id>"}) of every applied item in an
 * append-only file, so an item redelivered after a crash is recognised and not applied twice. Without a file the
 * memory lasts as long as the process.
 */
final class AppliedLog implements Closeable {

    private final Set<String> applied = new HashSet<>();
    private final BufferedWriter writer;

    private AppliedLog(BufferedWriter writer) {
        this.writer = writer;
    }

    /** A log that lives only in memory. */
    static AppliedLog inMemory() {
        return new AppliedLog(null);
    }

    /**
     * Opens (or creates) the file and reads what it already holds.
     *
     * @throws dev.kafkaqueue.common.InvalidSettingException naming the file when it cannot be read or written
     */
    static AppliedLog open(Path file) {
        try {
            AppliedLog log = new AppliedLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND));
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            lines.stream().filter(line -> !line.isBlank()).forEach(log.applied::add);
            return log;
        } catch (IOException e) {
            throw new dev.kafkaqueue.common.InvalidSettingException("--applied-log: cannot use '" + file + "': " + e.getMessage(), e);
        }
    }

    boolean contains(String key) {
        return applied.contains(key);
    }

    /** Records an applied item; written through before the offset is committed. */
    void add(String key) {
        applied.add(key);
        if (writer == null) {
            return;
        }
        try {
            writer.write(key);
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the applied log", e);
        }
    }

    @Override
    public void close() throws IOException {
        if (writer != null) {
            writer.close();
        }
    }
}
