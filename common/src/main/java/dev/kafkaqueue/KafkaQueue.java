package dev.kafkaqueue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.internal.Drops;
import dev.kafkaqueue.internal.KafkaErrors;
import dev.kafkaqueue.internal.StopSignal;
import dev.kafkaqueue.internal.Topics;
import dev.kafkaqueue.internal.codec.Closure;
import dev.kafkaqueue.internal.codec.Payloads;
import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.internal.lag.LagReader;
import dev.kafkaqueue.internal.lag.LagSnapshot;
import dev.kafkaqueue.internal.lag.PartitionLag;
import dev.kafkaqueue.internal.lag.PartitionTail;
import dev.kafkaqueue.internal.lag.ShareGroups;
import dev.kafkaqueue.internal.put.PutOptions;
import dev.kafkaqueue.internal.put.Putter;
import dev.kafkaqueue.internal.put.ReplicaWatch;
import dev.kafkaqueue.internal.work.Engine;
import dev.kafkaqueue.internal.work.QueueClosed;
import dev.kafkaqueue.internal.work.WorkOptions;
import dev.kafkaqueue.options.CommitMode;
import dev.kafkaqueue.options.GroupType;
import dev.kafkaqueue.options.Ordering;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Python's {@code asyncio.Queue} between processes and machines, through a Kafka topic: any process {@link #put}s
 * its own objects, any other {@link #get}s them, calls {@link Task#taskDone()} once the work is done, and anyone can
 * wait in {@link #join()} until every item put is done.
 *
 * <pre>{@code
 * try (KafkaQueue<Job> q = KafkaQueue.builder(Job.class)
 *         .bootstrapServers("localhost:9092").topic("jobs").group("workers").maxsize(5).open()) {
 *     q.put(new Job("https://example.com"));   // returns once the broker acknowledged it
 *     KafkaQueue.Task<Job> task = q.get();     // in this process or any other
 *     work(task.item());
 *     task.taskDone();                         // the offset commit, after the work
 *     q.join();                                // the group's lag is zero
 * }
 * }</pre>
 *
 * <p>The queue is a topic and a group: {@code put} is an acknowledged produce ({@code acks=all}, idempotent),
 * {@code get} hands over a polled record, {@code taskDone} commits the record's offset (for a share group:
 * acknowledges it) after the work and never before, and {@code join} waits until the group's lag is zero on every
 * partition, counted as {@code kafka-consumer-groups --describe} counts it. {@link #shutdown()} puts a poison pill on
 * every partition: the sentinel that tells every process its run is over.
 *
 * <p>Across processes some guarantees differ from asyncio's. Items are delivered at least once: after a crash, the
 * items after the last commit are delivered again; a redelivered item that was done is recognised by its id and
 * skipped. Order holds within a partition, not across partitions. {@code maxsize} bounds unfinished items (put and not
 * yet done by the group), which is stricter than asyncio's bound on items not yet got: a producer in another process
 * can only see what the group committed.
 *
 * <p>Items are the caller's objects, mapped with Jackson: a {@code String} travels as text, a {@code JsonNode} as it
 * is, a record or POJO as the JSON Jackson writes ({@code byte[]} as base64). A record whose payload does not map to
 * the item type goes to the dead-letter topic with the reason; it is never thrown out of {@code get()}, and never
 * holds its partition up. {@code null} is not an item: {@code shutdown()} is the sentinel.
 *
 * <p>All methods may be called from any thread, and many threads may put and get at once. A queue opens its Kafka
 * clients lazily: its producer at the first put, its consumer at the first get (or {@link #process}). A process that
 * only puts never joins the group. {@link #close()} stops everything; it is the graceful stop of a SIGTERM.
 *
 * @param <T> the item type
 */
public final class KafkaQueue<T> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaQueue.class);
    private static final long FOREVER = Long.MAX_VALUE;

    /**
     * An item got from the queue, between {@code get()} and {@code taskDone()}: asyncio's item, with its
     * {@code task_done()} attached. Each task is done once; until then it holds {@code join()} and its partition's
     * commit (the committed offset never passes an unfinished item).
     *
     * @param <T> the item type
     */
    public interface Task<T> {

        /** The item, as it was put. */
        T item();

        /**
         * Marks the task done: its offset is committed (asynchronously, within the commit interval; at once when the
         * queue is drained), after every earlier item of its partition is done too. In a share group the record is
         * acknowledged. Any thread may call it. With {@link CommitMode#PER_RECORD} it returns once the commit is
         * acknowledged.
         *
         * @throws IllegalStateException when the task was done before
         */
        void taskDone();

        /** The item's id: its number in the run that put it. With {@link #runId()} it is what makes it unique. */
        long id();

        /** The run that put the item: one per queue that puts, unless the builder named it. */
        String runId();

        /** When the item was put. */
        Instant putAt();

        /** The topic the item came from. */
        String topic();

        /** The partition the item came from. */
        int partition();

        /** The item's offset in its partition. */
        long offset();

        /** The try under way, from 1: in {@code process()}, failed tries are retried with backoff. */
        int attempt();
    }

    /**
     * The work {@link #process} does on each item, as asyncio's worker tasks do between {@code get()} and
     * {@code task_done()}: returning is {@code taskDone()}; throwing is a failure, tried again with backoff, then
     * dead-lettered (in a share group: released for another delivery while the broker will make one). An exception
     * that implements {@link dev.kafkaqueue.events.DeadLetterHeaders} adds its headers to the dead letter.
     *
     * @param <T> the item type
     */
    @FunctionalInterface
    public interface Handler<T> {
        void handle(Task<T> task) throws Exception;
    }

    /** How {@link #process} ended. */
    public enum Ending {
        /** Every partition was closed by a poison pill ({@code shutdown()}), with all its work done. */
        CLOSED,
        /** The limit of items was reached. */
        LIMIT,
        /** The queue was closed ({@link #close()}, a SIGTERM): the items in hand were finished and committed. */
        STOPPED
    }

    /**
     * What {@link #process} did.
     *
     * @param items        items worked and done
     * @param deadLettered records written to the dead-letter topic
     * @param ending       why it returned
     * @param concurrency  its worker threads
     * @param mostBusy     the most items in progress at once
     */
    public record Processed(long items, long deadLettered, Ending ending, int concurrency, int mostBusy) {
    }

    private enum State { OPEN, SHUT_DOWN, CLOSED }

    private final Builder<T> settings;
    private final Payloads<T> payloads;
    private final Admin admin;
    private final int partitions;
    private final MeterRegistry registry;
    private final ClientMetrics clientMetrics;
    private final StopSignal putsStop = new StopSignal();
    private final StopSignal closeStop = new StopSignal();
    private final Object lifecycle = new Object();
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private volatile State state = State.OPEN;
    private volatile boolean dropped;
    private volatile Putter putter;
    private volatile ReplicaWatch replicaWatch;
    private volatile Engine<T> engine;
    private volatile boolean processing;

    private KafkaQueue(Builder<T> settings, Admin admin, int partitions) {
        this.settings = settings;
        this.admin = admin;
        this.partitions = partitions;
        this.payloads = Payloads.of(settings.itemType, settings.objectMapper);
        this.registry = settings.registry == null ? new SimpleMeterRegistry() : settings.registry;
        this.clientMetrics = new ClientMetrics(settings.registry);
    }

    /**
     * A builder of a queue of {@code itemType}: records, POJOs, {@code String}, {@code JsonNode}, {@code byte[]}, or
     * anything else Jackson maps.
     */
    public static <T> Builder<T> builder(Class<T> itemType) {
        return new Builder<>(itemType);
    }

    /**
     * {@code await queue.put(item)}: puts the item, waiting while the queue is {@linkplain #full() full}, and returns
     * once the broker acknowledged it ({@code acks=all}; with a transactional id, once its transaction committed).
     *
     * @throws QueueShutDown           after {@link #shutdown()} or {@link #close()}, also while waiting for room
     * @throws QueueFull               when no room came within the {@linkplain Builder#putTimeout put timeout}
     * @throws RecordTooLargeException when the item's record is larger than the topic takes; nothing was sent
     * @throws KafkaException          when the send failed, or an earlier one did: no later put is made
     */
    public void put(T item) throws InterruptedException {
        CompletableFuture<Void> acknowledged = putAsync(item);
        try {
            acknowledged.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof KafkaException kafka ? kafka : new KafkaException(cause);
        }
    }

    /**
     * {@link #put}, without waiting for the acknowledgement: waits only while the queue is full, then sends. The
     * future completes on the producer's I/O thread when the broker acknowledged the item (with a transactional id,
     * when its transaction committed), or fails with the send's error; dependent actions should be short. Puts are
     * pipelined: this is the fast way to put many items, followed by {@link #flush()} or {@link #join()}.
     *
     * @throws QueueShutDown           after {@link #shutdown()} or {@link #close()}, also while waiting for room
     * @throws QueueFull               when no room came within the put timeout
     * @throws RecordTooLargeException when the item's record is larger than the topic takes; nothing was sent
     * @throws KafkaException          when an earlier send failed: no later put is made
     */
    public CompletableFuture<Void> putAsync(T item) throws InterruptedException {
        return put(item, true);
    }

    /**
     * {@code queue.put_nowait(item)}: puts the item if the queue is not full, without waiting for room; returns once
     * the broker acknowledged it.
     *
     * @throws QueueFull     when the queue is full: nothing was sent
     * @throws QueueShutDown after {@link #shutdown()} or {@link #close()}
     */
    public void putNowait(T item) {
        try {
            put(item, false).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof KafkaException kafka ? kafka : new KafkaException(cause);
        }
    }

    /**
     * {@code await queue.get()}: the next item handed to this member, waiting until one is fetched. The first get
     * joins the group; an item stays this member's until {@code taskDone()} (a revoked partition's items, not yet
     * got, go to its new owner).
     *
     * @throws QueueShutDown once the queue is shut down and this member's partitions are drained and closed by the
     *                       pills (items got before still hold {@code join}), after an immediate shutdown, or after
     *                       {@link #close()}
     */
    public Task<T> get() throws InterruptedException {
        return take(FOREVER);
    }

    /**
     * {@code queue.get_nowait()}: the next item already fetched for this member, without waiting. Right after the
     * first get, nothing is fetched yet.
     *
     * @throws QueueEmpty    when no fetched item is waiting here (items may still be on the topic, or held by other
     *                       members)
     * @throws QueueShutDown as {@link #get()}
     */
    public Task<T> getNowait() {
        try {
            Task<T> task = take(0);
            if (task == null) {
                throw new QueueEmpty("no fetched item is waiting for this member of group " + settings.group
                        + " on topic " + settings.topic);
            }
            return task;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /**
     * {@code await queue.join()}: waits until every item put on the topic is done by the group: its lag is zero on
     * every partition (a partition with records and no commit is not done), as {@code kafka-consumer-groups
     * --describe} counts it. This queue's own puts are flushed first. A queue that never held work is done at once.
     * It cannot tell whether another process will put more: lag zero says the work put so far is done.
     *
     * @throws QueueShutDown         when the queue is closed while waiting
     * @throws IllegalStateException when records were deleted by retention before the group did them: lost work,
     *                               never done
     */
    public void join() throws InterruptedException {
        join(Duration.ofDays(36_500));
    }

    /**
     * {@link #join()}, waiting at most {@code timeout}.
     *
     * @return true when the work is done; false when {@code timeout} passed first
     */
    public boolean join(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        checkNotClosed();
        Putter current = putter;
        if (current != null) {
            current.flush(); // a snapshot means nothing until every send is acknowledged
        }
        try (PartitionTail tail = tail()) {
            Join.Result result = new Join(lag(tail), settings.lagInterval).await(settings.topic, settings.group,
                    timeout, snapshot -> { }, closeStop);
            switch (result.outcome()) {
                case DONE -> {
                    if (result.last().totalDropped() > 0) {
                        log.warn("join: done on {} for group {}; {} items were dropped by an immediate shutdown, never "
                                + "worked", settings.topic, settings.group, result.last().totalDropped());
                    }
                    return true;
                }
                case TIMEOUT -> {
                    return false;
                }
                case LOST_WORK -> throw new IllegalStateException("join: lag 0, but " + result.lostRecords()
                        + " records were deleted by retention before group " + settings.group
                        + " processed them: lost work");
                default -> throw new QueueShutDown("the queue was closed while join() waited");
            }
        }
    }

    /**
     * {@code queue.qsize()}: items put on the topic and not yet got by any member, as far as this process can see
     * them. One round trip to the broker. Exact for the partitions this member works (what is fetched and not got,
     * plus what is not fetched yet) and for this queue's own pills; elsewhere it is the group's lag, where a pill or a
     * transaction marker another process wrote counts until a member takes it, and an item another member got counts
     * until it is done.
     */
    public long qsize() {
        checkNotClosed();
        try (PartitionTail tail = tail()) {
            LagSnapshot snapshot = lag(tail).snapshot(settings.topic, settings.group);
            List<Putter.Pill> pills = putter == null ? List.of() : putter.pills();
            Engine<T> current = engine;
            long total = 0;
            for (PartitionLag p : snapshot.partitions()) {
                TopicPartition tp = new TopicPartition(settings.topic, p.partition());
                long untaken = current == null ? -1 : current.untaken(tp, p.endOffset());
                long waiting;
                long from;
                if (untaken >= 0) {
                    waiting = untaken;
                    from = current.fetchedTo(tp);
                } else {
                    waiting = p.lag();
                    from = p.brokerLag() != null ? p.endOffset() - p.brokerLag()
                            : p.committed() == null ? p.startOffset() : p.committed();
                }
                for (Putter.Pill pill : pills) {
                    if (pill.partition() == p.partition() && pill.offset() >= from && pill.offset() < p.endOffset()) {
                        waiting--;
                    }
                }
                total += Math.max(0, waiting);
            }
            return total;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("qsize: cannot read the group's progress on " + settings.topic + ": "
                    + KafkaErrors.rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /** {@code queue.empty()}: {@link #qsize()} is zero. Empty is not done: got items may still be in hand. */
    public boolean empty() {
        return qsize() == 0;
    }

    /**
     * {@code queue.full()}: this queue's unfinished items (put, and not yet done by the group) reach
     * {@link #maxsize()}. Never true when unbounded. Reads the group's progress when the bound is reached and a
     * sample is due.
     */
    public boolean full() {
        if (settings.maxsize == 0) {
            return false;
        }
        Putter current = putter;
        return current != null && current.full();
    }

    /** {@code queue.maxsize}: the bound on unfinished items; 0 is unbounded. */
    public int maxsize() {
        return settings.maxsize;
    }

    /** The topic's partition count when the queue opened. */
    public int partitions() {
        return partitions;
    }

    /** The run that names this queue's puts: with an item's id, what makes the item unique. */
    public String runId() {
        return settings.runId;
    }

    /** Items this queue put that the broker acknowledged. */
    public long acknowledged() {
        Putter current = putter;
        return current == null ? 0 : current.acknowledged();
    }

    /**
     * Waits until every put so far is acknowledged (and, with a transactional id, its transaction committed).
     *
     * @throws KafkaException when a send failed, or this producer was fenced
     */
    public void flush() {
        Putter current = putter;
        if (current != null) {
            current.flush();
        }
    }

    /**
     * {@code queue.shutdown()}, the sentinel: puts a poison pill on every partition, and returns once they are
     * acknowledged. From now on a put throws {@link QueueShutDown}, puts waiting for room too. Getters everywhere
     * drain what is left, then get {@code QueueShutDown}; {@code taskDone()} and {@code join()} work as before, and
     * {@code process()} returns once every partition is closed. Calling it again does nothing.
     */
    public void shutdown() {
        shutdown(false);
    }

    /**
     * {@code queue.shutdown(immediate)}. Immediate, it also drops what this member has not handed out yet, fetched
     * or not: the commits move past those items, which stay in the log but are never worked, and their count is
     * logged, metered ({@code queue.items.dropped}) and carried in the commits' metadata for {@code join} to report.
     * Items already got and not yet done still hold {@code join}. Getters here get {@link QueueShutDown} at once.
     * When no member of the group runs anywhere, the group's progress is moved past everything on the topic; members
     * in other processes drain their partitions as for a plain shutdown.
     */
    public void shutdown(boolean immediate) {
        boolean pills;
        boolean drop;
        synchronized (lifecycle) {
            checkNotClosed();
            pills = state == State.OPEN;
            if (pills) {
                state = State.SHUT_DOWN;
                putsStop.stop();
            }
            drop = immediate && !dropped;
            dropped |= immediate;
        }
        Putter current = pills ? putter() : putter;
        if (pills) {
            current.sendPills();
        }
        if (drop) {
            drop(current);
        }
    }

    /**
     * Works every item with {@code handler} on {@code concurrency} threads, as asyncio's worker tasks do, until the
     * run is closed by the pills with every item done, or until {@link #close()}. Items in flight may pass the
     * partition count; which may run side by side is the builder's {@linkplain Builder#ordering ordering}; a failing
     * item is retried with backoff, then dead-lettered; commits follow within the commit interval.
     *
     * @throws IllegalStateException when this queue already gets items with {@code get()}, or processes already
     * @throws KafkaException        when a failure ended the run, such as a dead-letter write that failed (that
     *                               record's offset is not committed)
     */
    public Processed process(Handler<T> handler, int concurrency) throws InterruptedException {
        return process(handler, concurrency, 0);
    }

    /**
     * {@link #process(Handler, int)}, ending after {@code limit} items (0: no limit); items past the limit are left
     * for the next delivery.
     */
    public Processed process(Handler<T> handler, int concurrency, long limit) throws InterruptedException {
        Objects.requireNonNull(handler, "handler");
        if (concurrency < 1 || concurrency > Builder.MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be 1 to " + Builder.MAX_CONCURRENCY + ", was "
                    + concurrency);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be 0 (none) or more, was " + limit);
        }
        if (settings.groupType == GroupType.SHARE && concurrency > 1) {
            throw new IllegalArgumentException("concurrency " + concurrency + " is not allowed on a share group: a "
                    + "share consumer works one item at a time; run more share consumers");
        }
        Engine<T> run;
        synchronized (lifecycle) {
            checkNotClosed();
            if (engine != null) {
                throw new IllegalStateException(processing ? "process() runs already"
                        : "this queue gets items with get(): it cannot also process() them");
            }
            processing = true;
            run = Engine.forWorkers(workOptions(), payloads, admin, settings.listener, registry, clientMetrics,
                    (task, item) -> handler.handle(new TaskView<>(this, task, item)), concurrency, limit);
            engine = run;
        }
        Engine.Result result = run.awaitEnd();
        if (result.ending() == Engine.Ending.FAILED) {
            Throwable failure = result.failure();
            throw failure instanceof RuntimeException e ? e : new KafkaException(failure);
        }
        return new Processed(result.processed(), result.deadLettered(), switch (result.ending()) {
            case CLOSED -> Ending.CLOSED;
            case LIMIT -> Ending.LIMIT;
            default -> Ending.STOPPED;
        }, result.concurrency(), result.mostBusy());
    }

    /**
     * Closes the queue: the graceful stop of a SIGTERM. Puts, gets and joins waiting in other threads wake with
     * {@link QueueShutDown}; {@code process()} lets the items in hand finish, commits them and returns; the queue
     * flushes what it sent, commits what was done, leaves the group and closes its clients. Items got and not done are
     * not waited for: their offsets stay uncommitted, and they are delivered again. Calling it again, from any thread,
     * waits for the first close to finish.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (state == State.CLOSED) {
                awaitClosed();
                return;
            }
            state = State.CLOSED;
            putsStop.stop();
            closeStop.stop();
        }
        try {
            closeClients();
        } finally {
            closed.countDown();
        }
    }

    /** A second close waits for the first: once it returns, everything put was flushed. */
    private void awaitClosed() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeClients() {
        Engine<T> run = engine;
        if (run != null) {
            run.close();
        }
        Putter current = putter;
        if (current != null) {
            try {
                current.close();
            } catch (KafkaException e) {
                log.warn("Closing the producer failed: {}", e.toString());
            }
        }
        ReplicaWatch watch = replicaWatch;
        if (watch != null) {
            watch.close(); // after the last sends: when puts waited, it says whether they went on
        }
        clientMetrics.close();
        admin.close(Duration.ofSeconds(5));
    }

    /** The engine's work on one item, with a task view for the handler. */
    private static final class TaskView<T> implements Task<T> {
        private final KafkaQueue<T> queue;
        private final dev.kafkaqueue.internal.work.Task task;
        private final T item;

        TaskView(KafkaQueue<T> queue, dev.kafkaqueue.internal.work.Task task, T item) {
            this.queue = queue;
            this.task = task;
            this.item = item;
        }

        @Override
        public T item() {
            return item;
        }

        @Override
        public void taskDone() {
            if (queue.processing) {
                throw new IllegalStateException("process() marks its tasks done when the handler returns");
            }
            queue.engine.done(task);
        }

        @Override
        public long id() {
            return task.item().id();
        }

        @Override
        public String runId() {
            return task.item().runId();
        }

        @Override
        public Instant putAt() {
            return task.item().producedAt();
        }

        @Override
        public String topic() {
            return task.topic();
        }

        @Override
        public int partition() {
            return task.partitionNumber();
        }

        @Override
        public long offset() {
            return task.offset();
        }

        @Override
        public int attempt() {
            return Math.max(1, task.attempt());
        }

        @Override
        public String toString() {
            return "Task[" + task.topic() + "-" + task.partitionNumber() + "@" + task.offset() + ", item "
                    + task.item().id() + "]";
        }
    }

    private CompletableFuture<Void> put(T item, boolean wait) throws InterruptedException {
        Objects.requireNonNull(item, "item (null is not an item; shutdown() is the sentinel)");
        if (state != State.OPEN) {
            throw shutDown();
        }
        try {
            return putter().put((id, runId, at) -> payloads.item(id, item, runId, at), wait);
        } catch (Putter.Refused refused) {
            if (refused.why() == Putter.Refused.Why.STOPPED) {
                throw shutDown();
            }
            throw new QueueFull(refused.getMessage());
        }
    }

    @SuppressWarnings("unchecked") // the engine's values are the payloads read as T
    private Task<T> take(long nanos) throws InterruptedException {
        if (state == State.CLOSED) {
            throw shutDown();
        }
        if (dropped) {
            throw new QueueShutDown("the queue was shut down immediately");
        }
        Engine<T> run = getters();
        try {
            dev.kafkaqueue.internal.work.Task task = run.take(nanos);
            return task == null ? null : new TaskView<>(this, task, (T) task.value());
        } catch (QueueClosed closed) {
            throw new QueueShutDown(closed.why());
        }
    }

    private Engine<T> getters() {
        Engine<T> run = engine;
        if (run != null && !processing) {
            return run;
        }
        synchronized (lifecycle) {
            checkNotClosed();
            if (engine == null) {
                engine = Engine.forGetters(workOptions(), payloads, admin, settings.listener, registry, clientMetrics,
                        this::closedByPills);
            } else if (processing) {
                throw new IllegalStateException("this queue works its items with process(): get() cannot take "
                        + "them too");
            }
            return engine;
        }
    }

    /** The pills closed what this member could get: the queue is shut down here too, as after shutdown(). */
    private void closedByPills() {
        synchronized (lifecycle) {
            if (state == State.OPEN) {
                state = State.SHUT_DOWN;
                putsStop.stop();
            }
        }
    }

    private Putter putter() {
        Putter current = putter;
        if (current != null) {
            return current;
        }
        synchronized (lifecycle) {
            if (putter == null) {
                LagReader progress = LagReader.of(settings.groupType, admin, null, settings.requestTimeout);
                putter = new Putter(putOptions(), () -> {
                    Map<Integer, Long> byPartition = new HashMap<>();
                    progress.committed(settings.group, settings.topic)
                            .forEach((tp, offset) -> byPartition.put(tp.partition(), offset));
                    return byPartition;
                }, largestRecord(), settings.listener, putsStop, registry, clientMetrics);
                Putter created = putter;
                replicaWatch = ReplicaWatch.start(admin, settings.topic, Putter.deliveryTimeout(putOptions()),
                        created::sending);
            }
            return putter;
        }
    }

    private void drop(Putter current) {
        Engine<T> run = engine;
        if (run != null) {
            run.dropUntaken();
            return;
        }
        List<Putter.Pill> pills = current.pills();
        long pillTime = System.currentTimeMillis();
        try {
            long records = Drops.dropAll(admin, settings.groupType, settings.topic, settings.group,
                    new Closure(settings.runId, pillTime), settings.requestTimeout);
            if (records > 0) {
                long items = Math.max(0, records - pills.size());
                log.warn("Immediate shutdown: dropped {} items not yet got from {} (committed past, never worked)",
                        items, settings.topic);
                settings.listener.dropped(items);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("shutdown(immediate): cannot move group " + settings.group + " past "
                    + settings.topic + ": " + KafkaErrors.rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /** The largest record the topic takes: the smaller of its max.message.bytes and the producer's request size. */
    private int largestRecord() {
        int producerLimit = (int) ClientConfigs.longValue(settings.properties, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                1_048_576);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, settings.topic);
        try {
            Config config = admin.describeConfigs(List.of(resource)).all()
                    .get(settings.requestTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .get(resource);
            ConfigEntry entry = config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                return Math.min(producerLimit, Integer.parseInt(entry.value()));
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // No DESCRIBE_CONFIGS on the topic: the broker still refuses what is too large, after the send.
            log.debug("Cannot read {} of {}: {}", TopicConfig.MAX_MESSAGE_BYTES_CONFIG, settings.topic, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return producerLimit;
    }

    private LagReader lag(PartitionTail tail) {
        return LagReader.of(settings.groupType, admin, tail, settings.requestTimeout);
    }

    private PartitionTail tail() {
        return new PartitionTail(settings.client(), settings.requestTimeout);
    }

    private WorkOptions workOptions() {
        return settings.workOptions();
    }

    private PutOptions putOptions() {
        return settings.putOptions();
    }

    private void checkNotClosed() {
        if (state == State.CLOSED) {
            throw shutDown();
        }
    }

    private QueueShutDown shutDown() {
        return new QueueShutDown(state == State.CLOSED ? "the queue is closed"
                : dropped ? "the queue was shut down immediately" : "the queue was shut down");
    }

    /** Numeric Kafka settings given as strings or numbers. */
    private static final class ClientConfigs {
        static long longValue(Map<String, Object> properties, String key, long kafkaDefault) {
            Object value = properties.get(key);
            return value == null ? kafkaDefault : Long.parseLong(value.toString().trim());
        }
    }

    /**
     * Builds a {@link KafkaQueue}. Every setting but the bootstrap servers, the topic and the group has a default;
     * each setter checks its value at once and names what is allowed. Not thread-safe; {@link #open()} may be
     * called more than once, for queues with the same settings.
     *
     * @param <T> the item type
     */
    public static final class Builder<T> {

        /** The most worker threads one {@code process()} runs. */
        public static final int MAX_CONCURRENCY = 256;
        /** The largest dedup window: its arrays take about 36 bytes per item. */
        public static final int MAX_DEDUP_WINDOW = 10_000_000;

        private final Class<T> itemType;
        private final Map<String, Object> properties = new HashMap<>();
        private String bootstrapServers;
        private String topic;
        private String group;
        private int maxsize;
        private int partitionsToCreate = 1;
        private short replicationFactor = -1;
        private boolean createTopic = true;
        private GroupType groupType = GroupType.CONSUMER;
        private CommitMode commitMode = CommitMode.BATCH;
        private Duration commitInterval = Duration.ofSeconds(1);
        private Ordering ordering = Ordering.PARTITION;
        private int maxRetries = 3;
        private Duration retryBackoff = Duration.ofMillis(200);
        private String deadLetterTopic;
        private int dedupWindow = 100_000;
        private Path appliedLog;
        private String instanceId;
        private String runId = UUID.randomUUID().toString().substring(0, 8);
        private long firstItemId;
        private String transactionalId;
        private Duration putTimeout;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration lagInterval = Duration.ofMillis(200);
        private QueueListener listener = QueueListener.NONE;
        private MeterRegistry registry;
        private Supplier<ObjectMapper> objectMapper = ObjectMapper::new;

        private Builder(Class<T> itemType) {
            this.itemType = Objects.requireNonNull(itemType, "itemType");
        }

        /** The cluster: a comma-separated {@code host:port} list, as Kafka's {@code bootstrap.servers}. Required. */
        public Builder<T> bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = requireText("bootstrapServers", bootstrapServers);
            return this;
        }

        /** The queue's topic: a legal Kafka topic name. Required. */
        public Builder<T> topic(String topic) {
            this.topic = requireName("topic", topic);
            return this;
        }

        /** The group that works the queue (and whose lag {@code join()} waits on). Required. */
        public Builder<T> group(String group) {
            this.group = requireName("group", group);
            return this;
        }

        /**
         * {@code Queue(maxsize=N)}: puts wait while this queue's unfinished items (put, not yet done by the group)
         * reach {@code maxsize}. 0, the default, is unbounded, as in asyncio.
         */
        public Builder<T> maxsize(int maxsize) {
            if (maxsize < 0) {
                throw new IllegalArgumentException("maxsize must be 0 (unbounded) or more, was " + maxsize);
            }
            this.maxsize = maxsize;
            return this;
        }

        /** Partitions of the topic if {@link #open()} creates it (default 1); an existing topic keeps its own. */
        public Builder<T> partitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be 1 or more, was " + partitions);
            }
            this.partitionsToCreate = partitions;
            return this;
        }

        /** Replication of the topic if {@link #open()} creates it; -1, the default, is the broker's default. */
        public Builder<T> replicationFactor(int replicationFactor) {
            if ((replicationFactor < 1 && replicationFactor != -1) || replicationFactor > Short.MAX_VALUE) {
                throw new IllegalArgumentException("replicationFactor must be 1 or more, or -1 for the broker's "
                        + "default, was " + replicationFactor);
            }
            this.replicationFactor = (short) replicationFactor;
            return this;
        }

        /**
         * Whether {@link #open()} creates a missing topic (the default), or fails: a consumer that must not create
         * its producer's topic says false.
         */
        public Builder<T> createTopic(boolean createTopic) {
            this.createTopic = createTopic;
            return this;
        }

        /**
         * Any Kafka client setting, for every client the queue makes: {@code security.protocol},
         * {@code sasl.jaas.config}, timeouts. Settings the queue's guarantees rest on ({@code enable.auto.commit},
         * {@code acks}, {@code isolation.level}, ...) are refused at {@link #open()} when they differ. Values are
         * never logged.
         */
        public Builder<T> config(String key, Object value) {
            properties.put(requireText("config key", key), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** {@link #config(String, Object)} for each property, as Kafka's tools read a {@code --command-config}. */
        public Builder<T> config(Properties properties) {
            properties.stringPropertyNames().forEach(name -> config(name, properties.getProperty(name).trim()));
            return this;
        }

        /** A consumer group (the default) or a share group works the queue. */
        public Builder<T> groupType(GroupType groupType) {
            this.groupType = Objects.requireNonNull(groupType, "groupType");
            return this;
        }

        /**
         * When {@code taskDone()} commits: {@link CommitMode#BATCH} (the default), {@link CommitMode#PER_RECORD}, or
         * {@link CommitMode#NONE} (the seed's "omit task_done()"; consumer groups only).
         */
        public Builder<T> commitMode(CommitMode commitMode) {
            this.commitMode = Objects.requireNonNull(commitMode, "commitMode");
            return this;
        }

        /** In batch mode, the longest a done item waits for its commit; default 1 s. */
        public Builder<T> commitInterval(Duration commitInterval) {
            this.commitInterval = requirePositive("commitInterval", commitInterval);
            return this;
        }

        /** Which items {@code process()} may work side by side; default {@link Ordering#PARTITION}. */
        public Builder<T> ordering(Ordering ordering) {
            this.ordering = Objects.requireNonNull(ordering, "ordering");
            return this;
        }

        /** Retries of an item {@code process()}'s handler fails, before it is dead-lettered; default 3. */
        public Builder<T> maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be 0 or more, was " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /** The first retry's delay, doubling each time up to 30 s; default 200 ms. */
        public Builder<T> retryBackoff(Duration retryBackoff) {
            this.retryBackoff = requirePositive("retryBackoff", retryBackoff);
            return this;
        }

        /** Where unreadable records and items that failed every try go; default {@code <topic>.DLT}. */
        public Builder<T> deadLetterTopic(String deadLetterTopic) {
            this.deadLetterTopic = requireName("deadLetterTopic", deadLetterTopic);
            return this;
        }

        /**
         * How many recently done items are remembered, so a redelivered one is skipped; 0 turns it off; at most
         * {@value #MAX_DEDUP_WINDOW}; default 100,000 (about 26 bytes each).
         */
        public Builder<T> dedupWindow(int dedupWindow) {
            if (dedupWindow < 0 || dedupWindow > MAX_DEDUP_WINDOW) {
                throw new IllegalArgumentException("dedupWindow must be 0 (off) to " + MAX_DEDUP_WINDOW + ", was "
                        + dedupWindow);
            }
            this.dedupWindow = dedupWindow;
            return this;
        }

        /**
         * A file that keeps the dedup window across restarts: an item done just before a crash is recognised when it
         * is delivered again. One small write per item.
         */
        public Builder<T> appliedLog(Path appliedLog) {
            this.appliedLog = Objects.requireNonNull(appliedLog, "appliedLog");
            return this;
        }

        /**
         * Static group membership ({@code group.instance.id}): a member restarted with the same id after a crash gets
         * its partitions back at once, instead of after {@code session.timeout.ms}.
         */
        public Builder<T> instanceId(String instanceId) {
            this.instanceId = requireName("instanceId", instanceId);
            return this;
        }

        /**
         * Names this queue's puts; default random. Puts again under the same run id, with the same ids, are
         * recognised as the same items by consumers that did them. No spaces.
         */
        public Builder<T> runId(String runId) {
            if (runId == null || runId.isBlank() || runId.contains(" ")) {
                throw new IllegalArgumentException("runId must be non-empty, without spaces, was '" + runId + "'");
            }
            this.runId = runId;
            return this;
        }

        /** The id of this queue's first put; each next put counts up from it. Default 0. */
        public Builder<T> firstItemId(long firstItemId) {
            if (firstItemId < 0) {
                throw new IllegalArgumentException("firstItemId must be 0 or more, was " + firstItemId);
            }
            this.firstItemId = firstItemId;
            return this;
        }

        /**
         * Puts in Kafka transactions under this id, committed every 100 items, before any wait for room, and on
         * {@code flush()}, {@code shutdown()}, {@code join()} and {@code close()}. A newer producer with the same id
         * fences this one: its puts then fail with Kafka's {@code ProducerFencedException}.
         */
        public Builder<T> transactionalId(String transactionalId) {
            this.transactionalId = requireText("transactionalId", transactionalId);
            return this;
        }

        /** The longest a put waits for room while full, then throws {@link QueueFull}; default: no limit. */
        public Builder<T> putTimeout(Duration putTimeout) {
            this.putTimeout = requirePositive("putTimeout", putTimeout);
            return this;
        }

        /**
         * How long {@link #open()} waits for a broker, and the longest any one admin or blocking client call waits;
         * default 30 s.
         */
        public Builder<T> requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requirePositive("requestTimeout", requestTimeout);
            return this;
        }

        /** The least time between two samples of the group's progress: for a full queue, and for join; 200 ms. */
        public Builder<T> lagInterval(Duration lagInterval) {
            this.lagInterval = requirePositive("lagInterval", lagInterval);
            return this;
        }

        /** Reports what the queue does; see {@link QueueListener}. Default: nothing. */
        public Builder<T> listener(QueueListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where the queue's meters go ({@code queue.items.put}, {@code queue.items.done}, {@code queue.commits}, ...),
         * with the Kafka clients' own metrics. Default: meters kept in the queue only.
         */
        public Builder<T> meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** The Jackson mapper for items; default a plain {@code new ObjectMapper()}, made at the first item. */
        public Builder<T> objectMapper(ObjectMapper objectMapper) {
            Objects.requireNonNull(objectMapper, "objectMapper");
            this.objectMapper = () -> objectMapper;
            return this;
        }

        /**
         * Opens the queue: checks that a broker answers, and creates the topic when it is missing (unless told not
         * to). Clients for putting and getting are made when first needed. For a share group it sets the group's
         * {@code share.auto.offset.reset=earliest}: a share group starts at the latest offset by default, and would
         * skip items put before its first member came.
         *
         * @throws IllegalStateException when the bootstrap servers, the topic or the group are missing
         * @throws KafkaException        when no broker answers within the request timeout, the credentials are
         *                               refused, or the topic is missing and may not be created
         */
        public KafkaQueue<T> open() {
            if (topic == null || group == null) {
                throw new IllegalStateException("topic and group are required: topic(\"...\").group(\"...\")");
            }
            if (deadLetterTopic().equals(topic)) {
                throw new IllegalStateException("deadLetterTopic must differ from topic " + topic
                        + ", or bad records would loop");
            }
            if (groupType == GroupType.SHARE && commitMode == CommitMode.NONE) {
                throw new IllegalStateException("commitMode NONE is not allowed on a share group: a share consumer "
                        + "must acknowledge every record before its next poll");
            }
            ClientConfig client = client();
            // Settings that contradict the queue's guarantees fail now, before any client exists.
            Engine.consumerProperties(workOptions());
            Putter.producerProperties(putOptions());
            Admin admin = Admin.create(client.clientProperties());
            try {
                Topics.awaitCluster(admin, client.bootstrapServers(), requestTimeout);
                int partitions = createTopic
                        ? Topics.ensure(admin, topic, partitionsToCreate, replicationFactor, requestTimeout)
                        : Topics.require(admin, topic, requestTimeout);
                if (groupType == GroupType.SHARE) {
                    ShareGroups.startAtEarliest(admin, group, requestTimeout);
                }
                return new KafkaQueue<>(copy(), admin, partitions);
            } catch (InterruptedException e) {
                admin.close(Duration.ZERO);
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            } catch (ExecutionException | TimeoutException e) {
                admin.close(Duration.ZERO);
                throw new KafkaException("cannot open queue " + topic + ": " + KafkaErrors.rootMessage(e), e);
            } catch (RuntimeException e) {
                admin.close(Duration.ZERO);
                throw e;
            }
        }

        ClientConfig client() {
            Object servers = bootstrapServers != null ? bootstrapServers : properties.get("bootstrap.servers");
            if (servers == null) {
                throw new IllegalStateException("bootstrapServers is required: bootstrapServers(\"host:port\")");
            }
            return new ClientConfig(servers.toString(), properties);
        }

        String deadLetterTopic() {
            return deadLetterTopic != null ? deadLetterTopic : topic + ".DLT";
        }

        WorkOptions workOptions() {
            return new WorkOptions(client(), topic, group, groupType,
                    new WorkOptions.Commit(commitMode, commitInterval), ordering,
                    new WorkOptions.Retry(maxRetries, retryBackoff), deadLetterTopic(),
                    new WorkOptions.Dedup(dedupWindow, Optional.ofNullable(appliedLog)),
                    Optional.ofNullable(instanceId), requestTimeout, runId);
        }

        PutOptions putOptions() {
            return new PutOptions(client(), topic, group, maxsize, runId,
                    firstItemId, Optional.ofNullable(transactionalId),
                    Optional.ofNullable(putTimeout), lagInterval, requestTimeout);
        }

        private Builder<T> copy() {
            Builder<T> copy = new Builder<>(itemType);
            copy.properties.putAll(properties);
            copy.bootstrapServers = bootstrapServers;
            copy.topic = topic;
            copy.group = group;
            copy.maxsize = maxsize;
            copy.partitionsToCreate = partitionsToCreate;
            copy.replicationFactor = replicationFactor;
            copy.createTopic = createTopic;
            copy.groupType = groupType;
            copy.commitMode = commitMode;
            copy.commitInterval = commitInterval;
            copy.ordering = ordering;
            copy.maxRetries = maxRetries;
            copy.retryBackoff = retryBackoff;
            copy.deadLetterTopic = deadLetterTopic;
            copy.dedupWindow = dedupWindow;
            copy.appliedLog = appliedLog;
            copy.instanceId = instanceId;
            copy.runId = runId;
            copy.firstItemId = firstItemId;
            copy.transactionalId = transactionalId;
            copy.putTimeout = putTimeout;
            copy.requestTimeout = requestTimeout;
            copy.lagInterval = lagInterval;
            copy.listener = listener;
            copy.registry = registry;
            copy.objectMapper = objectMapper;
            return copy;
        }

        private static String requireText(String what, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value;
        }

        private static String requireName(String what, String value) {
            requireText(what, value);
            if (!value.matches("[a-zA-Z0-9._-]{1,249}")) {
                throw new IllegalArgumentException(what + " '" + value + "' is not a valid Kafka name: use 1 to 249 "
                        + "of the characters a-z A-Z 0-9 . _ -");
            }
            return value;
        }

        private static Duration requirePositive(String what, Duration value) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(what + " must be above zero, was " + value);
            }
            return value;
        }
    }
}
