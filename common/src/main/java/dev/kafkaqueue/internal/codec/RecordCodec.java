package dev.kafkaqueue.internal.codec;

/**
 * The JSON form of {@link QueueMessage}. An item looks like
 * <pre>{"schema":1,"type":"item","id":3,"payload":"item-3","runId":"r1","producedAt":"2026-11-24T09:00:00Z"}</pre>
 * and a poison pill like
 * <pre>{"schema":1,"type":"poison-pill","runId":"r1","producedAt":"2026-11-24T09:00:00Z"}</pre>
 * An item's payload is any JSON value but null: a string, as above, or an object, an array, a number or a boolean,
 * as {@code "payload":{"url":"https://example.com","depth":2}}.
 *
 * <p>The reader is strict: a missing, extra or mistyped field, an unknown {@code schema} or {@code type}, a null or
 * empty value, or bytes that are not UTF-8 JSON are rejected with an {@link UnreadableRecordException} that says
 * what was wrong. What {@link #encode} writes is read by a fast path ({@link EnvelopeReader}) that accepts exactly
 * what the strict reader ({@link StrictJson}) accepts in that layout, and written by one ({@link EnvelopeWriter})
 * that writes the bytes Jackson would. Instances are thread-safe.
 */
public final class RecordCodec {

    static final String ITEM = "item";
    static final String POISON_PILL = "poison-pill";

    private final EnvelopeReader envelopes = new EnvelopeReader();

    /**
     * The record key of item {@code id}: the id in decimal ASCII, which Kafka's tools print as text. Written straight
     * to bytes, with no string and no serializer in between.
     */
    public static byte[] key(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("an item id is >= 0, was " + id);
        }
        return EnvelopeWriter.decimal(id);
    }

    /**
     * True when a record value starts as this codec writes a poison pill: a look at its first bytes, no decoding.
     * Counting with it never mistakes an item for a pill; a pill written in another layout is not seen.
     */
    public static boolean isPill(byte[] value) {
        byte[] head = EnvelopeWriter.PILL_HEAD;
        return value != null && value.length > head.length
                && java.util.Arrays.equals(value, 0, head.length, head, 0, head.length);
    }

    /** Encodes a message as UTF-8 JSON. */
    public byte[] encode(QueueMessage message) {
        byte[] plain = EnvelopeWriter.write(message);
        return plain != null ? plain : StrictJson.encode(message);
    }

    /**
     * Decodes a record value.
     *
     * @throws UnreadableRecordException naming what was wrong; the caller dead-letters the record
     */
    public QueueMessage decode(byte[] value) throws UnreadableRecordException {
        if (value == null) {
            throw new UnreadableRecordException("null value (tombstone): a queue record always has a value");
        }
        if (value.length == 0) {
            throw new UnreadableRecordException("empty value: expected a JSON object");
        }
        QueueMessage message = envelopes.read(value);
        return message != null ? message : StrictJson.decode(value);
    }
}
