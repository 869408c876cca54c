package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work longer than {@code max.poll.interval.ms} does not evict the member: items run on a worker thread while the
 * poll loop keeps polling, with the partition paused when its backlog is full. A second member of the group stands
 * by; had the first been evicted, it would have taken the partition and applied the items again.
 */
class LongWorkIT {

    private static final int ITEMS = 3;
    private static final int WORK_MS = 8_000;
    /**
     * Under an item's work: every item outlasts it. Not shorter: an idle member's closure check (a blocking
     * {@code committed()} on the poll thread) must leave it time to rejoin a rebalance.
     */
    private static final int MAX_POLL_INTERVAL_MS = 6_000;

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void itemsLongerThanMaxPollIntervalAreAppliedOnceWithNoEviction() throws IOException {
        String run = "long-work";
        queue.createTopic(1);
        Path config = clientConfig();
        ServiceProcess worker = queue.consumer().workMs(WORK_MS).flag("--command-config", config.toString()).start();
        queue.awaitGroupAssigned(1, 1, Duration.ofSeconds(60));
        ServiceProcess standby = queue.consumer().workMs(WORK_MS).flag("--command-config", config.toString()).start();
        queue.awaitGroupAssigned(2, 1, Duration.ofSeconds(60)); // both in the group before the run's items and pill
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(1).runId(run).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        assertThat(worker.awaitExit(EXIT_TIMEOUT)).as(worker.output()).isZero();
        assertThat(standby.awaitExit(EXIT_TIMEOUT)).as(standby.output()).isZero();
        Oracle.Result result = new Oracle().acked(run, producer).consumers(worker, standby).deadLetters(queue)
                .check("long-work");
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as(result.toString()).isZero();
        assertThat(result.dupDelivered()).as("no eviction, so no redelivery to the standby").isZero();
        assertThat(Consumer.ids(worker)).as("the member that got the partition kept it").hasSize(ITEMS);
        assertThat(Consumer.ids(standby)).isEmpty();
        assertThat(Consumer.doneReason(standby)).isEqualTo("all partitions closed by poison pills");
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void sigtermDuringALongItemFinishesItCommitsItAndLeaves() throws IOException {
        ServiceProcess producer = queue.producer().count(ITEMS).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess consumer = queue.consumer().workMs(WORK_MS).flag("--metrics-port", "0")
                .flag("--command-config", clientConfig().toString()).start();
        int port = metricsPort(consumer);
        // The first item done and the second in a worker's hands: the signal comes mid-item.
        Awaitility.await("item 0 done and item 1 in progress")
                .atMost(EXIT_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> Consumer.ids(consumer).size() == 1 && inProgress(port) == 1);
        int doneAtSignal = Consumer.ids(consumer).size();

        consumer.sigterm();

        assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("stopped by signal");
        List<Long> ids = Consumer.ids(consumer);
        assertThat(ids).as("the item in hand was finished, and no other started").hasSize(doneAtSignal + 1)
                .containsExactly(0L, 1L);
        assertThat(queue.lag().committed()).as("and committed").isEqualTo(Map.of(0, (long) ids.size()));
    }

    /** The port the consumer's {@code --metrics-port 0} picked, from its log. */
    private static int metricsPort(ServiceProcess consumer) {
        Pattern served = Pattern.compile("Metrics at http://localhost:(\\d+)/metrics");
        Awaitility.await("the metrics port in the log").atMost(EXIT_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> consumer.stderr().stream().anyMatch(line -> served.matcher(line.text()).find()));
        return consumer.stderr().stream().map(line -> served.matcher(line.text())).filter(Matcher::find)
                .map(m -> Integer.parseInt(m.group(1))).findFirst().orElseThrow();
    }

    /** {@code queue_items_in_progress} from the consumer's {@code /metrics}. */
    private static double inProgress(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("(?m)^queue_items_in_progress\\{[^}]*} (\\S+)$").matcher(response.body());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private Path clientConfig() throws IOException {
        return Files.writeString(dir.resolve("consumer.properties"),
                "max.poll.interval.ms=" + MAX_POLL_INTERVAL_MS + "\n");
    }
}
