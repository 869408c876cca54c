/**
 * The consumer side: {@link dev.kafkaqueue.internal.work.Engine}'s poll loop over a consumer group or a share group,
 * the work handed to {@code process()}'s workers or to getters, and what happens to each record between
 * {@code get()} and {@code taskDone()}. Internal.
 */
package dev.kafkaqueue.internal.work;
