/**
 * A group's progress on a topic, read with the Admin client as Kafka's own tools read it, and {@code join} on it.
 * Internal.
 */
package dev.kafkaqueue.internal.lag;
