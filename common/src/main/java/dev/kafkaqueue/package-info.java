/**
 * Python's {@code asyncio.Queue} between processes and machines, through Apache Kafka: {@link dev.kafkaqueue.KafkaQueue},
 * its {@link dev.kafkaqueue.KafkaQueue.Builder} and {@link dev.kafkaqueue.KafkaQueue.Task}, and the three exceptions
 * asyncio has: {@link dev.kafkaqueue.QueueFull}, {@link dev.kafkaqueue.QueueEmpty} and
 * {@link dev.kafkaqueue.QueueShutDown}. This package, {@code dev.kafkaqueue.options} and {@code dev.kafkaqueue.events}
 * are the public API; {@code dev.kafkaqueue.internal} is the engine under it, with no compatibility promise, and
 * {@code dev.kafkaqueue.cli} is what the command lines share.
 */
package dev.kafkaqueue;
