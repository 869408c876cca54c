package dev.kafkaqueue.internal.codec;

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

    private static final byte[] RUN_ID = ascii(",\"runId\":\"");
    private static final byte[] PRODUCED_AT = ascii(",\"producedAt\":\"");
    /** Digits of an id that always fit a long; a longer id is left to the strict reader. */
    private static final int MAX_ID_DIGITS = 18;
    /** {@link #stringEnd}'s lowest byte refused below 0x20: every negative byte too (printable ASCII only). */
    private static final byte ASCII = Byte.MIN_VALUE;
    /** {@link #stringEnd}'s lowest byte refused below 0x20: control characters only; negative bytes are UTF-8. */
    private static final byte UTF_8 = 0;

    /** The last run id read, with its bytes: shared by the next records of the same run. */
    private record RunId(byte[] bytes, String text) {
    }

    private volatile RunId lastRunId = new RunId(new byte[0], "");
    private final Timestamps.Reader timestamps = new Timestamps.Reader();

    /** The message, or null when {@code value} is not exactly in the canonical layout. */
    QueueMessage read(byte[] value) {
        if (startsWith(value, 0, EnvelopeWriter.ITEM_HEAD)) {
            return readItem(value, EnvelopeWriter.ITEM_HEAD.length);
        }
        if (startsWith(value, 0, EnvelopeWriter.PILL_HEAD)) {
            return readPill(value, EnvelopeWriter.PILL_HEAD.length);
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
        int payloadStart = expect(value, digitsEnd, EnvelopeWriter.PAYLOAD);
        int payloadEnd = stringEnd(value, payloadStart, ASCII);
        boolean asciiPayload = payloadEnd >= 0;
        if (!asciiPayload) {
            payloadEnd = stringEnd(value, payloadStart, UTF_8);
            if (payloadEnd < 0) {
                return null;
            }
        }
        int runIdStart = expect(value, payloadEnd + 1, RUN_ID);
        int runIdEnd = runIdEnd(value, runIdStart);
        Instant producedAt = runIdEnd < 0 ? null : producedAt(value, runIdEnd + 1);
        if (producedAt == null) {
            return null;
        }
        String payload = asciiPayload ? ascii(value, payloadStart, payloadEnd) : text(value, payloadStart, payloadEnd);
        String runId = runId(value, runIdStart, runIdEnd);
        return payload == null || runId == null ? null : new QueueMessage.Item(id, payload, runId, producedAt);
    }

    private QueueMessage readPill(byte[] value, int runIdStart) {
        int runIdEnd = runIdEnd(value, runIdStart);
        Instant producedAt = runIdEnd < 0 ? null : producedAt(value, runIdEnd + 1);
        if (producedAt == null) {
            return null;
        }
        String runId = runId(value, runIdStart, runIdEnd);
        return runId == null ? null : new QueueMessage.PoisonPill(runId, producedAt);
    }

    /**
     * {@code ,"producedAt":"<instant>"}, then the closing brace as the value's last byte. The instant is what lies
     * between the opening quote and the value's last two bytes, {@code "}}: no scan for the closing quote is needed,
     * since the timestamp reader accepts nothing but digits and its separators there.
     */
    private Instant producedAt(byte[] value, int at) {
        int start = expect(value, at, PRODUCED_AT);
        int end = value.length - 2;
        if (start < 0 || end < start || value[end] != '"' || value[end + 1] != '}') {
            return null;
        }
        return timestamps.parse(value, start, end);
    }

    /**
     * The closing quote of the run id at {@code from}. Item after item it is the last run id's: its bytes, already
     * checked, are compared at once, with no scan byte by byte.
     */
    private int runIdEnd(byte[] value, int from) {
        if (from < 0) {
            return -1;
        }
        byte[] last = lastRunId.bytes;
        int end = from + last.length;
        if (end < value.length && value[end] == '"' && Arrays.equals(value, from, end, last, 0, last.length)) {
            return end;
        }
        return stringEnd(value, from, UTF_8);
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
     * control character (or does not end). Bytes from 0x80 (negative) are refused too when {@code lowest} is
     * {@link #ASCII}, and taken as UTF-8 for {@link #text} to check when it is {@link #UTF_8}.
     */
    private static int stringEnd(byte[] value, int from, byte lowest) {
        if (from < 0) {
            return -1;
        }
        for (int i = from; i < value.length; i++) {
            byte b = value[i];
            if (b == '"') {
                return i;
            }
            if (b == '\\' || (b < 0x20 && b >= lowest)) {
                return -1;
            }
        }
        return -1;
    }

    /** The text of {@code value[from, to)}, all printable ASCII: a plain copy. */
    private static String ascii(byte[] value, int from, int to) {
        return new String(value, from, to - from, StandardCharsets.ISO_8859_1);
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
