package dev.kafkaqueue.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.QueueEmpty;
import dev.kafkaqueue.QueueFull;
import dev.kafkaqueue.QueueShutDown;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CPython's {@code Lib/test/test_asyncio/test_queues.py} (3.13), ported test by test to {@link KafkaQueue} on a real
 * broker: each Java test is named after the CPython test it ports, and checks what it checks. Coroutines become
 * threads, {@code task.cancel()} becomes an interrupt, and {@code asyncio.sleep(0)} ("let the other task run")
 * becomes a wait on the condition the CPython test then asserts.
 *
 * <p>Where Kafka differs, the test says so. Chiefly: {@code maxsize} bounds unfinished items (put, and not yet done),
 * not items not yet got, so where CPython frees a slot with {@code get()}, the port calls {@code taskDone()} too; and a
 * get that does not wait ({@code getNowait}) finds only what was fetched already, so the port waits for the fetch.
 * docs/asyncio-tests.md maps every CPython test to its port, or says why it has none.
 */
class AsyncioQueueTestsIT {

    /** Long enough for a fetch, a commit and a gate's sample on a loaded machine; the tests wait on conditions. */
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** How long "still blocked" is watched: a broken bound would show within it. */
    private static final Duration STILL = Duration.ofSeconds(2);

    @RegisterExtension
    final TestQueue names = new TestQueue();

    private final List<KafkaQueue<?>> opened = new CopyOnWriteArrayList<>();
    private final ExecutorService tasks = Executors.newCachedThreadPool();

    @AfterEach
    void closeEverything() throws InterruptedException {
        tasks.shutdownNow();
        opened.forEach(KafkaQueue::close);
        assertThat(tasks.awaitTermination(30, TimeUnit.SECONDS)).as("every task ended").isTrue();
    }

    /** {@code QueueBasicTests}. */
    @Nested
    class Basic {

        @Test
        void test_empty() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            assertThat(q.empty()).isTrue();
            q.put(1);
            assertThat(q.empty()).isFalse();
            assertThat(q.get().item()).isEqualTo(1);
            assertThat(q.empty()).as("got, so no longer in the queue (though not done)").isTrue();
        }

        @Test
        void test_full() throws Exception {
            KafkaQueue<Integer> unbounded = queue(0);
            assertThat(unbounded.full()).isFalse();

            KafkaQueue<Integer> q = queue(1);
            q.put(1);
            assertThat(q.full()).isTrue();
        }

