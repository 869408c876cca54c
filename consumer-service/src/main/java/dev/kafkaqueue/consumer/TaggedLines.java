package dev.kafkaqueue.consumer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Copies one stream of a command to the consumer's own, line by line, each line prefixed with its item's tag (as GNU
 * parallel's {@code --tag} does): {@code 42<TAB>the line}. A line goes out in one write to the {@link PrintStream},
 * whose lock keeps it whole: lines of commands running side by side never interleave within a line.
 *
 * <p>Memory is bounded: a line longer than {@link #MAX_LINE} bytes goes out in pieces of that size, each tagged. A
 * last line without a newline gets one. Optionally keeps the last lines ({@link #tail()}), for the dead letter of a
 * command that failed. One instance per stream of one command; not thread-safe.
 */
final class TaggedLines {

    /** The longest piece of a line written at once. */
    static final int MAX_LINE = 64 * 1024;
    /** How many of the last lines {@link #tail()} keeps. */
    static final int TAIL_LINES = 20;
    /** How many characters of them it keeps at most: the dead-letter header's cap. */
    static final int TAIL_CHARS = 2_000;

    private final PrintStream out;
    private final byte[] tag;
    private final ArrayDeque<String> tail;
    private byte[] line = new byte[256];
    private int length;

    /**
     * @param out      where the lines go
     * @param tag      the item's tag, written before each line, then a tab
     * @param keepTail whether to keep the last lines
     */
    TaggedLines(PrintStream out, String tag, boolean keepTail) {
        this.out = out;
        this.tag = (tag + "\t").getBytes(StandardCharsets.UTF_8);
        this.tail = keepTail ? new ArrayDeque<>() : null;
        System.arraycopy(this.tag, 0, ensure(this.tag.length), 0, this.tag.length);
        this.length = this.tag.length;
    }

    /** Copies {@code in} to its end (the command closed the stream, or ended); closes it. */
    void copy(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        append(buffer, start, i - start);
                        emit();
                        start = i + 1;
                    }
                }
                append(buffer, start, n - start);
            }
        } finally {
            if (length > tag.length) {
                emit();
            }
        }
    }

    /** The last lines, oldest first, joined by newlines and capped at {@link #TAIL_CHARS}; empty if none. */
    String tail() {
        if (tail == null || tail.isEmpty()) {
            return "";
        }
        String joined = String.join("\n", tail);
        return joined.length() <= TAIL_CHARS ? joined : "..." + joined.substring(joined.length() - TAIL_CHARS + 3);
    }

    /** The last line, or empty. */
    String lastLine() {
        return tail == null || tail.isEmpty() ? "" : tail.peekLast();
    }

    private void append(byte[] bytes, int from, int count) {
        while (count > 0) {
            int room = tag.length + MAX_LINE - length;
            int taken = Math.min(room, count);
            System.arraycopy(bytes, from, ensure(length + taken), length, taken);
            length += taken;
            from += taken;
            count -= taken;
            if (length == tag.length + MAX_LINE) {
                emit(); // a line this long goes out in pieces: memory stays bounded
            }
        }
    }

    private void emit() {
        if (tail != null) {
            int end = length > tag.length && line[length - 1] == '\r' ? length - 1 : length;
            tail.addLast(new String(line, tag.length, end - tag.length, StandardCharsets.UTF_8));
            if (tail.size() > TAIL_LINES) {
                tail.removeFirst();
            }
        }
        ensure(length + 1)[length] = '\n';
        out.write(line, 0, length + 1); // one call, under the stream's lock: the line stays whole
        length = tag.length;
    }

    private byte[] ensure(int capacity) {
        if (capacity > line.length) {
            line = Arrays.copyOf(line, Math.max(capacity, Math.min(line.length * 2, tag.length + MAX_LINE + 1)));
        }
        return line;
    }
}
