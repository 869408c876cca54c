package dev.kafkaqueue.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.cli.InvalidSettingException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test hook: makes the work on chosen item ids throw. {@code "3,7"} fails ids 3 and 7 on every attempt;
 * {@code "5:2"} fails id 5 on its first 2 attempts only, a failure that clears.
 */
final class InjectedFailures implements KafkaQueue.Handler<JsonNode> {

    private final KafkaQueue.Handler<JsonNode> next;
    private final Map<Long, Integer> failuresLeft;

    private InjectedFailures(KafkaQueue.Handler<JsonNode> next, Map<Long, Integer> failuresLeft) {
        this.next = next;
        this.failuresLeft = failuresLeft;
    }

    /**
     * Wraps {@code next} as the spec says; an empty spec returns {@code next} itself.
     *
     * @throws InvalidSettingException naming the bad part of the spec
     */
    static KafkaQueue.Handler<JsonNode> wrap(KafkaQueue.Handler<JsonNode> next, String spec) {
        if (spec == null || spec.isBlank()) {
            return next;
        }
        Map<Long, Integer> failures = new ConcurrentHashMap<>();
        for (String part : spec.split(",")) {
            String[] idAndTimes = part.trim().split(":");
            try {
                long id = Long.parseLong(idAndTimes[0]);
                int times = idAndTimes.length > 1 ? Integer.parseInt(idAndTimes[1]) : Integer.MAX_VALUE;
                failures.put(id, times);
            } catch (NumberFormatException e) {
                throw new InvalidSettingException("--fail-items: '" + part + "' is not ID or ID:TIMES");
            }
        }
        return new InjectedFailures(next, failures);
    }

    @Override
    public void handle(KafkaQueue.Task<JsonNode> task) throws Exception {
        boolean[] fail = {false};
        failuresLeft.computeIfPresent(task.id(), (id, times) -> {
            fail[0] = times > 0;
            return fail[0] ? times - 1 : times;
        });
        if (fail[0]) {
            throw new IllegalStateException("injected failure for item " + task.id());
        }
        next.handle(task);
    }
}
