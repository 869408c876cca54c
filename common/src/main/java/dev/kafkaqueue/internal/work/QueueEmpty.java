package dev.kafkaqueue.internal.work;

import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code queue.empty()}: prints {@code Queue empty} once each time everything assigned has been fetched. Fetched is
 * not done (that is {@code join()}): the records may still be in the workers' hands. Poll thread only.
 */
final class QueueEmpty {

    private boolean reported;

    /** Called after every poll; only an empty poll can find the queue empty. */
    void afterPoll(Consumer<?, ?> kafka, boolean pollWasEmpty) {
        if (!pollWasEmpty) {
            reported = false;
            return;
        }
        Set<TopicPartition> assignment = kafka.assignment();
        if (reported || assignment.isEmpty()) {
            return;
        }
        boolean empty = assignment.stream().map(kafka::currentLag)
                .allMatch(lag -> lag.isPresent() && lag.getAsLong() == 0);
        if (empty) {
            reported = true;
            System.out.println("Queue empty: every assigned partition fetched to its end");
        }
    }
}
