package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import dev.kafkaqueue.QueueShutDown;
import dev.kafkaqueue.events.QueueListener;
import dev.kafkaqueue.options.GroupType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The library's promises beyond CPython's tests, on a real broker: typed items both ways, a payload that does not map
 * to the item type dead-lettered with the reason, an item too large for the topic refused before anything is sent,
 * {@code get()}/{@code taskDone()} on a share group by two members, and {@code process()} past the partition count.
 */
class LibraryIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** An item type of a program's own. */
    record Job(String url, int depth) {
    }

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    private final List<KafkaQueue<?>> opened = new CopyOnWriteArrayList<>();
    private final ExecutorService tasks = Executors.newCachedThreadPool();

    @AfterEach
    void closeEverything() throws InterruptedException {
        tasks.shutdownNow();
        opened.forEach(KafkaQueue::close);
        assertThat(tasks.awaitTermination(30, SECONDS)).isTrue();
    }

    @Test
    void recordsGoAsTheirJsonAndComeBackAsRecordsWithTheirIdsAndOrigin() throws Exception {
        KafkaQueue<Job> putter = open(KafkaQueue.builder(Job.class).runId("jobs-1"));
        putter.put(new Job("https://example.com/a", 2));
        putter.put(new Job("https://example.com/b", 0));

        KafkaQueue<Job> getter = open(KafkaQueue.builder(Job.class));
        KafkaQueue.Task<Job> first = getter.get();
        KafkaQueue.Task<Job> second = getter.get();

        assertThat(List.of(first.item(), second.item()))
                .containsExactly(new Job("https://example.com/a", 2), new Job("https://example.com/b", 0));
        assertThat(first.id()).isZero();
        assertThat(second.id()).isEqualTo(1);
        assertThat(first.runId()).isEqualTo("jobs-1");
        assertThat(first.topic()).isEqualTo(queue.topic());
        assertThat(second.offset()).isEqualTo(1);
        assertThat(queue.records().get(0).raw().value()).asString()
                .contains("\"payload\":{\"url\":\"https://example.com/a\",\"depth\":2}");
        first.taskDone();
        second.taskDone();
        assertThat(putter.join(WAIT)).isTrue();
    }

    @Test
    void aPayloadThatDoesNotMapToTheItemTypeIsDeadLetteredWithTheReasonAndTheRestFlows() throws Exception {
        KafkaQueue<String> wrong = open(KafkaQueue.builder(String.class));
        wrong.put("not a job");
        KafkaQueue<Job> right = open(KafkaQueue.builder(Job.class));
        right.put(new Job("https://example.com/ok", 1));
        List<String> deadLettered = new CopyOnWriteArrayList<>();

        KafkaQueue<Job> getter = open(KafkaQueue.builder(Job.class).listener(new QueueListener() {
            @Override
            public void deadLettered(String topic, int partition, long offset, String deadLetterTopic,
                                     Throwable reason) {
                deadLettered.add(offset + ": " + reason.getMessage());
            }
        }));
        KafkaQueue.Task<Job> task = getter.get();

        assertThat(task.item().url()).isEqualTo("https://example.com/ok");
        task.taskDone();
        assertThat(deadLettered).singleElement().asString().startsWith("0: payload of item 0 does not map to "
                + Job.class.getName());
        await().atMost(WAIT).untilAsserted(() -> assertThat(DeadLetterTopic.read(queue)).singleElement()
                .satisfies(letter -> {
                    assertThat(letter.value()).asString().contains("\"payload\":\"not a job\"");
                    assertThat(letter.source()).isEqualTo(new DeadLetterTopic.Source(0, 0));
                    assertThat(letter.errorMessage()).contains("does not map to " + Job.class.getName());
                }));
        assertThat(getter.join(WAIT)).as("the dead letter counts as done").isTrue();
    }

    @Test
    void anItemOverTheTopicsLimitFailsItsPutNamingItsSizeAndTheLimitAndNothingIsSent() throws Exception {
        try (Admin admin = queue.broker().admin()) {
            admin.createTopics(List.of(new NewTopic(queue.topic(), 1, (short) 1)
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "10000")))).all().get(30, SECONDS);
        }
        KafkaQueue<String> q = open(KafkaQueue.builder(String.class));

        assertThatThrownBy(() -> q.put("x".repeat(20_000)))
                .isInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("item 0 is ")
                .hasMessageContaining("more than the 10000 bytes topic " + queue.topic() + " takes")
                .hasMessageContaining("nothing was sent");
        q.put("small");
        assertThat(queue.records()).singleElement()
                .satisfies(record -> assertThat(record.raw().value()).asString().contains("\"small\""));
    }

    @Test
    void twoMembersOfAShareGroupGetAndAcknowledgeEveryItemOnceAndJoinIsDone() throws Exception {
        KafkaQueue<Integer> putter = open(KafkaQueue.builder(Integer.class).groupType(GroupType.SHARE));
        for (int i = 0; i < 20; i++) {
            putter.putAsync(i);
        }
        putter.flush();
        Map<Integer, String> doneBy = new ConcurrentHashMap<>();
        List<Future<?>> members = new ArrayList<>();
        for (String member : List.of("a", "b")) {
            KafkaQueue<Integer> getter = open(KafkaQueue.builder(Integer.class).groupType(GroupType.SHARE));
            members.add(tasks.submit(() -> {
                try {
                    while (true) {
                        KafkaQueue.Task<Integer> task = getter.get();
                        assertThat(doneBy.put(task.item(), member)).as("item %d done once", task.item()).isNull();
                        task.taskDone();
                    }
                } catch (QueueShutDown e) {
                    return null;
                }
            }));
        }

        await().atMost(WAIT).until(() -> doneBy.size() == 20);
        assertThat(putter.join(WAIT)).isTrue();
        putter.shutdown();
        for (Future<?> member : members) {
            assertThat(member.get(WAIT.toSeconds(), SECONDS)).as("the pills end both members").isNull();
        }
        assertThat(doneBy.keySet()).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 20).boxed().toList());
    }

    @Test
    void processWorksItemsPastThePartitionCountAndReturnsWhenThePillsClosedTheRun() throws Exception {
        KafkaQueue<JsonNode> putter = open(KafkaQueue.builder(JsonNode.class));
        for (int i = 0; i < 40; i++) {
            putter.putAsync(com.fasterxml.jackson.databind.node.IntNode.valueOf(i));
        }
        putter.shutdown();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        Set<Integer> done = ConcurrentHashMap.newKeySet();

        KafkaQueue<JsonNode> workers = open(KafkaQueue.builder(JsonNode.class)
                .ordering(dev.kafkaqueue.options.Ordering.UNORDERED));
        KafkaQueue.Processed processed = workers.process(task -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            Thread.sleep(50);
            done.add(task.item().intValue());
            inFlight.decrementAndGet();
        }, 4);

        assertThat(processed.ending()).isEqualTo(KafkaQueue.Ending.CLOSED);
        assertThat(processed.items()).isEqualTo(40);
        assertThat(done).hasSize(40);
        assertThat(mostInFlight.get()).as("items in flight on one partition").isGreaterThan(1);
        assertThat(putter.join(WAIT)).isTrue();
    }

    private <T> KafkaQueue<T> open(KafkaQueue.Builder<T> builder) {
        KafkaQueue<T> q = builder.bootstrapServers(queue.broker().bootstrapServers())
                .topic(queue.topic()).group(queue.group()).open();
        opened.add(q);
        return q;
    }
}
