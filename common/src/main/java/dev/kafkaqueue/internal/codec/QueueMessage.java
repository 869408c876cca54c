package dev.kafkaqueue.internal.codec;

import java.time.Instant;
import java.util.Objects;

/**
 * What travels through the queue topic: an {@link Item} of work, or a {@link PoisonPill} that says a producer's run
 * is over on that partition. Encoded and decoded by {@link RecordCodec}.
 */
public sealed interface QueueMessage permits QueueMessage.Item, QueueMessage.PoisonPill {

    /** The only schema version this build writes and reads. */
    int SCHEMA_VERSION = 1;

    /** The producer run this message belongs to. */
    String runId();

    /** When the producer created the message. */
    Instant producedAt();

    /**
     * One unit of work, the {@code item} in {@code queue.put(item)}.
     *
     * @param id         the item's number within its run; together with {@code runId} it is the dedup key
     * @param payload    the item: a JSON string's text when {@code json} is false, else the JSON text of any other
     *                   JSON value (an object, an array, a number, a boolean), as Jackson writes it compactly
     * @param json       whether {@code payload} is JSON text rather than a string's value
     * @param runId      the producer run that put it
     * @param producedAt when it was put
     */
    record Item(long id, String payload, boolean json, String runId, Instant producedAt) implements QueueMessage {
        public Item {
            if (id < 0) {
                throw new IllegalArgumentException("item id must be >= 0, was " + id);
            }
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(producedAt, "producedAt");
        }

        /** An item whose payload is text: a JSON string in the envelope. */
        public Item(long id, String text, String runId, Instant producedAt) {
            this(id, text, false, runId, producedAt);
        }

        /** The key under which processing is idempotent: a redelivered item has the same key. */
        public String dedupKey() {
            return runId + " " + id;
        }
    }

    /**
     * The {@code None} sentinel: a control record, one per partition, sent after a run's last item. It has no item
     * id and a distinct {@code type}, so it cannot be mistaken for an item.
     */
    record PoisonPill(String runId, Instant producedAt) implements QueueMessage {

        public PoisonPill {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(producedAt, "producedAt");
        }
    }
}
