package dev.kafkaqueue.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/**
 * The JSON form of {@link QueueMessage}. An item looks like
 * <pre>{"schema":1,"type":"item","id":3,"payload":"item-3","runId":"r1","producedAt":"2026-11-24T09:00:00Z"}</pre>
 * and a poison pill like
 * <pre>{"schema":1,"type":"poison-pill","runId":"r1","producedAt":"2026-11-24T09:00:00Z"}</pre>
 *
 * <p>The reader is strict: a missing, extra or mistyped field, an unknown {@code schema} or {@code type}, a null or
 * empty value, or bytes that are not UTF-8 JSON are rejected with an {@link UnreadableRecordException} that says
 * what was wrong. What {@link #encode} writes is read by a fast path ({@link EnvelopeReader}) that accepts exactly
 * what the strict reader accepts in that layout, and written by one ({@link EnvelopeWriter}) that writes the bytes
 * Jackson would. Instances are thread-safe.
 */
public final class RecordCodec {

    static final String ITEM = "item";
    static final String POISON_PILL = "poison-pill";
    private static final Set<String> ITEM_FIELDS = Set.of("schema", "type", "id", "payload", "runId", "producedAt");
    private static final Set<String> PILL_FIELDS = Set.of("schema", "type", "runId", "producedAt");

    private final ObjectMapper mapper = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    private final EnvelopeReader envelopes = new EnvelopeReader();

    /** Encodes a message as UTF-8 JSON. */
    public byte[] encode(QueueMessage message) {
        byte[] plain = EnvelopeWriter.write(message);
        return plain != null ? plain : encodeWithJackson(message);
    }

    /** The general writer: escapes what JSON must, in any text. {@link EnvelopeWriter} writes the same bytes faster. */
    byte[] encodeWithJackson(QueueMessage message) {
        ObjectNode node = mapper.createObjectNode().put("schema", QueueMessage.SCHEMA_VERSION);
        if (message instanceof QueueMessage.Item item) {
            node.put("type", ITEM).put("id", item.id()).put("payload", item.payload());
        } else {
            node.put("type", POISON_PILL);
        }
        node.put("runId", message.runId()).put("producedAt", message.producedAt().toString());
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message, e);
        }
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
        return message != null ? message : decodeStrict(value);
    }

    /**
     * The general reader, for anything the fast path declined: JSON in any field order and layout, and every kind of
     * wrong input, which it names precisely.
     */
    QueueMessage decodeStrict(byte[] value) throws UnreadableRecordException {
        JsonNode node;
        try {
            node = mapper.readTree(value);
        } catch (IOException e) {
            throw new UnreadableRecordException("not JSON: " + firstLine(e.getMessage()), e);
        }
        if (node == null || !node.isObject()) {
            throw new UnreadableRecordException("expected a JSON object, got " + kind(node));
        }
        int schema = requireInt(node, "schema");
        if (schema != QueueMessage.SCHEMA_VERSION) {
            throw new UnreadableRecordException(
                    "unknown schema version " + schema + "; this reader understands " + QueueMessage.SCHEMA_VERSION);
        }
        String type = requireText(node, "type");
        switch (type) {
            case ITEM -> {
                requireOnly(node, ITEM_FIELDS);
                long id = requireLong(node, "id");
                if (id < 0) {
                    throw new UnreadableRecordException("field 'id' must be >= 0, was " + id);
                }
                return new QueueMessage.Item(id, requireText(node, "payload"), requireText(node, "runId"),
                        requireInstant(node));
            }
            case POISON_PILL -> {
                requireOnly(node, PILL_FIELDS);
                return new QueueMessage.PoisonPill(requireText(node, "runId"), requireInstant(node));
            }
            default -> throw new UnreadableRecordException(
                    "unknown type '" + type + "'; expected '" + ITEM + "' or '" + POISON_PILL + "'");
        }
    }

    private static void requireOnly(JsonNode node, Set<String> allowed) throws UnreadableRecordException {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new UnreadableRecordException("unexpected field '" + name + "'; allowed: " + allowed);
            }
        }
    }

    private static JsonNode require(JsonNode node, String field) throws UnreadableRecordException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new UnreadableRecordException("missing field '" + field + "'");
        }
        return value;
    }

    private static int requireInt(JsonNode node, String field) throws UnreadableRecordException {
        JsonNode value = require(node, field);
        if (!value.isInt()) {
            throw new UnreadableRecordException("field '" + field + "' must be an integer, got " + kind(value));
        }
        return value.intValue();
    }

    private static long requireLong(JsonNode node, String field) throws UnreadableRecordException {
        JsonNode value = require(node, field);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new UnreadableRecordException("field '" + field + "' must be an integer, got " + kind(value));
        }
        return value.longValue();
    }

    private static String requireText(JsonNode node, String field) throws UnreadableRecordException {
        JsonNode value = require(node, field);
        if (!value.isTextual()) {
            throw new UnreadableRecordException("field '" + field + "' must be a string, got " + kind(value));
        }
        return value.textValue();
    }

    private static Instant requireInstant(JsonNode node) throws UnreadableRecordException {
        String text = requireText(node, "producedAt");
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new UnreadableRecordException("field 'producedAt' is not an ISO-8601 instant: '" + text + "'", e);
        }
    }

    private static String kind(JsonNode node) {
        return node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
