package dev.kafkaqueue.internal.codec;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * {@link RecordCodec}'s fast path for writing: the same bytes Jackson writes for a message, in the codec's field
 * order, with no tree, no generator and no {@code Instant#toString}. A JSON payload is copied as it is. It declines
 * (returns null) a message whose text would need escaping or is not plain ASCII, and an instant outside the years 0000
 * to 9999; the codec then writes those with Jackson. Thread-safe.
 */
final class EnvelopeWriter {

    // The heads and PAYLOAD are read back by EnvelopeReader, which compares them whole.
    static final byte[] ITEM_HEAD = ascii("{\"schema\":1,\"type\":\"" + RecordCodec.ITEM + "\",\"id\":");
    static final byte[] PAYLOAD = ascii(",\"payload\":\"");
    private static final byte[] ITEM_RUN_ID = ascii("\",\"runId\":\"");
    static final byte[] PILL_HEAD = ascii("{\"schema\":1,\"type\":\"" + RecordCodec.POISON_PILL
            + "\",\"runId\":\"");
    private static final byte[] PRODUCED_AT = ascii("\",\"producedAt\":\"");
    private static final byte[] TAIL = ascii("\"}");
    private static final Timestamps.Writer TIMESTAMPS = new Timestamps.Writer();

    private EnvelopeWriter() {
    }

    /** The message as {@link RecordCodec#encode} writes it, or null for Jackson to write. */
    static byte[] write(QueueMessage message) {
        if (!plain(message.runId())) {
            return null;
        }
        Instant at = message.producedAt();
        int timestamp = TIMESTAMPS.length(at);
        if (timestamp < 0) {
            return null;
        }
        byte[] out;
        int runIdEnd;
        if (message instanceof QueueMessage.Item item) {
            if (item.json() ? !printable(item.payload()) : !plain(item.payload())) {
                return null;
            }
            int idDigits = digits(item.id());
            // A JSON payload goes as it is, {"a":1}, where a text payload goes in quotes: one byte less on each side.
            int quotes = item.json() ? -1 : 0;
            out = new byte[ITEM_HEAD.length + idDigits + PAYLOAD.length + quotes + item.payload().length()
                    + ITEM_RUN_ID.length + quotes + item.runId().length() + PRODUCED_AT.length + timestamp
                    + TAIL.length];
            int i = put(out, 0, ITEM_HEAD);
            i = Timestamps.putDigits(out, i, item.id(), idDigits);
            i = put(out, i, PAYLOAD);
            if (item.json()) {
                i = putAscii(out, i - 1, item.payload()); // over the opening quote
                i = put(out, i, ITEM_RUN_ID, 1); // without the closing quote
            } else {
                i = putAscii(out, i, item.payload());
                i = put(out, i, ITEM_RUN_ID);
            }
            runIdEnd = putAscii(out, i, item.runId());
        } else {
            out = new byte[PILL_HEAD.length + message.runId().length() + PRODUCED_AT.length + timestamp
                    + TAIL.length];
            runIdEnd = putAscii(out, put(out, 0, PILL_HEAD), message.runId());
        }
        int i = TIMESTAMPS.write(at, out, put(out, runIdEnd, PRODUCED_AT));
        put(out, i, TAIL);
        return out;
    }

    /** True when JSON writes the text as it is, one byte per character: printable ASCII, no quote or backslash. */
    private static boolean plain(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /**
     * True when a JSON payload is printable ASCII: copied as it is, one byte per character. Its writer made it compact
     * (Jackson, or a checked line written again by Jackson), so these are the bytes Jackson writes for its tree.
     */
    private static boolean printable(String json) {
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /** {@code value} (at least 0) in decimal ASCII, as JSON writes a number: an item's id, and its record key. */
    static byte[] decimal(long value) {
        int digits = digits(value);
        byte[] text = new byte[digits];
        Timestamps.putDigits(text, 0, value, digits);
        return text;
    }

    private static int digits(long value) {
        int digits = 1;
        for (long rest = value / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return digits;
    }

    private static int putAscii(byte[] out, int at, String text) {
        for (int i = 0; i < text.length(); i++) {
            out[at + i] = (byte) text.charAt(i);
        }
        return at + text.length();
    }

    private static int put(byte[] out, int at, byte[] literal) {
        return put(out, at, literal, 0);
    }

    /** {@code literal} from its byte {@code skip} on. */
    private static int put(byte[] out, int at, byte[] literal, int skip) {
        System.arraycopy(literal, skip, out, at, literal.length - skip);
        return at + literal.length - skip;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
