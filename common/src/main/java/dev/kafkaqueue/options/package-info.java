/**
 * The modes a {@link dev.kafkaqueue.KafkaQueue} is built with: which kind of Kafka group works it
 * ({@link dev.kafkaqueue.options.GroupType}), when {@code taskDone()} commits ({@link dev.kafkaqueue.options.CommitMode}),
 * and which items {@code process()} may work side by side ({@link dev.kafkaqueue.options.Ordering}). Plain values with
 * no behaviour, shared by the queue's API, its engine and the command lines.
 */
package dev.kafkaqueue.options;
