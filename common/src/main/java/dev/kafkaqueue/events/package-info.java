/**
 * {@link dev.kafkaqueue.events.QueueListener}: what a queue reports as it works, for logs, command lines and tests;
 * and {@link dev.kafkaqueue.events.DeadLetterHeaders}: what a failed item's exception adds to its dead letter.
 */
package dev.kafkaqueue.events;
