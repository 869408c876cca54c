package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.ClientConfig;
import dev.kafkaqueue.queue.ExitCode;
import dev.kafkaqueue.queue.Words;
import dev.kafkaqueue.service.ItemLog;
import dev.kafkaqueue.service.ServiceMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of the queue: {@code get()} is a poll, {@code task_done()} is an offset commit made after
 * processing ({@link TaskDone}). Ends when every partition of the topic is closed by a poison pill, after
 * {@code --count} items, or when {@link #stop()} is called (SIGTERM): it then finishes the items in hand, commits
 * them and leaves the group.
 *
 * <p>The poll thread only polls, hands records to the {@link WorkPool} and commits. It never waits for an item, so
 * an item may take longer than {@code max.poll.interval.ms} without the member being evicted: a partition whose
 * backlog is full ({@link #BACKLOG_RECORDS} records, or {@link ConsumerSettings#backlogBytes()}) holds the fetcher
 * back ({@link Throttle}).
 *
 * <p>The thread that calls {@link #run()} owns the Kafka consumer; {@link #stop()} is the only method other threads
 * may call.
 */
final class QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(QueueConsumer.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    /** While work is in flight the loop comes back at least this often, to commit what finished. */
    private static final Duration BUSY_POLL_TIMEOUT = Duration.ofMillis(100);
    /** Idle consumers look at the group's closures at most this often: two small requests, never per record. */
    private static final Duration CLOSURE_CHECK_INTERVAL = Duration.ofSeconds(1);
    /**
     * Records per partition held before the fetcher waits (fetched, not yet past the finished prefix): bounds memory by
     * partitions, not by items.
     * Large enough for a whole fetch of small records (1 MiB of this queue's envelopes is about 7,500), so the poll
     * thread can take all of a fetch and the next one is on its way while the workers process this one.
     */
    static final int BACKLOG_RECORDS = 10_000;
    private static final String STOPPED_BY_SIGNAL = "stopped by signal";

    private final ConsumerSettings settings;
    private final ItemProcessor processor;
    private final DedupWindow dedup;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final Supplier<DeadLetters> deadLetters;
    private final RunClosure.EndOffsets endOffsets;
    private final ServiceMetrics metrics;
    private final RecordHandler.Meters meters;
    private final Counter commitCounter;
    private final RunClosure closure = new RunClosure(System.currentTimeMillis());
    private final ItemLog items;
    private final Wakeups wakeups = new Wakeups();
    private final Retrying retrying;
    private volatile WorkPool pool;

    /**
     * @param settings    the parsed settings
     * @param processor   the work done per item
     * @param dedup       what was already applied, for idempotence
     * @param consumers   creates the Kafka consumer, on the thread that calls {@link #run()}
     * @param deadLetters creates the dead-letter writer, likewise
     * @param endOffsets  where the end-of-run check reads the partitions' ends
     * @param metrics     where the queue's and the Kafka client's meters go
     */
    QueueConsumer(ConsumerSettings settings, ItemProcessor processor, DedupWindow dedup,
                  Supplier<Consumer<byte[], byte[]>> consumers, Supplier<DeadLetters> deadLetters,
                  RunClosure.EndOffsets endOffsets, ServiceMetrics metrics) {
        this.settings = settings;
        this.processor = processor;
        this.dedup = dedup;
        this.consumers = consumers;
        this.deadLetters = deadLetters;
        this.endOffsets = endOffsets;
        this.metrics = metrics;
        MeterRegistry registry = metrics.registry();
        this.meters = RecordHandler.Meters.register(registry);
        this.commitCounter = Counter.builder("queue.commits")
                .description("Offset commits (task_done calls)").register(registry);
        Gauge.builder("queue.items.in.progress", this, self -> self.pool == null ? 0 : self.pool.inProgress())
                .description("Items a worker is processing right now").register(registry);
        this.items = new ItemLog(settings.itemLog(), "Consumed", System.out, Duration.ofSeconds(5));
        this.retrying = new Retrying(processor, settings.maxRetries(), settings.retryBackoff());
    }

    /** A consumer of the cluster the settings name; {@code admin} (borrowed) reads the partitions' ends. */
    static QueueConsumer create(ConsumerSettings settings, ItemProcessor processor, DedupWindow dedup, Admin admin,
                                ServiceMetrics metrics) {
        return new QueueConsumer(settings, processor, dedup,
                () -> new KafkaConsumer<>(consumerProperties(settings)),
                () -> DeadLetters.create(settings.client(), settings.deadLetterTopic(), settings.connectTimeout()),
                RunClosure.EndOffsets.of(admin), metrics);
    }

    /** Asks the run to stop after the items in hand. Safe to call from any thread. */
    void stop() {
        metrics.unhealthy();
        retrying.stop();
        WorkPool workers = pool;
        if (workers != null) {
            workers.stop();
        }
        wakeups.stop();
    }

    /** Polls and processes until the run ends; returns the process exit code. */
    int run() {
        try (DeadLetters writer = deadLetters.get()) {
            Consumer<byte[], byte[]> kafka = consumers.get();
            wakeups.attach(kafka);
            try {
                return run(kafka, writer);
            } finally {
                // SIGTERM leaves the group, static members too, so their partitions move at once.
                kafka.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
                wakeups.attach(null);
            }
        }
    }

    private int run(Consumer<byte[], byte[]> kafka, DeadLetters writer) {
        metrics.bind(kafka);
        TaskDone taskDone = new TaskDone(settings.commitMode(), settings.commitInterval(),
                new Commits(kafka, wakeups, settings.blockingLimit(), commitCounter), dedup::flush);
        RecordHandler.AfterRecord after = settings.commitMode().workerAwaitsCommit()
                ? task -> awaitCommit(taskDone, task)
                : task -> { };
        RecordHandler handler = new RecordHandler(closure, dedup, retrying, writer, items, meters, settings.count(),
                after);
        // A drained backlog is worth waking the poll thread for only when the queue is empty: then join waits for it.
        WorkPool workers = new WorkPool(settings.concurrency(), settings.ordering(), handler, () -> {
            if (taskDone.caughtUp()) {
                wakeups.nudge();
            }
        });
        pool = workers;
        if (!wakeups.running()) {
            workers.stop(); // a signal that came before the pool existed
        }
        Throttle throttle = new Throttle(BACKLOG_RECORDS, settings.backlogBytes(), settings.throttlePatience());
        kafka.subscribe(List.of(settings.topic()), new Rebalance(kafka, taskDone, workers, closure, throttle, wakeups,
                settings.connectTimeout(), settings.inHandWait()));
        String reason;
        try {
            reason = loop(kafka, taskDone, workers, handler, throttle);
        } finally {
            finishInHand(kafka, taskDone, workers);
            taskDone.commitNow(); // whatever ended the loop, what was finished is done
        }
        Throwable failure = workers.failure();
        if (failure instanceof DeadLetters.DeadLetterException e) {
            metrics.unhealthy();
            log.error("Stopping without committing the record: {}", e.getMessage());
            System.out.println("Consumer failed: " + e.getMessage());
            return ExitCode.FAILURE;
        } else if (failure != null) {
            throw failure instanceof RuntimeException e ? e : new IllegalStateException(failure);
        }
        if (workers.concurrency() > 1) {
            System.out.println("Workers: " + workers.concurrency() + " threads, at most " + workers.mostBusy()
                    + " items in progress at once");
        }
        items.finish();
        System.out.println("Consumer done: " + Words.items(handler.processed()) + " processed, "
                + handler.deadLettered() + " dead-lettered (" + reason + ")");
        return ExitCode.OK;
    }

    private String loop(Consumer<byte[], byte[]> kafka, TaskDone taskDone, WorkPool workers, RecordHandler handler,
                        Throttle throttle) {
        try {
            return pollUntilDone(kafka, taskDone, workers, handler, throttle);
        } catch (WakeupException e) {
            if (wakeups.running()) {
                throw e;
            }
            return STOPPED_BY_SIGNAL; // stop() woke a blocking call between records
        }
    }

    private String pollUntilDone(Consumer<byte[], byte[]> kafka, TaskDone taskDone, WorkPool workers,
                                 RecordHandler handler, Throttle throttle) {
        QueueEmpty empty = new QueueEmpty();
        long nextClosureCheck = System.nanoTime();
        List<Task> tasks = new ArrayList<>();
        while (wakeups.running() && workers.failure() == null) {
            ConsumerRecords<byte[], byte[]> records =
                    wakeups.poll(kafka, taskDone.idle() ? POLL_TIMEOUT : BUSY_POLL_TIMEOUT);
            for (TopicPartition tp : records.partitions()) {
                taskDone.track(records.records(tp), tp, tasks);
            }
            workers.submit(tasks);
            tasks.clear();
            taskDone.positions(records.nextOffsets());
            taskDone.caughtUp(caughtUp(kafka, settings.maxPollRecords()));
            throttle.apply(kafka, taskDone, records.partitions(), () -> !wakeups.running());
            taskDone.maybeCommit();
            if (settings.count() > 0 && handler.processed() >= settings.count()) {
                return "count reached";
            }
            empty.afterPoll(kafka, records.isEmpty());
            boolean idle = records.isEmpty() && taskDone.idle();
            if (handler.takePillFinished() || (idle && System.nanoTime() - nextClosureCheck >= 0)) {
                nextClosureCheck = System.nanoTime() + CLOSURE_CHECK_INTERVAL.toNanos();
                if (runClosed(kafka, taskDone)) {
                    return "all partitions closed by poison pills";
                }
            }
        }
        return workers.failure() != null ? "failed" : STOPPED_BY_SIGNAL;
    }

    /**
     * Lets the items in hand finish, however long they take, while the member keeps polling (every partition
     * paused) so that it is not evicted meanwhile; commits as they finish. SIGTERM's grace period bounds it.
     */
    private void finishInHand(Consumer<byte[], byte[]> kafka, TaskDone taskDone, WorkPool workers) {
        workers.stop();
        wakeups.finishing();
        taskDone.wakeWaiters();
        kafka.pause(kafka.assignment());
        while (!workers.awaitTermination(BUSY_POLL_TIMEOUT)) {
            wakeups.poll(kafka, BUSY_POLL_TIMEOUT);
            taskDone.maybeCommit();
            kafka.pause(kafka.assignment()); // partitions a rebalance just assigned stay unfetched too
        }
    }

    /**
     * True when the last fetches left every partition less than one poll behind its end (a lag not yet known counts
     * as none). Not zero: items put one by one keep the fetcher a few records behind at any moment, and their
     * task_done should not wait for the commit interval; a backlog of millions is far above one poll.
     */
    private static boolean caughtUp(Consumer<?, ?> kafka, int onePoll) {
        for (TopicPartition tp : kafka.assignment()) {
            if (kafka.currentLag(tp).orElse(0) > onePoll) {
                return false;
            }
        }
        return true;
    }

    /** True when the work this consumer could still receive is done: every partition is closed by a pill. */
    private boolean runClosed(Consumer<byte[], byte[]> kafka, TaskDone taskDone) {
        if (!settings.commitMode().sharesClosures()) {
            return taskDone.idle() && closure.closedLocally(kafka.assignment());
        }
        taskDone.commitNow(); // the check reads the group's commits, ours included
        return wakeups.call(() -> closure.runClosed(kafka, endOffsets, settings.topic(), settings.blockingLimit()));
    }

    /** Per-record mode: the worker waits for its record's commit before it takes the next one. */
    private void awaitCommit(TaskDone taskDone, Task task) {
        wakeups.nudge(); // the poll thread commits at once
        try {
            taskDone.awaitCommitted(task, () -> !wakeups.running());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The consumer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> consumerProperties(ConsumerSettings settings) {
        Map<String, Object> props = settings.client().clientProperties();
        ClientConfig.putOwned(props, ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        // task_done() is an explicit commit after processing, never a timer.
        ClientConfig.putOwned(props, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Raw bytes: an unreadable record reaches the dead-letter topic exactly as it was written.
        ClientConfig.putOwned(props, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        ClientConfig.putOwned(props, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        // Items of an aborted transaction were never put.
        ClientConfig.putOwned(props, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // The producer creates the topic with its partition count; a consumer must not create it first.
        ClientConfig.putOwned(props, ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // Partitions move only when they must: a member joining or leaving does not revoke everyone's partitions, and
        // so does not make every member wait for its items in hand.
        props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName());
        // A cooperative rebalance takes two rounds, and a member learns of the second from a heartbeat's answer: a
        // member joining a busy group got its partitions up to 3 s (the default interval) after they were revoked.
        props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        // The broker answers a connection's requests in order, and holds a fetch of a partition read to its end for up
        // to this long: every request queued behind it waits too, closing the fetch session on exit among them. 100 ms
        // instead of 500 bounds that wait, for a fetch request every 100 ms while the queue is empty.
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        // A new group starts with the first item ever put, as a queue would.
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Static membership: a consumer restarted after a crash takes its partitions back at once, instead of
        // waiting session.timeout.ms for the old member to expire.
        settings.instanceId().ifPresent(id -> props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-queue-consumer-" + ProcessHandle.current().pid());
        return props;
    }
}
