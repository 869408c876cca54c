/**
 * The engine under {@link dev.kafkaqueue.KafkaQueue}: internal, with no compatibility promise; programs use
 * {@code dev.kafkaqueue} only. Its parts, top down: {@code work} (the poll loop and its two backends, the work pool and
 * the hand-off to getters, task_done's finished prefix and commits, the closure on pills, dead letters, the dedup
 * window), {@code put} (the producer and the backpressure gate), {@code lag} (lag and join, as Kafka's tools count
 * them), {@code codec} (the record envelope and the items' JSON); here, what they share (client settings, startup
 * checks, error sorting). Nothing here knows the API above it or the command lines.
 */
package dev.kafkaqueue.internal;
