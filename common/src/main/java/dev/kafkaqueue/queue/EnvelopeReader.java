package dev.kafkaqueue.queue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * {@link RecordCodec}'s fast path: reads a message laid out byte for byte as {@link RecordCodec#encode} writes it,
 * <pre>{"schema":1,"type":"item","id":3,"payload":"item-3","runId":"r1","producedAt":"2026-11-24T09:00:00Z"}</pre>
 * and declines (returns null) anything else: other field orders, white space, escapes, control characters, malformed
 * UTF-8, numbers JSON would not write. The codec's strict reader then judges those, so the two readers accept exactly
 * the same messages; this one is only faster, with no parser, no tree and no intermediate strings.
 *
 * <p>Item after item of one run, the run id is the same string, not a new one per record: a dedup key then hashes a
 * string whose hash is cached. Thread-safe.
 */
final class EnvelopeReader {

    private static final byte[] HEAD = ascii("{\"schema\":1,\"type\":\"");
    private static final byte[] ITEM_ID = ascii(RecordCodec.ITEM + "\",\"id\":");
    private static final byte[] PAYLOAD = ascii(",\"payload\":\"");
    private static final byte[] PILL_RUN_ID = ascii(RecordCodec.POISON_PILL + "\",\"runId\":\"");
    private static final byte[] RUN_ID = ascii(",\"runId\":\"");
    private static final byte[] PRODUCED_AT = ascii(",\"producedAt\":\"");
    /** Digits of an id that always fit a long; a longer id is left to the strict reader. */
    private static final int MAX_ID_DIGITS = 18;

    /** The last run id read, with its bytes: shared by the next records of the same run. */
    private record RunId(byte[] bytes, String text) {
    }

    private volatile RunId lastRunId = new RunId(new byte[0], "");
    private final Timestamps.Reader timestamps = new Timestamps.Reader();

    /** The message, or null when {@code value} is not exactly in the canonical layout. */
    QueueMessage read(byte[] value) {
        int at = expect(value, 0, HEAD);
        if (at < 0) {
            return null;
        }
        if (startsWith(value, at, ITEM_ID)) {
            return readItem(value, at + ITEM_ID.length);
        }
        if (startsWith(value, at, PILL_RUN_ID)) {
            return readPill(value, at + PILL_RUN_ID.length);
        }
        return null;
    }

    private QueueMessage readItem(byte[] value, int at) {
        int digitsEnd = at;
        while (digitsEnd < value.length && isDigit(value[digitsEnd])) {
            digitsEnd++;
        }
        int digits = digitsEnd - at;
        if (digits == 0 || digits > MAX_ID_DIGITS || (value[at] == '0' && digits > 1)) {
            return null;
        }
        long id = 0;
        for (int i = at; i < digitsEnd; i++) {
            id = id * 10 + (value[i] - '0');
        }
        int payloadStart = expect(value, digitsEnd, PAYLOAD);
        int payloadEnd = stringEnd(value, payloadStart);
        if (payloadEnd < 0) {
            return null;
        }
        int runIdStart = expect(value, payloadEnd + 1, RUN_ID);
        int runIdEnd = stringEnd(value, runIdStart);
        Instant producedAt = runIdEnd < 0 ? null : producedAt(value, runIdEnd + 1);
        if (producedAt == null) {
            return null;
        }
        String payload = text(value, payloadStart, payloadEnd);
        String runId = runId(value, runIdStart, runIdEnd);
        return payload == null || runId == null ? null : new QueueMessage.Item(id, payload, runId, producedAt);
    }

    private QueueMessage readPill(byte[] value, int runIdStart) {
        int runIdEnd = stringEnd(value, runIdStart);
        Instant producedAt = runIdEnd < 0 ? null : producedAt(value, runIdEnd + 1);
        if (producedAt == null) {
            return null;
        }
        String runId = runId(value, runIdStart, runIdEnd);
        return runId == null ? null : new QueueMessage.PoisonPill(runId, producedAt);
    }

    /** {@code ,"producedAt":"<instant>"}, then the closing brace as the value's last byte. */
    private Instant producedAt(byte[] value, int at) {
        int start = expect(value, at, PRODUCED_AT);
        int end = stringEnd(value, start);
        if (end < 0 || end + 2 != value.length || value[end + 1] != '}') {
            return null;
        }
        return timestamps.parse(value, start, end);
    }

    private String runId(byte[] value, int from, int to) {
        RunId last = lastRunId;
        if (Arrays.equals(value, from, to, last.bytes, 0, last.bytes.length)) {
            return last.text;
        }
        String text = text(value, from, to);
        if (text != null) {
            lastRunId = new RunId(Arrays.copyOfRange(value, from, to), text); // a benign race between workers
        }
        return text;
    }

    /**
     * The index of the closing quote of a string starting at {@code from}, or -1 when the string holds an escape or a
     * control character (or does not end). Bytes from 0x80 are UTF-8, checked by {@link #text}.
     */
    private static int stringEnd(byte[] value, int from) {
        if (from < 0) {
            return -1;
        }
        for (int i = from; i < value.length; i++) {
            byte b = value[i];
            if (b == '"') {
                return i;
            }
            if (b == '\\' || (b >= 0 && b < 0x20)) {
                return -1;
            }
        }
        return -1;
    }

    /** The text of {@code value[from, to)}; null when it is not UTF-8. */
    private static String text(byte[] value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (value[i] < 0) {
                try {
                    return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(value, from, to - from))
                            .toString(); // the decoder reports malformed input, unlike new String(...)
                } catch (CharacterCodingException e) {
                    return null;
                }
            }
        }
        return new String(value, from, to - from, StandardCharsets.ISO_8859_1); // ASCII: a plain copy
    }

    /** The index after {@code literal} when it is found at {@code at}, else -1. */
    private static int expect(byte[] value, int at, byte[] literal) {
        return at >= 0 && startsWith(value, at, literal) ? at + literal.length : -1;
    }

    private static boolean startsWith(byte[] value, int at, byte[] literal) {
        return value.length - at >= literal.length
                && Arrays.equals(value, at, at + literal.length, literal, 0, literal.length);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
