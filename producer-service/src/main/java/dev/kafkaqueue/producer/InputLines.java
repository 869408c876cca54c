package dev.kafkaqueue.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * {@code --input}: the items of a file or of standard input, one per line, read as they are put. Memory holds one
 * line (and a 64 KiB buffer), whatever the input's length: a put that waits for room ({@code --maxsize}) stops the
 * reading too.
 *
 * <p>A line ends at {@code \n}; a {@code \r} before it is dropped too (a file written on Windows), and a last line
 * without a newline counts. Each line must be UTF-8. With {@link ProducerSettings.Format#TEXT} its text is the
 * payload; with {@link ProducerSettings.Format#JSON} it must be exactly one JSON value (Jackson, no trailing tokens,
 * no duplicate keys, not {@code null}), and that value is the payload. A line that breaks a rule is a {@link BadLine}
 * naming its number. Not thread-safe.
 */
final class InputLines implements Closeable {

    private static final ObjectReader JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .reader();

    /** A line that cannot be an item: the run stops at it. */
    static final class BadLine extends Exception {
        private static final long serialVersionUID = 1L;

        BadLine(long number, String reason) {
            super("line " + number + ": " + reason);
        }
    }

    private final InputStream in;
    private final ProducerSettings.Format format;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int position;
    private int limit;
    private long number;
    private boolean ended;

    /**
     * @param in           the input; closed by {@link #close()}
     * @param maxLineBytes the longest line read, in bytes; a longer one is a {@link BadLine}, read no further, since
     *                     no record could hold it
     */
    InputLines(InputStream in, ProducerSettings.Format format, int maxLineBytes) {
        this.in = in;
        this.format = format;
        this.maxLineBytes = maxLineBytes;
    }

    /** The number of the line {@link #next()} returned last, from 1; 0 before the first. */
    long number() {
        return number;
    }

    /**
     * The next line's payload, or null at the end of the input.
     *
     * @throws BadLine     when the line is not UTF-8, too long, or (JSON) not one JSON value
     * @throws IOException when the input cannot be read
     */
    JsonNode next() throws IOException, BadLine {
        byte[] bytes = readLine();
        if (bytes == null) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadLine(number, "not UTF-8 text (" + e.getMessage() + ")");
        }
        return format == ProducerSettings.Format.TEXT ? TextNode.valueOf(text) : json(text);
    }

    /** True when the next line can be read without waiting: bytes are buffered, or the input has some. */
    boolean ready() throws IOException {
        return ended || position < limit || in.available() > 0;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private JsonNode json(String text) throws BadLine {
        if (text.isBlank()) {
            throw new BadLine(number, "empty, not a JSON value (--format json takes one JSON value per line)");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new BadLine(number, "not valid JSON: " + e.getOriginalMessage());
        }
        if (node.isNull()) {
            throw new BadLine(number, "null is not an item (the end of a run is the poison pill, sent after the "
                    + "last line)");
        }
        return node;
    }

    /** The next line's bytes without its line end; null at the end of the input. */
    private byte[] readLine() throws IOException, BadLine {
        if (ended) {
            return null;
        }
        line.reset();
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    ended = true;
                    if (line.size() == 0) {
                        return null; // the input ended with a newline, or was empty
                    }
                    number++;
                    return line.toByteArray();
                }
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            line.write(buffer, start, position - start);
            if (line.size() > maxLineBytes + 1) { // + 1: a '\r' that goes with the newline
                number++;
                ended = true;
                throw new BadLine(number, "more than " + maxLineBytes + " bytes, more than the largest record the "
                        + "producer sends (max.request.size " + maxLineBytes + "); nothing of it was sent");
            }
            if (position < limit) {
                position++; // the newline
                number++;
                byte[] bytes = line.toByteArray();
                int length = bytes.length;
                if (length > 0 && bytes[length - 1] == '\r') {
                    return java.util.Arrays.copyOf(bytes, length - 1);
                }
                return bytes;
            }
        }
    }
}
