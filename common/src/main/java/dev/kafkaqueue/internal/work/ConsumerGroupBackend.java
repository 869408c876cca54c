package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.ClientConfig;
import dev.kafkaqueue.internal.ClientMetrics;
import dev.kafkaqueue.options.CommitMode;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The engine on a consumer group: each partition belongs to one member, and {@code taskDone()} is an offset commit
 * past the partition's contiguous finished prefix ({@link TaskDone}), made when the {@link CommitMode}
 * says. The fetcher never outruns the workers ({@link Throttle}), a rebalance lets the tasks in hand finish and
 * commits them ({@link Rebalance}), and pills close partitions through the commit metadata ({@link RunClosure}).
 */
final class ConsumerGroupBackend implements Backend {

    private final WorkOptions options;
    private final Function<Map<String, Object>, org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> clients;
    private final RunClosure closure;
    private final RunClosure.EndOffsets endOffsets;
    private final Meters meters;
    private final Runnable beforeCommit;
    private final ClientMetrics clientMetrics;
    private final Wakeups wakeups = new Wakeups();
    private org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> kafka;
    private volatile TaskDone taskDone;
    private Throttle throttle;
    private boolean reportedEmpty;

    /**
     * @param clients      makes the Kafka consumer from its properties, on the poll thread
     * @param endOffsets   reads the partitions' ends for the closure check
     * @param beforeCommit runs before every commit: makes what was applied durable first (the dedup window's file)
     * @param clientMetrics exports the consumer's own metrics
     */
    ConsumerGroupBackend(WorkOptions options,
                         Function<Map<String, Object>, org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>>
                                 clients,
                         RunClosure closure, RunClosure.EndOffsets endOffsets, Meters meters, Runnable beforeCommit,
                         ClientMetrics clientMetrics) {
        this.options = options;
        this.clients = clients;
        this.closure = closure;
        this.endOffsets = endOffsets;
        this.meters = meters;
        this.beforeCommit = beforeCommit;
        this.clientMetrics = clientMetrics;
    }

    /** A consumer group's members, as Kafka's {@code KafkaConsumer}. */
    static ConsumerGroupBackend create(WorkOptions options, RunClosure closure, Admin admin, Meters meters,
                                       Runnable beforeCommit, ClientMetrics clientMetrics) {
        return new ConsumerGroupBackend(options, KafkaConsumer::new, closure, RunClosure.EndOffsets.of(admin), meters,
                beforeCommit, clientMetrics);
    }

    /** One gauge row per assigned partition: how long its oldest unfinished fetched record has waited. */
    private void registerAges() {
        List<MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
        for (PartitionProgress partition : taskDone.partitions()) {
            rows.add(MultiGauge.Row.of(Tags.of("partition", Integer.toString(partition.tp.partition())), partition,
                    PartitionProgress::oldestAgeSeconds));
        }
        meters.ages().register(rows, true);
    }

    /** The partition's progress, while this member works it; null otherwise. Any thread. */
    PartitionProgress partition(TopicPartition tp) {
        TaskDone current = taskDone;
        return current == null ? null : current.partition(tp);
    }

    @Override
    public void open(Dispatcher dispatcher) {
        kafka = clients.apply(consumerProperties(options));
        wakeups.attach(kafka);
        clientMetrics.bind(kafka);
        taskDone = new TaskDone(options.commit().mode(), options.commit().interval(),
                new Commits(kafka, wakeups, options.blockingLimit(), meters.commits()), beforeCommit);
        throttle = new Throttle(WorkOptions.BACKLOG_RECORDS, options.backlogBytes(), options.throttlePatience());
        kafka.subscribe(List.of(options.topic()), new Rebalance(kafka, taskDone, dispatcher, closure, throttle,
                wakeups, options.requestTimeout(), options.inHandWait(), this::registerAges));
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        return wakeups.poll(kafka, timeout);
    }

    @Override
    public void track(ConsumerRecords<byte[], byte[]> records, List<Task> tasks) {
        for (TopicPartition tp : records.partitions()) {
            taskDone.track(records.records(tp), tp, tasks);
        }
    }

    @Override
    public void afterPoll(ConsumerRecords<byte[], byte[]> records) {
        taskDone.positions(records.nextOffsets());
        taskDone.caughtUp(caughtUp());
        throttle.apply(kafka, taskDone, records.partitions(), () -> !wakeups.running());
        taskDone.maybeCommit();
    }

    @Override
    public boolean mayPoll() {
        return true;
    }

    @Override
    public void awaitFinished(Duration timeout) {
        poll(timeout); // never called: a consumer group polls on while its tasks are worked
    }

    @Override
    public boolean idle() {
        return taskDone.idle();
    }

    /** {@code queue.empty()}: every assigned partition fetched to its end, said once each time it becomes true. */
    @Override
    public boolean fetchedToEnd(boolean pollWasEmpty) {
        if (!pollWasEmpty) {
            reportedEmpty = false;
            return false;
        }
        var assignment = kafka.assignment();
        if (reportedEmpty || assignment.isEmpty()) {
            return false;
        }
        for (TopicPartition tp : assignment) {
            var lag = kafka.currentLag(tp);
            if (lag.isEmpty() || lag.getAsLong() != 0) {
                return false;
            }
        }
        reportedEmpty = true;
        return true;
    }

    @Override
    public boolean runClosed() {
        if (!options.commit().mode().commits()) {
            return taskDone.idle() && closure.closedLocally(kafka.assignment());
        }
        if (closure.openHere(kafka.assignment())) {
            return false; // a pill still to be read here: no synchronous commit and no requests while items stream in
        }
        taskDone.commitNow(); // the check reads the group's commits, ours included
        return wakeups.call(() -> closure.runClosed(kafka, endOffsets, options.topic(), options.blockingLimit()));
    }

