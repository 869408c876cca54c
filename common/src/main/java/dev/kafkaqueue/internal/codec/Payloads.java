package dev.kafkaqueue.internal.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A queue's items of type {@code T} as the envelope's payload, mapped with Jackson: a {@code String} is the payload's
 * text, a {@link JsonNode} the payload itself, and any other type (records, POJOs, {@code byte[]} as base64) what
 * Jackson makes of it. Strings and text nodes never touch the mapper, so a queue of strings does not load Jackson's
 * databind at all. Thread-safe.
 *
 * @param <T> the item type
 */
public final class Payloads<T> {

    private final Class<T> type;
    private final Supplier<ObjectMapper> mappers;
    private volatile ObjectMapper mapper;
    private volatile ObjectReader reader;
    private volatile ObjectWriter writer;

    private Payloads(Class<T> type, Supplier<ObjectMapper> mappers) {
        this.type = Objects.requireNonNull(type, "type");
        this.mappers = Objects.requireNonNull(mappers, "mappers");
    }

    /**
     * @param type    what items are
     * @param mappers makes the Jackson mapper, once, at the first item that needs it
     */
    public static <T> Payloads<T> of(Class<T> type, Supplier<ObjectMapper> mappers) {
        return new Payloads<>(type, mappers);
    }

    /** The item type. */
    public Class<T> type() {
        return type;
    }

    /**
     * The envelope item for {@code value}.
     *
     * @throws IllegalArgumentException when Jackson cannot write the value, naming the type and the reason
     * @throws NullPointerException     for a null value: null is not an item ({@code shutdown()} is the sentinel)
     */
    public QueueMessage.Item item(long id, T value, String runId, Instant producedAt) {
        Objects.requireNonNull(value, "item (null is not an item; shutdown() is the sentinel)");
        if (value instanceof String text) {
            return new QueueMessage.Item(id, text, false, runId, producedAt);
        }
        if (value instanceof TextNode text) {
            return new QueueMessage.Item(id, text.textValue(), false, runId, producedAt);
        }
        if (value instanceof JsonNode node) {
            if (node.isNull() || node.isMissingNode()) {
                throw new IllegalArgumentException("a JSON null is not an item (shutdown() is the sentinel)");
            }
            return new QueueMessage.Item(id, node.toString(), true, runId, producedAt);
        }
        try {
            String json = writer().writeValueAsString(value);
            if ("null".equals(json)) {
                throw new IllegalArgumentException("Jackson writes this " + value.getClass().getName()
                        + " as null, which is not an item");
            }
            return new QueueMessage.Item(id, json, true, runId, producedAt);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * The item's payload as a {@code T}.
     *
     * @throws UnreadableRecordException naming the type and Jackson's reason when the payload does not map: the
     *                                   caller dead-letters the record
     */
    @SuppressWarnings("unchecked") // each branch checked type first
    public T value(QueueMessage.Item item) throws UnreadableRecordException {
        if (!item.json() && type == String.class) {
            return (T) item.payload();
        }
        if (!item.json() && (type == JsonNode.class || type == TextNode.class)) {
            return (T) TextNode.valueOf(item.payload());
        }
        try {
            if (type == JsonNode.class) {
                return (T) mapper().readTree(item.payload());
            }
            return item.json() ? reader().readValue(item.payload()) : reader().readValue(TextNode.valueOf(
                    item.payload()));
        } catch (java.io.IOException | IllegalArgumentException e) {
            String reason = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
            throw new UnreadableRecordException("payload of item " + item.id() + " does not map to "
                    + type.getName() + ": " + firstLine(reason), e);
        }
    }

    private ObjectMapper mapper() {
        ObjectMapper current = mapper;
        if (current == null) {
            synchronized (this) {
                if (mapper == null) {
                    mapper = Objects.requireNonNull(mappers.get(), "objectMapper");
                }
                current = mapper;
            }
        }
        return current;
    }

    private ObjectReader reader() {
        ObjectReader current = reader;
        if (current == null) {
            current = mapper().readerFor(type);
            reader = current; // a benign race: readers are immutable and equal
        }
        return current;
    }

    private ObjectWriter writer() {
        ObjectWriter current = writer;
        if (current == null) {
            current = mapper().writer(); // the value's own class: a subclass keeps its fields
            writer = current;
        }
        return current;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
