package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.InvalidSettingException;
import dev.kafkaqueue.queue.QueueMessage;
import java.util.HashMap;
import java.util.Map;

/**
 * A test hook: makes processing of chosen item ids throw. {@code "3,7"} fails ids 3 and 7 on every attempt;
 * {@code "5:2"} fails id 5 on its first 2 attempts only, a failure that clears.
 */
final class InjectedFailures implements ItemProcessor {

    private final ItemProcessor next;
    private final Map<Long, Integer> failuresLeft;

    private InjectedFailures(ItemProcessor next, Map<Long, Integer> failuresLeft) {
        this.next = next;
        this.failuresLeft = failuresLeft;
    }

    /**
     * Wraps {@code next} as the spec says; an empty spec returns {@code next} itself.
     *
     * @throws dev.kafkaqueue.queue.InvalidSettingException naming the bad part of the spec
     */
    static ItemProcessor wrap(ItemProcessor next, String spec) {
        if (spec == null || spec.isBlank()) {
            return next;
        }
        Map<Long, Integer> failures = new HashMap<>();
        for (String part : spec.split(",")) {
            String[] idAndTimes = part.trim().split(":");
            try {
                long id = Long.parseLong(idAndTimes[0]);
                int times = idAndTimes.length > 1 ? Integer.parseInt(idAndTimes[1]) : Integer.MAX_VALUE;
                failures.put(id, times);
            } catch (NumberFormatException e) {
                throw new dev.kafkaqueue.queue.InvalidSettingException("--fail-items: '" + part + "' is not ID or ID:TIMES");
            }
        }
        return new InjectedFailures(next, failures);
    }

    @Override
    public void process(QueueMessage.Item item) throws Exception {
        Integer left = failuresLeft.get(item.id());
        if (left != null && left > 0) {
            failuresLeft.put(item.id(), left - 1);
            throw new IllegalStateException("injected failure for item " + item.id());
        }
        next.process(item);
    }
}
