package dev.kafkaqueue.internal.lag;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** A topic's partitions and their offsets, as both lag readers ask the cluster for them. */
final class TopicOffsets {

    private final Admin admin;
    private final Duration requestTimeout;

    TopicOffsets(Admin admin, Duration requestTimeout) {
        this.admin = admin;
        this.requestTimeout = requestTimeout;
    }

    /** The admin client it asks. */
    Admin admin() {
        return admin;
    }

    /** The topic's partitions in order, described afresh (partitions added later count); none if it is missing. */
    List<TopicPartition> partitions(String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        return partitions(topic, describe(topic));
    }

    /** Asks for the topic's description, without waiting: see {@link #partitions(String, KafkaFuture)}. */
    KafkaFuture<Map<String, TopicDescription>> describe(String topic) {
        return admin.describeTopics(List.of(topic)).allTopicNames();
    }

    /** The partitions a {@link #describe} answered, in order; none if the topic is missing. */
    List<TopicPartition> partitions(String topic, KafkaFuture<Map<String, TopicDescription>> described)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            TopicDescription description = described.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic);
            return description.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                    .toList();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return List.of();
            }
            throw e;
        }
    }

    /** The offset {@code spec} names (earliest, latest) of each partition. */
    Map<TopicPartition, Long> of(List<TopicPartition> partitions, OffsetSpec spec)
            throws InterruptedException, ExecutionException, TimeoutException {
        return await(request(partitions, spec));
    }

    /** Asks for the offset {@code spec} names of each partition, without waiting: see {@link #await}. */
    KafkaFuture<Map<TopicPartition, ListOffsetsResultInfo>> request(List<TopicPartition> partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = partitions.stream()
                .collect(Collectors.toMap(Function.identity(), tp -> spec));
        return admin.listOffsets(request).all();
    }

    /** The offsets a {@link #request} answered, waiting up to the request timeout. */
    Map<TopicPartition, Long> await(KafkaFuture<Map<TopicPartition, ListOffsetsResultInfo>> answer)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        answer.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }
}
