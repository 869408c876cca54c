package dev.kafkaqueue.internal.lag;

import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads chosen records of partitions with a group-less consumer ({@code assign} and {@code seek}, no commits): the
 * last one, the way a share-group member learns that a partition ends with a poison pill, which only one member
 * received; and the one at an offset, for the CreateTime of a group's oldest unfinished record.
 *
 * <p>The Kafka consumer is created on first use and owned by the thread that uses this object. It reads at most the
 * last two offsets of each partition, so a transaction's commit marker after the last record does not hide it.
 */
public final class PartitionTail implements AutoCloseable {

    private final ClientConfig client;
    private final Duration timeout;
    private final RecordCodec codec = new RecordCodec();
    private KafkaConsumer<byte[], byte[]> consumer;

    /**
     * @param client  how to reach the cluster
     * @param timeout the longest a {@link #last} call waits for the records
     */
    public PartitionTail(ClientConfig client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    /**
     * The message of each partition's last record below its end offset. A partition is absent when its log is empty
     * between {@code start} and {@code end}, when its last record cannot be read as a queue message, or when the
     * records did not arrive within the timeout.
     *
     * @param start log start offsets
     * @param end   log end offsets, as the caller read them
     */
    public Map<TopicPartition, QueueMessage> last(Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> from = new HashMap<>();
        end.forEach((tp, e) -> {
            long s = start.getOrDefault(tp, 0L);
            if (e > s) {
                from.put(tp, Math.max(s, e - 2));
            }
        });
        Map<TopicPartition, QueueMessage> last = new HashMap<>();
        if (from.isEmpty()) {
            return last;
        }
        KafkaConsumer<byte[], byte[]> kafka = consumer();
        kafka.assign(from.keySet());
        from.forEach(kafka::seek);
        Map<TopicPartition, ConsumerRecord<byte[], byte[]>> lastRecord = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0 && !reachedEnd(kafka, from, end)) {
            for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(200))) {
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < end.get(tp)) {
                    lastRecord.merge(tp, record, (a, b) -> b.offset() > a.offset() ? b : a);
                }
            }
        }
        lastRecord.forEach((tp, record) -> {
            try {
                last.put(tp, codec.decode(record.value()));
            } catch (UnreadableRecordException e) {
                // Not a queue message: it cannot be a pill, so the partition is not closed.
            }
        });
        return last;
    }

    /**
     * The CreateTime of the first record at or after each offset, below each partition's end: the oldest unfinished
     * record's age, where {@code from} is a group's committed offset. A partition is absent when no record came within
     * the timeout (a range of transaction markers, say).
     *
     * @param from the offsets to read at
     * @param end  log end offsets, as the caller read them
     */
    public Map<TopicPartition, Long> timestamps(Map<TopicPartition, Long> from, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> times = new HashMap<>();
        Map<TopicPartition, Long> wanted = new HashMap<>();
        from.forEach((tp, offset) -> {
            if (end.getOrDefault(tp, 0L) > offset) {
                wanted.put(tp, offset);
            }
        });
        if (wanted.isEmpty()) {
            return times;
        }
        KafkaConsumer<byte[], byte[]> kafka = consumer();
        kafka.assign(wanted.keySet());
        wanted.forEach(kafka::seek);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0 && times.size() < wanted.size()) {
            for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(200))) {
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                if (record.offset() >= wanted.get(tp)) {
                    times.putIfAbsent(tp, record.timestamp());
                }
            }
            times.keySet().forEach(tp -> kafka.pause(List.of(tp))); // one record each is all it needs
        }
        kafka.resume(kafka.paused());
        return times;
    }

    private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> kafka, Map<TopicPartition, Long> from,
                                      Map<TopicPartition, Long> end) {
        return from.keySet().stream().allMatch(tp -> kafka.position(tp) >= end.get(tp));
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        if (consumer == null) {
            Map<String, Object> props = client.clientProperties();
            // Group-less: it reads two offsets per partition and must never join or commit for the queue's group.
            props.remove(ConsumerConfig.GROUP_ID_CONFIG);
            props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
            ClientConfig.putOwned(props, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            ClientConfig.putOwned(props, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            ClientConfig.putOwned(props, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            // A share group reads uncommitted by default (share.isolation.level), and so does its tail check.
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
            // It reads records that exist, below the ends it was given. A fetch it left in flight at a partition's end
            // (the consumer fetches ahead) would make the next read wait out fetch.max.wait.ms (500 ms) first: a
            // closure check after a pill took 0.6 s for that.
            props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-queue-tail-" + ProcessHandle.current().pid());
            consumer = new KafkaConsumer<>(props);
        }
        return consumer;
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            consumer = null;
        }
    }
}
