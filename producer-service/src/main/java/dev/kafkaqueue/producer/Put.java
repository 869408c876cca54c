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
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;

/**
 * One run's puts through the queue: the items (each waits while the queue is full), then the poison pills
 * ({@code shutdown()}), then a flush and one report line. The items are generated ({@code --count}) or read, one per
 * line, from an {@link InputLines} ({@code --input}).
 *
 * <p>It stops early, and says why, on a failed send, on fencing (another producer with the same transactional id),
 * on a backpressure timeout, on an input line that cannot be an item (not JSON, too large: the line is named), or when
 * {@code stop} is signalled (the queue is then closed from the signal's thread): it flushes what it sent, reports and
 * sends no pills, so consumers keep waiting for a run that did not finish, and {@code join --closed} does not call it
 * closed.
 */
final class Put {

    /** Why the puts ended. */
    enum Ending { ALL_PUT, SEND_FAILED, FENCED, BACKPRESSURE_TIMEOUT, BAD_INPUT, SIGNAL }

    /** Where the items come from: generated, or the lines of an input. */
    interface Source {
        /** The next item's payload, or null when there are no more. */
        JsonNode next() throws IOException, InputLines.BadLine;

        /** Names the item {@link #next()} returned last, in an error about it: {@code "line 7"}; null if none. */
        String last();

        /** False when {@link #next()} would wait for its input (a pipe that has nothing yet). */
        default boolean ready() throws IOException {
            return true;
        }
    }

    /** {@code --count N}: {@code item-0} to {@code item-<N-1>}. */
    static Source generated(int count) {
        return new Source() {
            private int next;

            @Override
            public JsonNode next() {
                return next < count ? TextNode.valueOf("item-" + next++) : null;
            }

            @Override
            public String last() {
                return null;
            }
        };
    }

    /** {@code --input}: one item per line. */
    static Source lines(InputLines lines) {
        return new Source() {
            @Override
            public JsonNode next() throws IOException, InputLines.BadLine {
                return lines.next();
            }

            @Override
            public String last() {
                return "line " + lines.number();
            }

            @Override
            public boolean ready() throws IOException {
                return lines.ready();
            }
        };
    }

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
    private String badInput;
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
    int run(Target queue, Source source) throws InterruptedException {
        Ending ending;
        try {
            ending = putItems(queue, source);
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

    private Ending putItems(Target queue, Source source) throws InterruptedException {
        Duration interval = settings.pacing().interval();
        boolean transactional = settings.run().transactionalId().isPresent();
        while (true) {
            if (stop.isStopped()) {
                return Ending.SIGNAL;
            }
            JsonNode item;
            try {
                if (transactional && !source.ready()) {
                    // Standard input has nothing yet: no transaction stays open while the input waits (consumers
                    // could not see its items). Without one, the producer's linger sends them anyway.
                    queue.flush();
                }
                item = source.next();
            } catch (InputLines.BadLine e) {
                badInput = e.getMessage();
                return Ending.BAD_INPUT;
            } catch (IOException e) {
                badInput = "cannot read " + inputName() + (source.last() == null ? "" : " after " + source.last())
                        + ": " + e.getMessage();
                return Ending.BAD_INPUT;
            }
            if (item == null) {
                return Ending.ALL_PUT;
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
                put = queue.putAsync(item);
            } catch (RecordTooLargeException e) {
                if (source.last() == null) {
                    throw e;
                }
                badInput = source.last() + ": " + e.getMessage();
                return Ending.BAD_INPUT;
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
    }

    private String inputName() {
        return settings.run().items() instanceof ProducerSettings.Lines lines ? lines.name() : "the input";
    }

    private int report(Ending ending, long acknowledged) {
        String acked = settings.run().items() instanceof ProducerSettings.Generated generated
                ? acknowledged + " of " + items(generated.count()) + " acknowledged"
                : items(acknowledged) + " acknowledged";
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
            case BAD_INPUT -> {
                out.println("Producer stopped: " + badInput + "; " + acked + ", no poison pills sent");
                return ExitCode.USAGE;
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