    @Override
    public boolean closedForGetters(HandOff handOff) {
        var assignment = kafka.assignment();
        if (!options.commit().mode().commits()) {
            return closure.closedLocally(assignment) && drained(handOff, assignment);
        }
        if (closure.openHere(assignment)) {
            return false;
        }
        taskDone.commitNow();
        return wakeups.call(() -> closure.runClosed(kafka, endOffsets, options.topic(), options.blockingLimit(),
                tp -> assignment.contains(tp) && closure.closedLocally(List.of(tp)) && taskDone.drained(tp,
                        handOff)));
    }

    private boolean drained(HandOff handOff, java.util.Set<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            if (!taskDone.drained(tp, handOff)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void commitNow() {
        taskDone.commitNow();
    }

    /**
     * The last commit, before the member leaves: a commit that a rebalance under way deferred is made again once a
     * poll (every partition paused) has finished the rebalance, whose revoke commits too. Bounded by the blocking
     * limit. Without it, a member that stops while another joins leaves its last items to be done again.
     */
    @Override
    public void commitBeforeLeaving() {
        if (!options.commit().mode().commits()) {
            return;
        }
        long deadline = System.nanoTime() + options.blockingLimit().toNanos();
        taskDone.commitNow();
        while (taskDone.uncommitted() && System.nanoTime() - deadline < 0) {
            kafka.pause(kafka.assignment());
            wakeups.poll(kafka, Engine.BUSY_POLL_TIMEOUT);
            taskDone.commitNow();
        }
    }

    /**
     * Lets the items in hand finish, however long they take, while the member keeps polling (every partition paused)
     * so that it is not evicted meanwhile; commits as they finish.
     */
    @Override
    public void finishInHand(Dispatcher dispatcher) {
        dispatcher.stop();
        wakeups.finishing();
        taskDone.wakeWaiters();
        kafka.pause(kafka.assignment());
        while (!dispatcher.awaitTermination(Engine.BUSY_POLL_TIMEOUT)) {
            wakeups.poll(kafka, Engine.BUSY_POLL_TIMEOUT);
            taskDone.maybeCommit();
            kafka.pause(kafka.assignment()); // partitions a rebalance just assigned stay unfetched too
        }
    }

    @Override
    public RecordHandler.AfterRecord afterRecord() {
        if (options.commit().mode() != CommitMode.PER_RECORD) {
            return task -> { };
        }
        return task -> {
            wakeups.nudge(); // the poll thread commits at once
            try {
                taskDone.awaitCommitted(task, () -> !wakeups.running());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Override
    public void drained() {
        // A drained backlog is worth waking the poll thread for only when the queue is empty: join waits for it.
        TaskDone current = taskDone;
        if (current != null && current.caughtUp()) {
            wakeups.nudge();
        }
    }

    @Override
    public void nudge() {
        wakeups.nudge();
    }

    @Override
    public void stop() {
        wakeups.stop();
    }

    @Override
    public boolean running() {
        return wakeups.running();
    }

    @Override
    public void close() {
        if (kafka != null) {
            // A stop leaves the group, static members too, so their partitions move at once.
            kafka.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            wakeups.attach(null);
        }
    }

    /**
     * True when the last fetches left every partition less than one poll behind its end (a lag not yet known counts
     * as none). Not zero: items put one by one keep the fetcher a few records behind at any moment, and their
     * task_done should not wait for the commit interval; a backlog of millions is far above one poll.
     */
    private boolean caughtUp() {
        int onePoll = options.maxPollRecords();
        for (TopicPartition tp : kafka.assignment()) {
            if (kafka.currentLag(tp).orElse(0) > onePoll) {
                return false;
            }
        }
        return true;
    }

    /**
     * True unless the user chose KIP-848's protocol ({@code group.protocol=consumer}). There the broker assigns the
     * partitions, incrementally, and sets the heartbeat interval; the client refuses an assignor or a heartbeat
     * interval of its own at start-up.
     */
    private static boolean classicProtocol(Map<String, Object> props) {
        Object protocol = props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG);
        return protocol == null || !GroupProtocol.CONSUMER.name().equalsIgnoreCase(protocol.toString().trim());
    }

    /** The consumer's client properties, with a reason for every setting that is not a default. */
    static Map<String, Object> consumerProperties(WorkOptions options) {
        Map<String, Object> props = options.client().clientProperties();
        ClientConfig.putOwned(props, ConsumerConfig.GROUP_ID_CONFIG, options.group());
        // taskDone() is an explicit commit after processing, never a timer.
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
        if (classicProtocol(props)) {
            // Partitions move only when they must: a member joining or leaving does not revoke everyone's partitions,
            // and so does not make every member wait for its items in hand.
            props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    CooperativeStickyAssignor.class.getName());
            // A cooperative rebalance takes two rounds, and a member learns of the second from a heartbeat's answer:
            // a member joining a busy group got its partitions up to 3 s (the default interval) after they were
            // revoked.
            props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        }
        // The broker answers a connection's requests in order, and holds a fetch of a partition read to its end for up
        // to this long: every request queued behind it waits too, closing the fetch session on exit among them. 100 ms
        // instead of 500 bounds that wait, for a fetch request every 100 ms while the queue is empty.
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        // A new group starts with the first item ever put, as a queue would.
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Static membership: a consumer restarted after a crash takes its partitions back at once, instead of
        // waiting session.timeout.ms for the old member to expire.
        options.instanceId().ifPresent(id -> props.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-queue-consumer-" + ProcessHandle.current().pid());
        return props;
    }
}
