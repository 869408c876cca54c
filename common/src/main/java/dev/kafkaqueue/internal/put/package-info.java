/** The producer side: {@link dev.kafkaqueue.internal.put.Putter} and the backpressure gate of {@code maxsize}. Internal. */
package dev.kafkaqueue.internal.put;
