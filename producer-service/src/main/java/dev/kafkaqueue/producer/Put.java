package dev.kafkaqueue.producer;

import static dev.kafkaqueue.queue.Words.items;
import static dev.kafkaqueue.queue.Words.plural;

import dev.kafkaqueue.queue.BackpressureGate;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.KafkaErrors;
import dev.kafkaqueue.queue.QueueMessage;
import dev.kafkaqueue.queue.RecordCodec;
import dev.kafkaqueue.queue.StopSignal;
import dev.kafkaqueue.service.ItemLog;
import io.micrometer.core.instrument.Counter;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's puts: the items (waiting at the backpressure gate), then a poison pill on every partition, then a flush
 * and one report line. The thread that calls {@link #run(Producer)} owns the producer.
 *
 * <p>It stops early, and says why, on a failed send, on fencing (another producer with the same transactional id),
 * on a backpressure timeout, or when {@code stop} is signalled: then it commits what it sent, flushes, reports and
 * sends no pills, so consumers keep waiting for a run that did not finish.
 */
final class Put {

    private static final Logger log = LoggerFactory.getLogger(Put.class);
    /** A transaction is committed at least this often, so consumers reading committed data keep moving. */
    static final int MAX_ITEMS_PER_TRANSACTION = 100;

    /** Why the puts ended. */
    private enum Ending { ALL_PUT, SEND_FAILED, FENCED, BACKPRESSURE_TIMEOUT, SIGNAL }

    private final ProducerSettings settings;
    private final BackpressureGate gate;
    /** Items put and acknowledged: the one count, read by the report, join and the meter. */
    private final Counter putCounter;
    private final StopSignal stop;
    private final PrintStream out;
    private final RecordCodec codec = new RecordCodec();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private final AtomicInteger pillsAcknowledged = new AtomicInteger();
    private final long startedNanos = System.nanoTime();
    private String timeoutMessage;

    Put(ProducerSettings settings, BackpressureGate gate, Counter putCounter, StopSignal stop, PrintStream out) {
        this.settings = settings;
        this.gate = gate;
        this.putCounter = putCounter;
        this.stop = stop;
        this.out = out;
    }

    /** Items acknowledged so far. */
    long acknowledged() {
        return (long) putCounter.count();
    }

    /** Puts the run and returns the exit code; the report line is printed. */
    int run(Producer<byte[], byte[]> producer) throws InterruptedException {
        ItemLog items = new ItemLog(settings.itemLog(), "Produced", out, Duration.ofSeconds(5));
        Transactions tx = new Transactions(producer, settings.run().transactionalId().isPresent());
        Ending ending;
        try {
            ending = putItems(producer, tx, items);
            if (ending == Ending.ALL_PUT && settings.run().pills() == ProducerSettings.Pills.SEND) {
                sendPills(producer, tx);
            }
            tx.commit();
        } catch (KafkaException e) {
            if (!isFenced(e) && sendFailure.get() == null) {
                throw e;
            }
            // A fenced producer may send, commit or abort nothing more; after a failed send the transaction is aborted.
            ending = isFenced(e) ? Ending.FENCED : Ending.SEND_FAILED;
            if (ending == Ending.SEND_FAILED) {
                tx.abortQuietly();
            }
        }
        producer.flush(); // join's snapshots and the report mean nothing until every send is acknowledged
        items.finish();
        if (isFenced(sendFailure.get())) {
            ending = Ending.FENCED;
        } else if (sendFailure.get() != null && ending != Ending.FENCED) {
            ending = Ending.SEND_FAILED;
        }
        return report(ending, tx);
    }

    private Ending putItems(Producer<byte[], byte[]> producer, Transactions tx, ItemLog items)
            throws InterruptedException {
        Duration interval = settings.pacing().interval();
        for (long id = 0; id < settings.run().count(); id++) {
            if (stop.isStopped()) {
                return Ending.SIGNAL;
            }
            if (sendFailure.get() != null) {
                return Ending.SEND_FAILED;
            }
            if (!interval.isZero()) {
                tx.commit(); // never hold a transaction open across a wait: consumers could not see its items
                if (stop.sleep(interval)) {
                    return Ending.SIGNAL;
                }
            }
            if (!gate.tryAcquire()) {
                tx.commit();
                try {
                    if (!gate.acquire(settings.pacing().timeout(), stop)) {
                        return Ending.SIGNAL;
                    }
                } catch (TimeoutException e) {
                    timeoutMessage = e.getMessage();
                    return Ending.BACKPRESSURE_TIMEOUT;
                } catch (InterruptedException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new KafkaException("backpressure: cannot read the group's committed offsets", e);
                }
            }
            tx.begin();
            send(producer, items, new QueueMessage.Item(id, "item-" + id, settings.run().runId(), Instant.now()));
            tx.sent();
        }
        return Ending.ALL_PUT;
    }

    private void send(Producer<byte[], byte[]> producer, ItemLog items, QueueMessage.Item item) {
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(settings.queue().topic(), RecordCodec.key(item.id()), codec.encode(item));
        long id = item.id(); // the callback holds the id only: the item is garbage once encoded, not once acknowledged
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                gate.failed();
                if (sendFailure.compareAndSet(null, error)) {
                    if (isFenced(error)) {
                        log.warn("Item {} not put: a newer producer with the same --transactional-id took over",
                                id);
                    } else {
                        log.error("Send of item {} failed; no more items will be put: {}", id, error.toString());
                    }
                }
                return;
            }
            gate.acknowledged(metadata.partition(), metadata.offset());
            putCounter.increment();
            if (items.next()) { // the line is built only when it is printed
                out.println("Produced " + id + " (partition " + metadata.partition() + ", offset "
                        + metadata.offset() + ")");
            }
        });
    }

    private void sendPills(Producer<byte[], byte[]> producer, Transactions tx) {
        List<PartitionInfo> partitions = producer.partitionsFor(settings.queue().topic());
        byte[] pill = codec.encode(new QueueMessage.PoisonPill(settings.run().runId(), Instant.now()));
        tx.begin();
        for (PartitionInfo partition : partitions) {
            producer.send(new ProducerRecord<>(settings.queue().topic(), partition.partition(), null, pill),
                    (metadata, error) -> {
                        if (error != null) {
                            sendFailure.compareAndSet(null, error);
                            log.error("Poison pill to partition {} failed: {}", partition.partition(), error.toString());
                        } else {
                            pillsAcknowledged.incrementAndGet();
                            out.println("Poison pill sent to partition " + metadata.partition()
                                    + " (offset " + metadata.offset() + ")");
                        }
                    });
        }
    }

    private int report(Ending ending, Transactions tx) {
        if (settings.pacing().maxsize() > 0) {
            log.info("Backpressure: waited {}, {} ms in all (maxsize {})", plural(gate.waits(), "time"),
                    gate.waited().toMillis(), settings.pacing().maxsize());
        }
        String acked = acknowledged() + " of " + items(settings.run().count()) + " acknowledged";
        switch (ending) {
            case FENCED -> {
                out.println("Producer fenced: another producer started with the same --transactional-id '"
                        + settings.run().transactionalId().orElse("") + "' and took over; " + acked + ", "
                        + tx.committedItems() + " of them in committed transactions (the open one is aborted); "
                        + "no poison pills sent");
                return ExitCode.FAILURE;
            }
            case SEND_FAILED -> {
                out.println("Producer failed: " + acked + "; a send failed: "
                        + KafkaErrors.rootMessage(sendFailure.get()));
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
                                + " (run %s)", items(acknowledged()), plural(pillsAcknowledged.get(), "pill"),
                        seconds, acknowledged() / Math.max(seconds, 1e-3), settings.run().runId()));
                return ExitCode.OK;
            }
        }
    }

    /**
     * True when {@code e} (or a cause) says a newer producer with the same transactional id took over. That is
     * {@code ProducerFencedException} or {@code InvalidProducerEpochException}, or {@code InvalidTxnStateException}:
     * the newer producer's {@code initTransactions} has the coordinator abort this one's open transaction, and a
     * commit that arrives during that abort is refused as an invalid state (seen in TransactionsIT on a loaded
     * machine). A transaction timeout would be refused the same way, but this producer commits at least every 100
     * items and before every wait, far inside {@code transaction.timeout.ms}.
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

    /** Keeps at most one transaction open, when the producer is transactional; does nothing otherwise. */
    private static final class Transactions {
        private final Producer<byte[], byte[]> producer;
        private final boolean enabled;
        private boolean open;
        private int sent;
        private long committedItems;

        Transactions(Producer<byte[], byte[]> producer, boolean enabled) {
            this.producer = producer;
            this.enabled = enabled;
            if (enabled) {
                producer.initTransactions();
            }
        }

        void begin() {
            if (enabled && !open) {
                producer.beginTransaction();
                open = true;
                sent = 0;
            }
        }

        void sent() {
            if (enabled && ++sent >= MAX_ITEMS_PER_TRANSACTION) {
                commit();
            }
        }

        void commit() {
            if (open) {
                producer.commitTransaction(); // waits for the transaction's sends: all acknowledged if it returns
                open = false;
                committedItems += sent;
            }
        }

        void abortQuietly() {
            if (open) {
                open = false;
                try {
                    producer.abortTransaction();
                } catch (KafkaException e) {
                    log.warn("Aborting the open transaction failed: {}", e.toString());
                }
            }
        }

        /** Items in transactions that committed; items sent without transactions are not counted. */
        long committedItems() {
            return committedItems;
        }
    }
}
