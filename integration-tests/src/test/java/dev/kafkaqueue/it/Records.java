package dev.kafkaqueue.it;

import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic with a plain {@link KafkaConsumer} outside any group (assign, seek to beginning,
 * read_committed), to assert what is on it. Transaction markers and aborted records are not returned.
 */
final class Records {

    /** One record, and what it decodes to; {@code message} is null for an unreadable record. */
    record QueueRecord(ConsumerRecord<byte[], byte[]> raw, QueueMessage message) {
        int partition() {
            return raw.partition();
        }

        long offset() {
            return raw.offset();
        }

        boolean isPill() {
            return message instanceof QueueMessage.PoisonPill;
        }

        boolean isItem() {
            return message instanceof QueueMessage.Item;
        }

        /** The item, or an AssertionError. */
        QueueMessage.Item item() {
            if (message instanceof QueueMessage.Item item) {
                return item;
            }
            throw new AssertionError("not an item: " + this);
        }

        @Override
        public String toString() {
            return raw.topic() + "-" + partition() + "@" + offset() + " " + message;
        }
    }

    private Records() {
    }

    /** Every record of the topic on the shared broker, by partition and then offset; limited to 30 s. */
    static List<QueueRecord> read(String topic) {
        return read(Broker.get().bootstrapServers(), topic);
    }

    /** Every record of the topic on the cluster at {@code bootstrapServers}; limited to 30 s. */
    static List<QueueRecord> read(String bootstrapServers, String topic) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                // Items of an aborted or open transaction were never put.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        RecordCodec codec = new RecordCodec();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // With read_committed, endOffsets is the last stable offset: where reading stops.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            List<QueueRecord> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("could not read " + topic + " to its end " + end + " in 30 s");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    records.add(new QueueRecord(record, decode(codec, record)));
                }
            }
            records.sort(Comparator.comparingInt(QueueRecord::partition).thenComparingLong(QueueRecord::offset));
            return records;
        }
    }

    private static QueueMessage decode(RecordCodec codec, ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return codec.decode(record.value());
        } catch (UnreadableRecordException e) {
            return null;
        }
    }
}
