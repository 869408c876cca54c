package dev.kafkaqueue.queue;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a group's progress on a topic: what {@link Join} waits on and what the {@link BackpressureGate} samples.
 * {@link LagReader} reads a consumer group, {@link ShareLagReader} a share group.
 */
public interface GroupLagReader {

    /** A full snapshot: every partition of the topic, the group's progress on each, and its membership. */
    LagSnapshot snapshot(String topic, String group) throws InterruptedException, ExecutionException, TimeoutException;

    /**
     * Per partition, an offset with at least as many records at or after it as are unfinished: the committed offset
     * of a consumer group; for a share group, end offset minus the broker's lag. The backpressure gate counts the
     * producer's records at or after it as unfinished. Partitions without one are absent.
     */
    Map<TopicPartition, Long> committed(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException;
}