        @Test
        void test_order() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            for (int i : new int[] {1, 3, 2}) {
                q.put(i);
            }
            List<Integer> items = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                items.add(q.get().item());
            }
            assertThat(items).containsExactly(1, 3, 2);
        }

        /** Kafka: the putter goes on after the first item is done, not merely got. */
        @Test
        void test_maxsize() throws Exception {
            KafkaQueue<Integer> q = queue(2);
            assertThat(q.maxsize()).isEqualTo(2);
            List<Integer> haveBeenPut = new CopyOnWriteArrayList<>();
            Future<Boolean> putter = tasks.submit(() -> {
                for (int i = 0; i < 3; i++) {
                    q.put(i);
                    haveBeenPut.add(i);
                }
                return true;
            });

            await().atMost(WAIT).until(() -> haveBeenPut.size() == 2);
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(() -> haveBeenPut.size() == 2);
            assertThat(haveBeenPut).as("the putter is blocked after putting two items").containsExactly(0, 1);
            KafkaQueue.Task<Integer> first = q.get();
            assertThat(first.item()).isZero();
            first.taskDone();

            await().atMost(WAIT).until(() -> haveBeenPut.size() == 3);
            assertThat(haveBeenPut).containsExactly(0, 1, 2);
            assertThat(q.get().item()).isEqualTo(1);
            assertThat(q.get().item()).isEqualTo(2);
            assertThat(putter.get(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** {@code QueueGetTests}. */
    @Nested
    class Get {

        @Test
        void test_blocking_get() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            q.putNowait(1);
            assertThat(q.get().item()).isEqualTo(1);
        }

        /** Kafka: the waiting putter goes on once the item is done. */
        @Test
        void test_get_with_putters() throws Exception {
            KafkaQueue<Integer> q = queue(1);
            q.put(1);
            Future<?> waiter = tasks.submit(() -> {
                q.put(2);
                return null;
            });

            KafkaQueue.Task<Integer> task = q.get();
            assertThat(task.item()).isEqualTo(1);
            task.taskDone();
            assertThat(waiter.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        }

        @Test
        void test_blocking_get_wait() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            List<String> finished = new CopyOnWriteArrayList<>();
            Future<Integer> getter = tasks.submit(() -> {
                int item = q.get().item();
                finished.add("finished");
                return item;
            });
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(finished::isEmpty);

            q.putNowait(1);

            assertThat(getter.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(finished).containsExactly("finished");
        }

        /** Kafka: {@code getNowait} finds what is fetched, so it is called until the fetch came. */
        @Test
        void test_nonblocking_get() {
            KafkaQueue<Integer> q = queue(0);
            q.putNowait(1);
            assertThat(fetchedNowait(q)).isEqualTo(1);
        }

        @Test
        void test_nonblocking_get_exception() {
            KafkaQueue<Integer> q = queue(0);
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueEmpty.class);
        }

        /** {@code t1.cancel()} is an interrupt: the interrupted getter takes nothing, the other gets the item. */
        @Test
        void test_get_cancelled_race() throws Exception {
            KafkaQueue<String> q = queue(String.class, 0);
            Future<String> t1 = tasks.submit(() -> q.get().item());
            Future<String> t2 = tasks.submit(() -> q.get().item());
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(() -> !t1.isDone() && !t2.isDone());

            t1.cancel(true);
            await().atMost(WAIT).until(t1::isDone);
            q.put("a");

            assertThat(t2.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("a");
        }

        /** Kafka: 'b' is put once 'a' is done. */
        @Test
        void test_get_with_waiting_putters() throws Exception {
            KafkaQueue<String> q = queue(String.class, 1);
            Future<?> putA = tasks.submit(() -> {
                q.put("a");
                return null;
            });
            putA.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            Future<?> putB = tasks.submit(() -> {
                q.put("b");
                return null;
            });

            KafkaQueue.Task<String> a = q.get();
            assertThat(a.item()).isEqualTo("a");
            a.taskDone();
            assertThat(q.get().item()).isEqualTo("b");
            assertThat(putB.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        }

        /** Kafka: the consumer calls taskDone, or the producer would wait for ever at maxsize 1. */
        @Test
        void test_why_are_getters_waiting() throws Exception {
            KafkaQueue<Integer> q = queue(1);
            int items = 5;
            Future<?> consumer = tasks.submit(() -> {
                for (int i = 0; i < items; i++) {
                    q.get().taskDone();
                }
                return null;
            });
            Future<?> producer = tasks.submit(() -> {
                for (int i = 0; i < items; i++) {
                    q.put(i);
                }
                return null;
            });

            assertThat(producer.get(WAIT.multipliedBy(2).toSeconds(), TimeUnit.SECONDS)).isNull();
            assertThat(consumer.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        }
    }

    /** {@code QueuePutTests}. */
    @Nested
    class Put {

        @Test
        void test_blocking_put() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            q.put(1);
            assertThat(q.get().item()).isEqualTo(1);
        }

        /** Kafka: the second put goes on once the first item is done. */
        @Test
        void test_blocking_put_wait() throws Exception {
            KafkaQueue<Integer> q = queue(1);
            List<String> finished = new CopyOnWriteArrayList<>();
            Future<?> putter = tasks.submit(() -> {
                q.put(1);
                q.put(2);
                finished.add("finished");
                return null;
            });
            KafkaQueue.Task<Integer> first = q.get();
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(finished::isEmpty);

            first.taskDone();

            assertThat(putter.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
            assertThat(finished).containsExactly("finished");
        }

        @Test
        void test_nonblocking_put() {
            KafkaQueue<Integer> q = queue(0);
            q.putNowait(1);
            assertThat(fetchedNowait(q)).isEqualTo(1);
        }

        /**
         * The interrupted reader either got 1 before the interrupt, or left it: 1 is never dropped. The reader records
         * what its get() returned itself: a Future cancelled after its get() returned discards the result, so the
         * Future alone cannot tell an item handed out from an item lost.
         */
        @Test
        void test_get_cancel_drop_one_pending_reader() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            AtomicReference<Integer> handed = new AtomicReference<>();
            CountDownLatch exited = new CountDownLatch(1);
            Future<?> reader = tasks.submit(() -> {
                try {
                    handed.set(q.get().item());
                } finally {
                    exited.countDown();
                }
                return null;
            });
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !reader.isDone());

            q.putNowait(1);
            q.putNowait(2);
            reader.cancel(true);
            assertThat(exited.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the reader ends").isTrue();

            Integer result = handed.get();
            if (result == null) { // interrupted before an item came: try again
                result = tasks.submit(() -> q.get().item()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            assertThat(result).as("if we get 2, it means 1 got dropped").isEqualTo(1);
        }

        /** Three readers, two items, one reader cancelled: the items go to readers, each once. */
        @Test
        void test_get_cancel_drop_many_pending_readers() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            Set<Integer> got = ConcurrentHashMap.newKeySet();
            List<Future<?>> readers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                readers.add(tasks.submit(() -> {
                    assertThat(got.add(q.get().item())).as("each item once").isTrue();
                    return null;
                }));
            }
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> readers.stream().noneMatch(Future::isDone));

            q.putNowait(1);
            q.putNowait(2);
            readers.get(0).cancel(true);

            await().atMost(WAIT).until(() -> got.size() == 2);
            assertThat(got).as("it is undefined which readers receive them").containsExactlyInAnyOrder(1, 2);
        }

        /** Kafka: the blocked writer's slot frees once 1 is done; an interrupted writer retries without duplicates. */
        @Test
        void test_put_cancel_drop() throws Exception {
            KafkaQueue<Integer> q = queue(1);
            q.putNowait(1);
            Future<?> writer = tasks.submit(() -> {
                q.put(2); // putting a second item has to block (one unfinished)
                return null;
            });
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !writer.isDone());

            KafkaQueue.Task<Integer> value1 = fetchedTaskNowait(q);
            assertThat(value1.item()).isEqualTo(1);
            value1.taskDone();
            writer.cancel(true);
            try {
                writer.get();
            } catch (java.util.concurrent.CancellationException e) {
                tasks.submit(() -> {
                    q.put(2); // try again
                    return null;
                }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }

            assertThat(fetchedNowait(q)).isEqualTo(2);
            await().atMost(WAIT).untilAsserted(() -> assertThat(q.qsize()).isZero());
            assertThat(names.records().stream().filter(Records.QueueRecord::isItem).count())
                    .as("no duplicate, no loss").isEqualTo(2);
        }

        @Test
        void test_nonblocking_put_exception() {
            KafkaQueue<Integer> q = queue(1);
            q.putNowait(1);
            assertThatThrownBy(() -> q.putNowait(2)).isInstanceOf(QueueFull.class);
        }

        @Test
        void test_put_cancelled() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            Future<Boolean> put = tasks.submit(() -> {
                q.put(1);
                return true;
            });
            assertThat(q.get().item()).isEqualTo(1);
            assertThat(put.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }

        /** A cancelled putter blocks no later one, and its item is never put. */
        @Test
        void test_put_cancelled_race() throws Exception {
            KafkaQueue<String> q = queue(String.class, 1);
            Future<?> putA = tasks.submit(() -> {
                q.put("a");
                return null;
            });
            putA.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            Future<?> putB = tasks.submit(() -> {
                q.put("b");
                return null;
            });
            Future<?> putC = tasks.submit(() -> {
                q.put("X");
                return null;
            });
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !putB.isDone() && !putC.isDone());

            putC.cancel(true);
            await().atMost(WAIT).until(putC::isDone);
            KafkaQueue.Task<String> a = fetchedTaskNowait(q);
            assertThat(a.item()).isEqualTo("a");
            a.taskDone();
            assertThat(putB.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
            assertThat(fetchedNowait(q)).isEqualTo("b");
            assertThat(names.records().stream().filter(Records.QueueRecord::isItem).count())
                    .as("X was never put").isEqualTo(2);
        }

        @Test
        void test_put_with_waiting_getters() throws Exception {
            KafkaQueue<String> q = queue(String.class, 0);
            Future<String> t = tasks.submit(() -> q.get().item());
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !t.isDone());
            q.put("a");
            assertThat(t.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("a");
        }

        /** Four putters into maxsize 2, and a getter that does each item: every putter finishes. */
        @Test
        void test_why_are_putters_waiting() throws Exception {
            KafkaQueue<Integer> q = queue(2);
            List<Future<?>> putters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int item = i;
                putters.add(tasks.submit(() -> {
                    q.put(item);
                    return null;
                }));
            }
            Future<?> getter = tasks.submit(() -> {
                for (int i = 0; i < 4; i++) {
                    q.get().taskDone();
                }
                return null;
            });

            for (Future<?> putter : putters) {
                assertThat(putter.get(WAIT.multipliedBy(2).toSeconds(), TimeUnit.SECONDS)).isNull();
            }
            assertThat(getter.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
        }
    }

    /** {@code _QueueJoinTestMixin}, for {@code Queue}. */
    @Nested
    class Join {

        /** CPython's queue-wide {@code task_done()} is a task's here: a second one raises. */
        @Test
        void test_task_done_underflow() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            q.put(1);
            KafkaQueue.Task<Integer> task = q.get();
            task.taskDone();
            assertThatThrownBy(task::taskDone).isInstanceOf(IllegalStateException.class);
        }

        /** Two workers, 100 items, join; then the sentinel ({@code shutdown()}) ends the workers. */
        @Test
        void test_task_done() throws Exception {
            KafkaQueue<Integer> q = queue(0, 2);
            for (int i = 0; i < 100; i++) {
                q.putAsync(i);
            }
            AtomicLong accumulator = new AtomicLong();
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                workers.add(tasks.submit(() -> {
                    try {
                        while (true) {
                            KafkaQueue.Task<Integer> task = q.get();
                            accumulator.addAndGet(task.item());
                            task.taskDone();
                        }
                    } catch (QueueShutDown e) {
                        return null;
                    }
                }));
            }

            assertThat(q.join(WAIT)).isTrue();
            assertThat(accumulator.get()).isEqualTo(4950);
            q.shutdown(); // close running workers
            for (Future<?> worker : workers) {
                assertThat(worker.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
            }
        }

        @Test
        void test_join_empty_queue() throws Exception {
            KafkaQueue<Integer> q = queue(0);
            assertThat(q.join(Duration.ofSeconds(10))).isTrue();
            assertThat(q.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    /** {@code _QueueShutdownTestMixin}, for {@code Queue}: Python 3.13's {@code shutdown()}. */
    @Nested
    class Shutdown {

        @Test
        void test_shutdown_empty() throws Exception {
            KafkaQueue<String> q = queue(String.class, 0);
            Future<String> getTask = tasks.submit(() -> q.get().item());
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !getTask.isDone());

            q.shutdown();

            assertThat(q.qsize()).isZero();
            assertThat(q.join(WAIT)).isTrue();
            assertThatThrownBy(() -> getTask.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(QueueShutDown.class);
            assertShutDown(q);
        }

        @Test
        void test_shutdown_nonempty() throws Exception {
            KafkaQueue<String> q = queue(String.class, 1);
            q.putNowait("data");
            Future<Boolean> joinTask = tasks.submit(() -> q.join(WAIT.multipliedBy(2)));
            Future<?> putTask = tasks.submit(() -> {
                q.put("data2");
                return null;
            });
            await().during(Duration.ofMillis(500)).atMost(STILL).until(() -> !putTask.isDone());

            q.shutdown();

            assertThat(q.qsize()).isEqualTo(1);
            assertThatThrownBy(() -> putTask.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(QueueShutDown.class);
            KafkaQueue.Task<String> task = q.get();
            assertThat(task.item()).isEqualTo("data");
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(() -> !joinTask.isDone());
            assertShutDown(q);

            task.taskDone();

            assertThat(joinTask.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(task::taskDone).as("didn't appear to mark all tasks done")
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        void test_shutdown_immediate() throws Exception {
            KafkaQueue<String> q = queue(String.class, 0);
            q.putNowait("data");
            Future<Boolean> joinTask = tasks.submit(() -> q.join(WAIT));

            q.shutdown(true);

            assertThat(q.qsize()).isZero();
            assertThat(joinTask.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertShutDown(q);
        }

        @Test
        void test_shutdown_immediate_with_unfinished() throws Exception {
            KafkaQueue<String> q = queue(String.class, 0);
            q.putNowait("data");
            q.putNowait("data");
            Future<Boolean> joinTask = tasks.submit(() -> q.join(WAIT.multipliedBy(2)));
            KafkaQueue.Task<String> task = q.get();
            assertThat(task.item()).isEqualTo("data");

            q.shutdown(true);

            assertThat(q.qsize()).isZero();
            await().during(STILL).atMost(STILL.multipliedBy(2)).until(() -> !joinTask.isDone());
            assertShutDown(q);
            task.taskDone();
            assertThatThrownBy(task::taskDone).as("didn't appear to mark all tasks done")
                    .isInstanceOf(IllegalStateException.class);
            assertThat(joinTask.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }

        private void assertShutDown(KafkaQueue<String> q) {
            assertThatThrownBy(() -> q.put("data")).isInstanceOf(QueueShutDown.class);
            assertThatThrownBy(() -> q.putNowait("data")).isInstanceOf(QueueShutDown.class);
            await().atMost(WAIT).untilAsserted(() ->
                    assertThatThrownBy(q::get).isInstanceOf(QueueShutDown.class));
            assertThatThrownBy(q::getNowait).isInstanceOf(QueueShutDown.class);
        }
    }

    private KafkaQueue<Integer> queue(int maxsize) {
        return queue(Integer.class, maxsize);
    }

    private KafkaQueue<Integer> queue(int maxsize, int partitions) {
        return open(KafkaQueue.builder(Integer.class).maxsize(maxsize).partitions(partitions));
    }

    private <T> KafkaQueue<T> queue(Class<T> type, int maxsize) {
        return open(KafkaQueue.builder(type).maxsize(maxsize));
    }

    private <T> KafkaQueue<T> open(KafkaQueue.Builder<T> builder) {
        KafkaQueue<T> q = builder.bootstrapServers(names.broker().bootstrapServers())
                .topic(names.topic()).group(names.group()).open();
        opened.add(q);
        return q;
    }

    /** {@code getNowait}, once the item was fetched: until then it throws {@link QueueEmpty}. */
    private static <T> T fetchedNowait(KafkaQueue<T> q) {
        return fetchedTaskNowait(q).item();
    }

    private static <T> KafkaQueue.Task<T> fetchedTaskNowait(KafkaQueue<T> q) {
        List<KafkaQueue.Task<T>> got = new ArrayList<>();
        await().atMost(WAIT).ignoreException(QueueEmpty.class).until(() -> got.add(q.getNowait()));
        return got.get(0);
    }
}
