package dev.kafkaqueue.internal.work;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * One kind of Kafka group under the {@link Engine}'s poll loop: a consumer group ({@link ConsumerGroupBackend}) or a
 * share group ({@link ShareGroupBackend}). The loop is the same for both; what differs is here: the client, how a
 * poll's records become tasks, how a finished task reaches the broker (an offset commit past the finished prefix, or
 * an acknowledgement), and how the group says the run is closed.
 *
 * <p>The poll thread creates the client in {@link #open} and is the only thread that calls the other methods, except
 * {@link #drained()}, {@link #nudge()} and {@link #stop()}, which any thread may call.
 */
interface Backend {

    /** Creates the client and subscribes, with the dispatcher that works the tasks. Poll thread. */
    void open(Dispatcher dispatcher);

    /** Polls; a {@linkplain #nudge() nudge} ends the poll early with no records. */
    ConsumerRecords<byte[], byte[]> poll(Duration timeout);

    /** The poll's records as tasks, appended to {@code tasks} in offset order per partition. */
    void track(ConsumerRecords<byte[], byte[]> records, List<Task> tasks);

    /** After the poll's tasks were handed out: positions, the fetcher's backpressure, commits when due. */
    void afterPoll(ConsumerRecords<byte[], byte[]> records);

    /** False while the last poll's records must be answered before the next poll (a share group's acknowledgement). */
    boolean mayPoll();

    /** Waits up to {@code timeout} for a task to finish, then sends what finished (acknowledgements, commits). */
    void awaitFinished(Duration timeout);

    /** True when no fetched record is unfinished. */
    boolean idle();

    /** True once after every assigned partition was fetched to its end, when a poll comes back empty. */
    boolean fetchedToEnd(boolean pollWasEmpty);

    /**
     * True when the work this member could still receive is done, as the group's state says: every partition closed
     * by a pill of a run this member works on, with everything before it finished.
     */
    boolean runClosed();

    /**
     * True when getters can get nothing more: {@link #runClosed()}, except that a partition whose pill a getter took,
     * with nothing queued behind it, counts as closed while items taken before the pill are still in hand.
     */
    boolean closedForGetters(HandOff handOff);

    /** Sends whatever is finished, and waits for the broker's answer: before a closure check, and at the end. */
    void commitNow();

    /** The last commit before the member leaves the group: made even when a rebalance under way defers it. */
    void commitBeforeLeaving();

    /**
     * The loop is over: lets the tasks in hand finish, however long they take, while the member keeps its membership,
     * and sends what finishes. SIGTERM's grace period bounds it.
     */
    void finishInHand(Dispatcher dispatcher);

    /** What the engine's record handler does after each finished record: waits for its commit in per-record mode. */
    RecordHandler.AfterRecord afterRecord();

    /** The dispatcher's queue ran empty: worth a commit now if the fetcher has caught up. Any thread. */
    void drained();

    /** Wakes the poll thread, to send what finished. Any thread. */
    void nudge();

    /** Ends the loop: blocking calls end. Any thread. */
    void stop();

    /** True until {@link #stop()}. */
    boolean running();

    /** Closes the client, leaving the group. Poll thread, once, after the loop. */
    void close();
}
