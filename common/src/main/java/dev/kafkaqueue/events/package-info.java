/**
 * {@link dev.kafkaqueue.events.QueueListener}: what a queue reports as it works, for logs, command lines and tests.
 */
package dev.kafkaqueue.events;
