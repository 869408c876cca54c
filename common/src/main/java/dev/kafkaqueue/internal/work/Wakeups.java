package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The two reasons to wake the poll thread out of a blocking Kafka call, told apart: a <em>stop</em> (SIGTERM), which
 * ends the loop, and a worker's <em>nudge</em> (something finished that is worth committing now), which does not.
 * {@code KafkaConsumer#wakeup()} is the only way into a blocked {@code poll()}, and it cannot say which it is.
 */
final class Wakeups {

    private volatile Consumer<?, ?> consumer;
    private volatile boolean running = true;
    private volatile boolean finishing;

    /** The consumer to wake; null once it is closed. */
    void attach(Consumer<?, ?> consumer) {
        this.consumer = consumer;
    }

    boolean running() {
        return running;
    }

    /** Ends the loop: its blocking calls throw {@link WakeupException}. Any thread. */
    void stop() {
        running = false;
        nudge();
    }

    /** The loop is over: the items in hand, the final commit and the revoke on close must still happen. */
    void finishing() {
        finishing = true;
    }

    /** Wakes the poll thread to commit. Any thread. */
    void nudge() {
        Consumer<?, ?> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    /** Polls; a nudge ends the poll early with no records, a stop throws (until the loop is over). */
    <K, V> ConsumerRecords<K, V> poll(Consumer<K, V> kafka, Duration timeout) {
        try {
            return kafka.poll(timeout);
        } catch (WakeupException e) {
            if (!running && !finishing) {
                throw e;
            }
            return ConsumerRecords.empty();
        }
    }

    /**
     * Runs a blocking consumer call, again when a nudge interrupted it. A stop's wakeup ends the loop's calls; once the
     * loop is over it is retried too (each wakeup is spent by the call it interrupts).
     */
    <T> T call(Supplier<T> call) {
        while (true) {
            try {
                return call.get();
            } catch (WakeupException e) {
                if (!running && !finishing) {
                    throw e;
                }
            }
        }
    }
}
