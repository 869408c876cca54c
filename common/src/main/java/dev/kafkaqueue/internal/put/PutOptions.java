package dev.kafkaqueue.internal.put;

import dev.kafkaqueue.internal.ClientConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the queue puts, checked by whoever built it (the queue's builder).
 *
 * @param client          how to reach the cluster
 * @param topic           the queue's topic
 * @param group           the group whose progress bounds {@code maxsize}
 * @param maxsize         the bound on unfinished items; 0 is unbounded
 * @param runId           names this queue's puts; with an item's id it is the dedup key
 * @param firstItemId     the id of the first item put; the next ones count up from it
 * @param transactionalId send in transactions under this id, if present
 * @param putTimeout      the longest a put waits for room; empty waits as long as it takes
 * @param lagInterval     the least time between two samples of the group's progress while full
 * @param requestTimeout  the longest one admin call may take
 */
public record PutOptions(ClientConfig client, String topic, String group, int maxsize, String runId, long firstItemId,
                         Optional<String> transactionalId, Optional<Duration> putTimeout, Duration lagInterval,
                         Duration requestTimeout) {

    public PutOptions {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(transactionalId, "transactionalId");
        Objects.requireNonNull(putTimeout, "putTimeout");
        Objects.requireNonNull(lagInterval, "lagInterval");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
    }
}
