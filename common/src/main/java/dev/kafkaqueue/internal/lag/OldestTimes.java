package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.ClientConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the CreateTime of groups' oldest unfinished records ({@link PartitionTail#timestamps}) on a thread of its own,
 * so that a lag snapshot never waits for one: a read takes a fetch, and the first one a consumer's start (hundreds of
 * milliseconds), which held join's done line back by as much. A snapshot shows the times read last. Thread-safe.
 */
public final class OldestTimes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OldestTimes.class);

    private final PartitionTail tail;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kafka-queue-oldest-times");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean reading = new AtomicBoolean();

    /**
     * @param client  how to reach the cluster
     * @param timeout the longest one read waits for its records
     */
    public OldestTimes(ClientConfig client, Duration timeout) {
        this.tail = new PartitionTail(client, timeout);
    }

    /**
     * Asks for the CreateTime of the first record at or after each offset, below each end, unless a read is under way;
     * {@code read} gets the answer, on the reader's thread. Never waits.
     *
     * @return false when a read was under way, and this one not asked
     */
    boolean request(Map<TopicPartition, Long> from, Map<TopicPartition, Long> end,
                    Consumer<Map<TopicPartition, Long>> read) {
        if (!reading.compareAndSet(false, true)) {
            return false;
        }
        Map<TopicPartition, Long> fromCopy = Map.copyOf(from);
        Map<TopicPartition, Long> endCopy = Map.copyOf(end);
        try {
            reader.execute(() -> {
                try {
                    read.accept(tail.timestamps(fromCopy, endCopy));
                } catch (RuntimeException e) {
                    log.debug("Cannot read the oldest unfinished records' times: {}", e.toString());
                } finally {
                    reading.set(false);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            reading.set(false); // closed
            return false;
        }
    }

    /** Stops reading; the tail's consumer is closed on the thread that used it. */
    @Override
    public void close() {
        try {
            reader.execute(tail::close);
        } catch (RejectedExecutionException e) {
            return; // closed already
        }
        reader.shutdown();
        try {
            if (!reader.awaitTermination(10, TimeUnit.SECONDS)) {
                reader.shutdownNow();
            }
        } catch (InterruptedException e) {
            reader.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
