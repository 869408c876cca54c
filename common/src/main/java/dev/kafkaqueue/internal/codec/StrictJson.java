package dev.kafkaqueue.internal.codec;

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
 * {@link RecordCodec}'s general reader and writer, on Jackson: JSON in any field order and layout, every escape, and
 * every kind of wrong input, which the reader names precisely. Its class (and Jackson's) loads on first use only: a
 * stream in the canonical layout never needs it, and a consumer starts that much sooner. Thread-safe.
 */
final class StrictJson {

    private static final Set<String> ITEM_FIELDS = Set.of("schema", "type", "id", "payload", "runId", "producedAt");
    private static final Set<String> PILL_FIELDS = Set.of("schema", "type", "runId", "producedAt");
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private StrictJson() {
    }

    /** Writes the message, escaping what JSON must in any text. {@link EnvelopeWriter} writes the same bytes faster. */
    static byte[] encode(QueueMessage message) {
        ObjectNode node = MAPPER.createObjectNode().put("schema", QueueMessage.SCHEMA_VERSION);
        if (message instanceof QueueMessage.Item item) {
            node.put("type", RecordCodec.ITEM).put("id", item.id());
            if (item.json()) {
                node.set("payload", tree(item.payload()));
            } else {
                node.put("payload", item.payload());
            }
        } else {
            node.put("type", RecordCodec.POISON_PILL);
        }
        node.put("runId", message.runId()).put("producedAt", message.producedAt().toString());
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message, e);
        }
    }

    /** Reads a message in any JSON layout; anything else is rejected, saying what was wrong. */
    static QueueMessage decode(byte[] value) throws UnreadableRecordException {
        JsonNode node;
        try {
            node = MAPPER.readTree(value);
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
            case RecordCodec.ITEM -> {
                requireOnly(node, ITEM_FIELDS);
                long id = requireLong(node, "id");
                if (id < 0) {
                    throw new UnreadableRecordException("field 'id' must be >= 0, was " + id);
                }
                JsonNode payload = require(node, "payload");
                return new QueueMessage.Item(id, payload.isTextual() ? payload.textValue() : payload.toString(),
                        !payload.isTextual(), requireText(node, "runId"), requireInstant(node));
            }
            case RecordCodec.POISON_PILL -> {
                requireOnly(node, PILL_FIELDS);
                return new QueueMessage.PoisonPill(requireText(node, "runId"), requireInstant(node));
            }
            default -> throw new UnreadableRecordException("unknown type '" + type + "'; expected '"
                    + RecordCodec.ITEM + "' or '" + RecordCodec.POISON_PILL + "'");
        }
    }

    /** A payload's JSON text, which its writer (Jackson, or a line checked by Jackson) made: one JSON value. */
    private static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a JSON payload is not one JSON value: " + firstLine(e.getMessage()), e);
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
