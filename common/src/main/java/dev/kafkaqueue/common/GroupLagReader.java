package dev.kafkaqueue.common;

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
     * Per partition, the offset below which every record is finished: the committed offset of a consumer group,
     * the share-partition start offset of a share group. Partitions without one are absent.
     */
    Map<TopicPartition, Long> committed(String group, String topic)
            throws InterruptedException, ExecutionException, TimeoutException;
}
