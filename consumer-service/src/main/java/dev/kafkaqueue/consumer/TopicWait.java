package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.cli.GracefulShutdown;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Waits, before the consumer joins its group, until the queue's topic exists: a consumer started before the first
 * producer says so plainly instead of leaving Kafka's client to warn about the missing topic once a second.
 *
 * <p>Prints {@code Waiting for topic T to be created} once, then a reminder every {@link #REMINDER_INTERVAL}. Asks
 * the broker every {@link #CHECK_INTERVAL}, each call bounded by the connect timeout; a broker that stops answering
 * meanwhile is named in the reminder, and the wait goes on. There is no other time limit: a queue's consumers may
 * rightly start long before its producer. SIGTERM ends the wait at once with exit code 0, as it ends a consumer.
 */
final class TopicWait {

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    static final Duration REMINDER_INTERVAL = Duration.ofSeconds(30);
    /** The wait stops on its own at once; this only bounds a describe call already under way. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final Admin admin;
    private final String topic;
    private final Duration callTimeout;
    private final PrintStream out;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    TopicWait(Admin admin, String topic, Duration callTimeout, PrintStream out) {
        this.admin = admin;
        this.topic = topic;
        this.callTimeout = callTimeout;
        this.out = out;
    }

    /**
     * Returns once {@code topic} exists, with SIGTERM handled meanwhile.
     *
     * @return true when the topic exists; false when a signal ended the wait (the process then exits 0)
     * @throws Exception what the broker answered when it is not "unknown topic", e.g. a missing ACL
     */
    static boolean untilCreated(Admin admin, String topic, Duration callTimeout) throws Exception {
        TopicWait wait = new TopicWait(admin, topic, callTimeout, System.out);
        return GracefulShutdown.run(wait::stop, GRACE, wait::await) == ExitCode.OK && !wait.stopped.isDone();
    }

    /** Ends the wait; safe from any thread. */
    void stop() {
        stopped.complete(null);
    }

    /** Waits until the topic exists or {@link #stop()}; returns {@link ExitCode#OK} either way. */
    int await() throws Exception {
        long started = System.nanoTime();
        long nextReminder = started;
        boolean waited = false;
        while (!stopped.isDone()) {
            String trouble = null;
            try {
                TopicDescription description = describe();
                if (description == null) {
                    break; // stopped while asking
                }
                if (waited) {
                    int partitions = description.partitions().size();
                    out.println("Topic " + topic + " exists now, with " + partitions
                            + (partitions == 1 ? " partition" : " partitions"));
                }
                return ExitCode.OK;
            } catch (UnknownTopicOrPartitionException e) {
                // the answer this wait is for: not yet
            } catch (TimeoutException e) {
                trouble = "last check: no answer within " + callTimeout.toSeconds() + "s";
            } catch (ExecutionException e) {
                if (!KafkaErrors.isRetriable(e)) {
                    throw e; // e.g. no DESCRIBE on the topic: waiting would not help
                }
                trouble = "last check: " + KafkaErrors.rootMessage(e);
            }
            long now = System.nanoTime();
            if (now - nextReminder >= 0) {
                String why = trouble == null ? "" : " (" + trouble + ")";
                out.println(waited
                        ? "Still waiting for topic " + topic + " to be created, after "
                                + TimeUnit.NANOSECONDS.toSeconds(now - started) + "s" + why
                        : "Waiting for topic " + topic + " to be created" + why);
                waited = true;
                nextReminder = now + REMINDER_INTERVAL.toNanos();
            }
            pause(CHECK_INTERVAL);
        }
        out.println("Stopped by signal while waiting for topic " + topic + " to be created");
        return ExitCode.OK;
    }

    /** The topic's description; null when stopped first. */
    private TopicDescription describe() throws Exception {
        int ms = (int) Math.min(Integer.MAX_VALUE, callTimeout.toMillis());
        CompletableFuture<TopicDescription> call = admin.describeTopics(List.of(topic),
                        new DescribeTopicsOptions().timeoutMs(ms)).allTopicNames()
                .thenApply(all -> all.get(topic)).toCompletionStage().toCompletableFuture();
        try {
            Object first = CompletableFuture.anyOf(call, stopped).get(ms + 1_000L, TimeUnit.MILLISECONDS);
            return first instanceof TopicDescription description ? description : null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause(); // thenApply wraps the admin call's own failure
            }
            if (cause instanceof UnknownTopicOrPartitionException unknown) {
                throw unknown;
            }
            throw new ExecutionException(cause);
        }
    }

    private void pause(Duration duration) throws InterruptedException, ExecutionException {
        try {
            stopped.get(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the pause is over and nobody stopped the wait
        }
    }
}
