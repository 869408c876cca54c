package dev.kafkaqueue.queue;

import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;

/**
 * Which kind of Kafka group works the queue, named after Kafka's own group types ({@code kafka-groups --list}).
 * Chosen with {@code --group-type} (env {@code QUEUE_GROUP_TYPE}); the default is {@link #CONSUMER}.
 */
public enum GroupType {

    /**
     * A consumer group: each partition belongs to one member, {@code task_done} is an offset commit, and lag is
     * log end offset minus committed offset, as {@code kafka-consumer-groups --describe} shows it. Parallelism stops
     * at the partition count.
     */
    CONSUMER,

    /**
     * A share group (KIP-932): any number of members take records from the same partitions, and each record is
     * acknowledged on its own ({@code ACCEPT}, {@code RELEASE}, {@code REJECT}). Lag is the broker's, from
     * {@code Admin.listShareGroupOffsets}, as {@code kafka-share-groups --describe} shows it.
     */
    SHARE;

    /**
     * The reader of this kind of group's lag.
     *
     * @param admin          borrowed, not closed
     * @param tail           borrowed, not closed; only a share group uses it (to see a pill as the last record)
     * @param requestTimeout the limit for each admin call
     */
    public GroupLagReader lagReader(Admin admin, PartitionTail tail, Duration requestTimeout) {
        return this == SHARE ? new ShareLagReader(admin, tail, requestTimeout) : new LagReader(admin, requestTimeout);
    }

    /** The flag's spelling: {@code consumer} or {@code share}. */
    public String flag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
