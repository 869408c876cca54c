package dev.kafkaqueue.producer;

import static dev.kafkaqueue.internal.Words.items;
import static dev.kafkaqueue.internal.Words.plural;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.QueueFull;
import dev.kafkaqueue.QueueShutDown;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.ItemLog;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.StopSignal;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * One run's puts through the queue: the items (each waits while the queue is full), then the poison pills
 * ({@code shutdown()}), then a flush and one report line.
 *
 * <p>It stops early, and says why, on a failed send, on fencing (another producer with the same transactional id),
 * on a backpressure timeout, or when {@code stop} is signalled (the queue is then closed from the signal's thread): it
 * flushes what it sent, reports and sends no pills, so consumers keep waiting for a run that did not finish.
 */
final class Put {

    /** Why the puts ended. */
    enum Ending { ALL_PUT, SEND_FAILED, FENCED, BACKPRESSURE_TIMEOUT, SIGNAL }

    /** What the puts go to: a {@link KafkaQueue}, as {@link #of}; in tests, its producer over a mock. */
    interface Target {
        CompletableFuture<Void> putAsync(JsonNode item) throws InterruptedException;

        void flush();

        void shutdown();

        void close();

        long acknowledged();

        /** The queue's puts. */
        static Target of(KafkaQueue<JsonNode> queue) {
            return new Target() {
                @Override
                public CompletableFuture<Void> putAsync(JsonNode item) throws InterruptedException {
                    return queue.putAsync(item);
                }

                @Override
                public void flush() {
                    queue.flush();
                }

                @Override
                public void shutdown() {
                    queue.shutdown();
                }

                @Override
                public void close() {
                    queue.close();
                }

                @Override
                public long acknowledged() {
                    return queue.acknowledged();
                }
            };
        }
    }

    private final ProducerSettings settings;
    private final ProducerOutput output;
    private final ItemLog items;
    private final StopSignal stop;
    private final PrintStream out;
    /** Items in committed transactions: their puts' futures completed. */
    private final LongAdder committed = new LongAdder();
    private final long startedNanos = System.nanoTime();
    private String timeoutMessage;
    private Exception failure;

    Put(ProducerSettings settings, ProducerOutput output, ItemLog items, StopSignal stop, PrintStream out) {
        this.settings = settings;
        this.output = output;
        this.items = items;
        this.stop = stop;
        this.out = out;
    }

    /**
     * Puts the run and returns the exit code; the report is printed once every put is acknowledged. A run that ended
     * early closes the queue (on a signal, the signal's thread closes it already; this waits for that).
     */
    int run(Target queue) throws InterruptedException {
        Ending ending;
        try {
            ending = putItems(queue);
            if (ending == Ending.ALL_PUT && settings.run().pills() == ProducerSettings.Pills.SEND) {
                queue.shutdown(); // the pills, once every item is acknowledged
            }
            queue.flush();
        } catch (QueueShutDown e) {
            ending = Ending.SIGNAL; // the signal's thread closed the queue during a put
        } catch (KafkaException e) {
            failure = e;
            ending = isFenced(e) ? Ending.FENCED : Ending.SEND_FAILED;
        }
        if (ending != Ending.ALL_PUT) {
            queue.close(); // flushes what was sent: the report means nothing until every send is acknowledged
        }
        items.finish();
        return report(ending, queue.acknowledged());
    }

    private Ending putItems(Target queue) throws InterruptedException {
        Duration interval = settings.pacing().interval();
        boolean transactional = settings.run().transactionalId().isPresent();
        for (long id = 0; id < settings.run().count(); id++) {
            if (stop.isStopped()) {
                return Ending.SIGNAL;
            }
            if (!interval.isZero()) {
                if (transactional) {
                    queue.flush(); // never hold a transaction open across a wait: consumers could not see its items
                }
                if (stop.sleep(interval)) {
                    return Ending.SIGNAL;
                }
            }
            CompletableFuture<Void> put;
            try {
                put = queue.putAsync(TextNode.valueOf("item-" + id));
            } catch (QueueFull e) {
                timeoutMessage = e.getMessage();
                return Ending.BACKPRESSURE_TIMEOUT;
            } catch (QueueShutDown e) {
                return Ending.SIGNAL;
            }
            if (transactional) {
                put.thenRun(committed::increment);
            }
        }
        return Ending.ALL_PUT;
    }

    private int report(Ending ending, long acknowledged) {
        String acked = acknowledged + " of " + items(settings.run().count()) + " acknowledged";
        switch (ending) {
            case FENCED -> {
                out.println("Producer fenced: another producer started with the same --transactional-id '"
                        + settings.run().transactionalId().orElse("") + "' and took over; " + acked + ", "
                        + committed.sum() + " of them in committed transactions (the open one is aborted); "
                        + "no poison pills sent");
                return ExitCode.FAILURE;
            }
            case SEND_FAILED -> {
                out.println("Producer failed: " + acked + "; a send failed: " + KafkaErrors.rootMessage(failure));
                return ExitCode.FAILURE;
            }
            case BACKPRESSURE_TIMEOUT -> {
                out.println("Producer stopped: " + timeoutMessage + "; " + acked + ", no poison pills sent");
                return ExitCode.TIMEOUT;
            }
            case SIGNAL -> {
                out.println("Producer stopped by signal: " + acked + ", no poison pills sent");
                return ExitCode.FAILURE;
            }
            default -> {
                double seconds = (System.nanoTime() - startedNanos) / 1e9;
                out.println(String.format(Locale.ROOT, "Producer done: %s and %s acknowledged in %.1fs (%.1f items/s)"
                                + " (run %s)", items(acknowledged), plural(output.pills(), "pill"),
                        seconds, acknowledged / Math.max(seconds, 1e-3), settings.run().runId()));
                return ExitCode.OK;
            }
        }
    }

    /**
     * True when {@code e} (or a cause) says a newer producer with the same transactional id took over. That is
     * {@code ProducerFencedException} or {@code InvalidProducerEpochException}, or {@code InvalidTxnStateException}:
     * the newer producer's {@code initTransactions} has the coordinator abort this one's open transaction, and a
     * commit that arrives during that abort is refused as an invalid state (seen in TransactionsIT on a loaded
     * machine). A transaction timeout would be refused the same way, but the queue commits at least every 100 items
     * and before every wait, far inside {@code transaction.timeout.ms}.
     */
    static boolean isFenced(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ProducerFencedException || cause instanceof InvalidProducerEpochException
                    || cause instanceof InvalidTxnStateException) {
                return true;
            }
        }
        return false;
    }
}
