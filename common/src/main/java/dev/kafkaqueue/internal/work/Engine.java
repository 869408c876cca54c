package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.codec.Closure;
import dev.kafkaqueue.internal.codec.Payloads;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.lag.PartitionLag;
import dev.kafkaqueue.internal.lag.PartitionTail;
import dev.kafkaqueue.internal.lag.ShareGroups;
import dev.kafkaqueue.options.GroupType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of a queue, for both group types and both ways of working: a poll thread that owns the Kafka
 * consumer, fetches, hands each record to the work as a {@link Task}, and sends what finished to the broker; the
 * work is either {@code process()}'s handler on worker threads ({@link WorkPool}) or the threads that call
 * {@code get()} ({@link HandOff}). What differs between a consumer group and a share group is the {@link Backend};
 * what happens to one record is the {@link RecordHandler}'s.
 *
 * <p>The run ends, for {@code process()}, when every partition is closed by a poison pill with all its work done,
 * after the limit, on {@link #stop()}, or on a failure that must end it (a dead-letter write that failed). For
 * getters the poll thread runs until {@link #stop()}: once the pills closed this member's partitions and what they
 * held was taken, a getter that finds nothing is told the queue is closed, while the tasks still in hand are
 * committed as they finish.
 *
 * <p>{@link #stop()} may be called from any thread: the poll thread then lets the tasks in hand finish (workers'; a
 * getter's tasks are the getter's), sends what finished, and leaves the group.
 *
 * @param <T> the queue's item type
 */
public final class Engine<T> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    /** While work is in flight the loop comes back at least this often, to commit what finished. */
    static final Duration BUSY_POLL_TIMEOUT = Duration.ofMillis(100);
    /** Idle members look at the group's closures at most this often: a few small requests, never per record. */
    private static final Duration CLOSURE_CHECK_INTERVAL = Duration.ofSeconds(1);
    /**
     * After a pill, the first look again comes this soon, and each next one twice as late, up to the interval: the
     * group's state says the run is closed only once the other members' last commits (a share group: the broker's
     * share-partition state) have landed, typically within tens of milliseconds of the pill.
     */
    private static final Duration CLOSURE_RECHECK_FIRST = Duration.ofMillis(25);

    /** How a run of {@code process()} ended. */
    public enum Ending {
        /** Every partition was closed by a poison pill, with all its work done. */
        CLOSED,
        /** The limit of items was reached. */
        LIMIT,
        /** {@link #stop()} was called. */
        STOPPED,
        /** A failure ended it: {@link Result#failure()}. */
        FAILED
    }

    /**
     * What a run did.
     *
     * @param processed    items worked and applied
     * @param deadLettered records written to the dead-letter topic
     * @param ending       how it ended
     * @param concurrency  worker threads
     * @param mostBusy     the most items in progress at once
     * @param failure      what ended it, for {@link Ending#FAILED}; else null
     */
    public record Result(long processed, long deadLettered, Ending ending, int concurrency, int mostBusy,
                         Throwable failure) {
    }

    /** The work of {@code process()} on one item. */
    @FunctionalInterface
    public interface Work<T> {
        void run(Task task, T item) throws Exception;
    }

    private final WorkOptions options;
    private final QueueListener listener;
    private final RecordCodec codec = new RecordCodec();
    private final Meters meters;
    private final DedupWindow dedup;
    private final DeadLetters deadLetters;
    private final AutoCloseable resources;
    private final Retrying retrying;
    private final Backend backend;
    private final RecordHandler<T> handler;
    private final Dispatcher dispatcher;
    private final HandOff handOff;
    private final WorkPool workers;
    private final long limit;
    private final Runnable onClosed;
    private final Thread pollThread;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Result result;
    private volatile boolean dropRequested;
    private boolean dropping;
    private final Map<TopicPartition, Long> droppedOn = new HashMap<>();

    /** Makes the backend, once the engine's closure and meters exist. */
    @FunctionalInterface
    interface BackendFactory {
        Backend create(RunClosure closure, long startedAtMillis, Meters meters, Runnable beforeCommit);
    }

    /**
     * What an engine is made of besides its options: a real one's are Kafka's clients ({@link #realParts}); a test's
     * may be Kafka's mocks.
     *
     * @param dedup              the window of applied items
     * @param deadLetters        the dead-letter writer
     * @param backends           makes the group's backend
     * @param deliveryCountLimit a share group's delivery count limit; 0 for a consumer group
     * @param resources          closed with the engine (a share group's tail reader), or null
     */
    record Parts(DedupWindow dedup, DeadLetters deadLetters, BackendFactory backends, int deliveryCountLimit,
                 AutoCloseable resources) {
    }

    Engine(WorkOptions options, Payloads<T> payloads, Parts parts, QueueListener listener, MeterRegistry registry,
           Work<T> work, int concurrency, long limit, Runnable onClosed) {
        this.options = options;
        this.listener = listener;
        this.limit = limit;
        this.onClosed = onClosed;
        this.meters = Meters.register(registry);
        this.dedup = parts.dedup();
        this.deadLetters = parts.deadLetters();
        this.resources = parts.resources();
        this.retrying = new Retrying(options.retry().maxRetries(), options.retry().firstBackoff());
        long startedAtMillis = System.currentTimeMillis();
        RunClosure closure = new RunClosure(startedAtMillis, options.ownRunId());
        this.backend = parts.backends().create(closure, startedAtMillis, meters, dedup::flush);
        this.handler = new RecordHandler<>(payloads, options.groupType(), closure, dedup, deadLetters, listener,
                meters, parts.deliveryCountLimit(), limit, backend.afterRecord());
        if (work == null) {
            this.handOff = new HandOff();
            this.workers = null;
            this.dispatcher = handOff;
        } else {
            this.handOff = null;
            @SuppressWarnings("unchecked") // task.value is the payload read as a T, by this engine's handler
            Retrying.Work attempt = task -> work.run(task, (T) task.value);
            this.workers = new WorkPool(concurrency, options.ordering(), task -> handler.work(task, retrying, attempt),
                    backend::drained);
            this.dispatcher = workers;
        }
        Gauge.builder("queue.items.in.progress", dispatcher, Dispatcher::inProgress)
                .description("Items taken and not yet done").register(registry);
        this.pollThread = new Thread(this::run, "kafka-queue-poll-" + options.topic());
        this.pollThread.setDaemon(true);
        this.pollThread.start();
    }

    /** The parts of an engine on a real cluster: Kafka's clients, a dedup window, a dead-letter writer. */
    private static Parts realParts(WorkOptions options, Admin admin, ClientMetrics clientMetrics) {
        DedupWindow dedup = options.dedup().file()
                .map(file -> DedupWindow.open(file, options.dedup().window()))
                .orElseGet(() -> DedupWindow.inMemory(options.dedup().window()));
        DeadLetters deadLetters = DeadLetters.create(options.client(), options.deadLetterTopic(),
                options.requestTimeout());
        if (options.groupType() == GroupType.SHARE) {
            PartitionTail tail = new PartitionTail(options.client(), options.requestTimeout());
            LagReader lag = LagReader.of(GroupType.SHARE, admin, tail, options.requestTimeout());
            ShareGroups.Limits limits = shareLimits(admin, options);
            int batch = shareBatch(admin, lag, options, limits);
            return new Parts(dedup, deadLetters, (closure, startedAt, meters, beforeCommit) ->
                    ShareGroupBackend.create(options, closure, lag, startedAt, meters, clientMetrics, batch,
                            limits.recordLockDuration()),
                    limits.deliveryCountLimit(), tail);
        }
        return new Parts(dedup, deadLetters, (closure, startedAt, meters, beforeCommit) ->
                ConsumerGroupBackend.create(options, closure, admin, meters, beforeCommit, clientMetrics), 0, null);
    }

    /**
     * An engine for getters: {@link #take} hands out the tasks.
     *
     * @param onClosed called once, on the poll thread, when the pills closed what this member could still get
     */
    public static <T> Engine<T> forGetters(WorkOptions options, Payloads<T> payloads, Admin admin,
                                           QueueListener listener, MeterRegistry registry,
                                           ClientMetrics clientMetrics, Runnable onClosed) {
        return new Engine<>(options, payloads, realParts(options, admin, clientMetrics), listener, registry, null, 1,
                0, onClosed);
    }

    /**
     * An engine for {@code process()}: {@code concurrency} workers run {@code work} on each item.
     *
     * @param limit items to take at most; 0 is no limit
     */
    public static <T> Engine<T> forWorkers(WorkOptions options, Payloads<T> payloads, Admin admin,
                                           QueueListener listener, MeterRegistry registry,
                                           ClientMetrics clientMetrics, Work<T> work, int concurrency, long limit) {
        return new Engine<>(options, payloads, realParts(options, admin, clientMetrics), listener, registry, work,
                concurrency, limit, () -> { });
    }

    /**
     * The Kafka consumer's properties these options give, refusing settings that contradict the queue's guarantees:
     * a check made before any client exists.
     *
     * @throws dev.kafkaqueue.internal.ConflictingSettingException naming the key, the value and the value required
     */
    public static Map<String, Object> consumerProperties(WorkOptions options) {
        return options.groupType() == GroupType.SHARE ? ShareGroupBackend.consumerProperties(options)
                : ConsumerGroupBackend.consumerProperties(options);
    }

    /**
     * The next item for a getter, waiting up to {@code nanos}.
     *
     * @return the task, in hand until {@link #done}; null when none came in time
     * @throws QueueClosed when the queue is closed, or the pills closed it and nothing is left to take
     */
    public Task take(long nanos) throws InterruptedException, QueueClosed {
        long deadline = System.nanoTime() + nanos;
        while (true) {
            Task task = handOff.take(Math.max(0, deadline - System.nanoTime()));
            if (task == null) {
                return null;
            }
            boolean work = false;
            try {
                work = handler.take(task);
            } finally {
                if (!work) {
                    handOff.finished(task);
                    backend.nudge(); // a pill may close the run; anything finished is worth sending
                }
            }
            if (work) {
                return task;
            }
        }
    }

    /**
     * A getter's task is done: {@code taskDone()}.
     *
     * @throws IllegalStateException when it was done before
     */
    public void done(Task task) {
        synchronized (task) {
            if (task.isDone()) {
                throw new IllegalStateException("taskDone() was already called for item " + task.item.id()
                        + " (partition " + task.record.partition() + ", offset " + task.record.offset() + ")");
            }
            handler.succeeded(task);
        }
        handOff.finished(task);
        backend.drained();
    }

    /** True when the task is done. */
    public boolean isDone(Task task) {
        return task.isDone();
    }

    /** Waits for the run of {@code process()} to end, and says how it did. */
    public Result awaitEnd() throws InterruptedException {
        ended.await();
        return result;
    }

    /**
     * An immediate shutdown: every task not yet taken, queued or fetched from now on, is dropped (done without work,
     * counted), so the commits move past them; tasks in hand still hold {@code join}. Getters are told at once.
     */
    public void dropUntaken() {
        dropRequested = true;
        if (handOff != null) {
            handOff.closeNow("the queue was shut down immediately");
        }
        backend.nudge();
    }

    /**
     * Items not yet taken on a partition this member works, given its end offset: queued for a getter, or not yet
     * fetched. -1 when this member does not work it, or has not fetched from it yet.
     */
    public long untaken(TopicPartition tp, long end) {
        if (!(backend instanceof ConsumerGroupBackend group)) {
            return -1;
        }
        PartitionProgress partition = group.partition(tp);
        if (partition == null || !partition.owned() || partition.fetchedTo < 0) {
            return -1;
        }
        if (dropRequested) {
            return 0;
        }
        return Math.max(0, end - partition.fetchedTo) + (handOff == null ? 0 : handOff.queuedItems(partition));
    }

    /** Where the fetcher is on a partition this member works: the offset after the last record fetched; else -1. */
    public long fetchedTo(TopicPartition tp) {
        if (!(backend instanceof ConsumerGroupBackend group)) {
            return -1;
        }
        PartitionProgress partition = group.partition(tp);
        return partition == null || !partition.owned() ? -1 : partition.fetchedTo;
    }

    /** Tasks taken and not yet done. */
    public int inHand() {
        return dispatcher.inProgress();
    }

    /** Items processed and applied so far. */
    public long processed() {
        return handler.processed();
    }

    /** Asks the run to stop after the tasks in hand. Any thread; does not wait. */
    public void stop() {
        retrying.stop(); // a retry backoff ends at once; that item is left for the next delivery
        dispatcher.stop();
        backend.stop();
    }

    /** Stops, and waits up to {@code timeout} for the poll thread to leave the group. */
    public boolean close(Duration timeout) throws InterruptedException {
        stop();
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            close(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        Ending ending = Ending.FAILED;
        Throwable failure = null;
        boolean opened = false;
        try {
            backend.open(dispatcher);
            opened = true;
            try {
                ending = loop();
            } finally {
                backend.finishInHand(dispatcher);
                backend.commitBeforeLeaving(); // whatever ended the loop, what was finished is done
            }
            failure = dispatcher.failure();
            if (failure != null) {
                ending = Ending.FAILED;
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            ending = Ending.FAILED;
            if (!opened) {
                dispatcher.stop();
            }
        } finally {
            closeAll();
            if (handOff != null) {
                handOff.closeNow(failure == null ? "the queue is closed"
                        : "the queue's consumer failed: " + KafkaErrors.rootMessage(failure));
            }
            result = new Result(handler.processed(), handler.deadLettered(), ending,
                    workers == null ? 0 : workers.concurrency(), workers == null ? 0 : workers.mostBusy(), failure);
            ended.countDown();
        }
    }

    private Ending loop() {
        long nextClosureCheck = System.nanoTime();
        long closureRecheck = CLOSURE_CHECK_INTERVAL.toNanos();
        List<Task> tasks = new ArrayList<>();
        try {
            while (backend.running() && dispatcher.failure() == null) {
                boolean idle = false;
                if (!backend.mayPoll()) {
                    backend.awaitFinished(BUSY_POLL_TIMEOUT);
                } else {
                    ConsumerRecords<byte[], byte[]> records =
                            backend.poll(backend.idle() ? POLL_TIMEOUT : BUSY_POLL_TIMEOUT);
                    backend.track(records, tasks);
                    if (dropping) {
                        drop(tasks);
                    } else {
                        dispatcher.submit(tasks);
                    }
                    tasks.clear();
                    backend.afterPoll(records);
                    if (backend.fetchedToEnd(records.isEmpty())) {
                        listener.empty();
                    }
                    idle = records.isEmpty() && backend.idle();
                }
                if (limit > 0 && handler.processed() >= limit) {
                    return Ending.LIMIT;
                }
                if (dropRequested && !dropping) {
                    dropping = true;
                    drop(handOff == null ? List.of() : handOff.drain());
                }
                boolean pill = handler.takePillFinished();
                if (pill) {
                    closureRecheck = CLOSURE_RECHECK_FIRST.toNanos();
                }
                if (backend.mayPoll() && (pill || (idle && System.nanoTime() - nextClosureCheck >= 0))) {
                    nextClosureCheck = System.nanoTime() + closureRecheck;
                    closureRecheck = Math.min(2 * closureRecheck, CLOSURE_CHECK_INTERVAL.toNanos());
                    if (closed()) {
                        return Ending.CLOSED;
                    }
                }
            }
            return dispatcher.failure() != null ? Ending.FAILED : Ending.STOPPED;
        } catch (WakeupException e) {
            if (backend.running()) {
                throw e;
            }
            return Ending.STOPPED; // stop() woke a blocking call between records
        }
    }

    /** True when a run of {@code process()} is over; for getters, says so once to them, and goes on. */
    private boolean closed() {
        if (handOff == null) {
            return backend.runClosed();
        }
        if (!handOff.closed() && backend.closedForGetters(handOff)) {
            handOff.closeWhenDrained("the queue was shut down: the poison pills closed every partition");
            onClosed.run();
        }
        return false;
    }

    /** Finishes tasks without working them, for an immediate shutdown; counts the items among them. */
    private void drop(List<Task> tasks) {
        long items = 0;
        for (Task task : tasks) {
            if (!task.live() || task.isDone()) {
                continue;
            }
            QueueMessage message = null;
            try {
                message = codec.decode(task.record.value());
            } catch (UnreadableRecordException e) {
                // not an item: dropped without a count
            }
            TopicPartition tp = task.partition.topicPartition();
            if (message instanceof QueueMessage.PoisonPill pill) {
                Closure closure = Closure.of(pill).droppedMore(droppedOn.getOrDefault(tp, 0L));
                task.done(closure.metadata(), AcknowledgeType.ACCEPT);
            } else {
                if (message instanceof QueueMessage.Item) {
                    items++;
                    droppedOn.merge(tp, 1L, Long::sum);
                }
                task.done(null, AcknowledgeType.REJECT);
            }
        }
        if (items > 0) {
            meters.dropped().increment(items);
            listener.dropped(items);
            log.warn("Immediate shutdown: dropped {} item{} not yet got from {} (committed past, never worked)",
                    items, items == 1 ? "" : "s", options.topic());
        }
    }

    private void closeAll() {
        List<AutoCloseable> parts = new ArrayList<>();
        parts.add(backend::close);
        parts.add(dispatcher);
        parts.add(deadLetters);
        parts.add(dedup);
        if (resources != null) {
            parts.add(resources);
        }
        for (AutoCloseable part : parts) {
            try {
                part.close();
            } catch (IOException | RuntimeException e) {
                log.warn("Closing {} failed: {}", part, e.toString());
            } catch (Exception e) {
                log.warn("Closing {} failed: {}", part, e.toString());
            }
        }
    }

    private static ShareGroups.Limits shareLimits(Admin admin, WorkOptions options) {
        try {
            return ShareGroups.limits(admin, options.group(), options.requestTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ShareGroups.Limits.DEFAULTS;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot read share group " + options.group() + "'s "
                    + ShareGroups.DELIVERY_COUNT_LIMIT + ": " + KafkaErrors.rootMessage(e), e);
        }
    }

    /**
     * A share-group member's records per poll ({@link ShareBatch}), from the group's backlog and members now; 0 when
     * the client properties set {@code max.poll.records}, which then stands.
     */
    private static int shareBatch(Admin admin, LagReader lag, WorkOptions options, ShareGroups.Limits limits) {
        if (options.client().clientProperties().containsKey(ConsumerConfig.MAX_POLL_RECORDS_CONFIG)) {
            return 0;
        }
        try {
            int others = ShareGroups.members(admin, options.group(), options.requestTimeout());
            var snapshot = lag.snapshot(options.topic(), options.group());
            long backlog = snapshot.partitions().stream().mapToLong(PartitionLag::lag).sum();
            int batch = ShareBatch.size(backlog, others, snapshot.partitions().size(), limits.recordLocks());
            log.info("Share group {}: up to {} record{} per poll ({} to do on {}, {} other member{}, {} record "
                            + "locks per partition)", options.group(), batch, batch == 1 ? "" : "s", backlog,
                    options.topic(), others, others == 1 ? "" : "s", limits.recordLocks());
            return batch;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.info("Share group {}: one record per poll, since its backlog cannot be read yet: {}",
                    options.group(), KafkaErrors.rootMessage(e));
            return 1;
        }
    }
}
