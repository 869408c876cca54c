package dev.kafkaqueue.internal.codec;

import java.util.Optional;

/**
 * A partition closed by a poison pill, as the committed offset's metadata carries it to every member of the group and
 * to {@code join}: {@code kafka-queue:pill:<run>:<epoch-ms>}, with {@code :dropped:<n>} after it when an immediate
 * shutdown dropped {@code n} items of the partition unworked. Any other metadata is not a closure.
 *
 * @param runId            the run whose pill closed the partition
 * @param producedAtMillis when the pill was put, in epoch milliseconds
 * @param dropped          items an immediate shutdown committed past without working them; 0 for a plain closure
 */
public record Closure(String runId, long producedAtMillis, long dropped) {

    /** The metadata prefix of every closure. */
    public static final String PREFIX = "kafka-queue:pill:";
    private static final String DROPPED = ":dropped:";

    /** A closure by a pill, with nothing dropped. */
    public Closure(String runId, long producedAtMillis) {
        this(runId, producedAtMillis, 0);
    }

    /** The pill's closure. */
    public static Closure of(QueueMessage.PoisonPill pill) {
        return new Closure(pill.runId(), pill.producedAt().toEpochMilli());
    }

    /** This closure, with {@code more} items dropped. */
    public Closure droppedMore(long more) {
        return new Closure(runId, producedAtMillis, dropped + more);
    }

    /** The commit metadata. */
    public String metadata() {
        return PREFIX + runId + ":" + producedAtMillis + (dropped > 0 ? DROPPED + dropped : "");
    }

    /** True when commit {@code metadata} is a closure. */
    public static boolean isClosure(String metadata) {
        return parse(metadata).isPresent();
    }

    /** The closure in commit {@code metadata}; empty for none, or for someone else's metadata. */
    public static Optional<Closure> parse(String metadata) {
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String rest = metadata.substring(PREFIX.length());
        try {
            long dropped = 0;
            int drop = rest.lastIndexOf(DROPPED);
            if (drop >= 0) {
                dropped = Long.parseLong(rest.substring(drop + DROPPED.length()));
                rest = rest.substring(0, drop);
            }
            int colon = rest.lastIndexOf(':');
            return Optional.of(new Closure(rest.substring(0, colon), Long.parseLong(rest.substring(colon + 1)),
                    dropped));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
