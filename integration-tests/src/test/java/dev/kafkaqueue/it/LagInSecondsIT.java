package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.RecordCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lag in seconds: on records whose CreateTime is known (put 10 minutes and 1 minute ago), join's table, its
 * {@code --json} and the consumer's {@code /metrics} say how long each partition's oldest unfinished item has waited.
 */
class LagInSecondsIT {

    private static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();
    private static final long ONE_MINUTE = Duration.ofMinutes(1).toMillis();
    /** The test's own clock reading and the services' differ by what a loaded machine makes of a few seconds. */
    private static final long SLACK_MS = 30_000;
    private static final Pattern AGE_LINE = Pattern.compile("^join: {3}partition (\\d+) .* lag (\\d+) oldest (\\S+)$");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    private final RecordCodec codec = new RecordCodec();

    @Test
    void joinShowsTheAgeOfEachPartitionsOldestUnfinishedItemAndTheConsumersMetricsToo() throws Exception {
        queue.createTopic(2);
        long now = System.currentTimeMillis();
        // Partition 0: three items put ten minutes ago and after, the first one done. Partition 1: two, a minute ago.
        put(0, 0, now - TEN_MINUTES - 5_000);
        put(0, 1, now - TEN_MINUTES);
        put(0, 2, now - TEN_MINUTES + 10_000);
        put(1, 3, now - ONE_MINUTE);
        put(1, 4, now - ONE_MINUTE + 10_000);
        try (Admin admin = queue.broker().admin()) {
            admin.alterConsumerGroupOffsets(queue.group(),
                    Map.of(new TopicPartition(queue.topic(), 0), new OffsetAndMetadata(1))).all().get(30, SECONDS);
        }

        Join.Exited json = queue.join().timeout("3s").runJson();
        assertThat(json.exitCode()).as(json.process().output()).isEqualTo(ExitCode.TIMEOUT);
        JsonNode snapshot = lastSnapshot(json.process());
        long readAt = Instant.parse(snapshot.get("time").asText()).toEpochMilli();
        assertThat(age(snapshot, 0)).as("the item at the committed offset, put 10 minutes ago")
                .isBetween(readAt - now + TEN_MINUTES, readAt - now + TEN_MINUTES + SLACK_MS);
        assertThat(age(snapshot, 1)).as("no commit: the partition's first item, put a minute ago")
                .isBetween(readAt - now + ONE_MINUTE, readAt - now + ONE_MINUTE + SLACK_MS);
        assertThat(snapshot.get("oldestUnfinishedAgeMs").asLong()).isEqualTo(age(snapshot, 0));

        ServiceProcess table = queue.join().timeout("3s").run();
        assertThat(table.awaitExit(Duration.ofSeconds(30))).isEqualTo(ExitCode.TIMEOUT);
        assertThat(ages(table))
                .hasEntrySatisfying(0, age -> assertThat(age).as(table.output()).matches("10m[0-3]\\ds"))
                .hasEntrySatisfying(1, age -> assertThat(age).as(table.output()).matches("1m[0-3]\\ds"));

        // A consumer working the partitions' first unfinished items (for a minute each): its /metrics has their age.
        ServiceProcess consumer = queue.consumer().workMs(60_000).flag("--concurrency", "2")
                .flag("--metrics-port", "0").start();
        int port = metricsPort(consumer);
        Awaitility.await("the consumer's gauge of each partition's oldest unfinished item")
                .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Map<Integer, Double> gauges = gauges(port);
                    long t = System.currentTimeMillis();
                    assertThat(gauges.get(0)).isNotNull().isBetween((t - now + TEN_MINUTES - SLACK_MS) / 1000.0,
                            (t - now + TEN_MINUTES + SLACK_MS) / 1000.0);
                    assertThat(gauges.get(1)).isNotNull().isBetween((t - now + ONE_MINUTE - SLACK_MS) / 1000.0,
                            (t - now + ONE_MINUTE + SLACK_MS) / 1000.0);
                });
    }

    private void put(int partition, long id, long createTime) throws Exception {
        byte[] value = codec.encode(new QueueMessage.Item(id, "item-" + id, "lag-run",
                Instant.ofEpochMilli(createTime)));
        queue.broker().send(new ProducerRecord<>(queue.topic(), partition, createTime, RecordCodec.key(id), value));
    }

    private static JsonNode lastSnapshot(ServiceProcess join) throws Exception {
        JsonNode last = null;
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (ServiceProcess.Line line : join.lines()) {
            JsonNode node = mapper.readTree(line.text());
            if (node.path("event").asText().equals("lag")) {
                last = node;
            }
        }
        assertThat(last).as("a lag snapshot\n" + join.output()).isNotNull();
        return last;
    }

    private static long age(JsonNode snapshot, int partition) {
        for (JsonNode p : snapshot.get("partitions")) {
            if (p.get("partition").asInt() == partition) {
                assertThat(p.has("oldestUnfinishedAgeMs")).as(p.toString()).isTrue();
                return p.get("oldestUnfinishedAgeMs").asLong();
            }
        }
        throw new AssertionError("no partition " + partition + " in " + snapshot);
    }

    /** The last table's "oldest" column: the age join printed for each partition. */
    private static Map<Integer, String> ages(ServiceProcess join) {
        Map<Integer, String> ages = new java.util.TreeMap<>();
        for (ServiceProcess.Line line : join.lines()) {
            Matcher m = AGE_LINE.matcher(line.text());
            if (m.matches()) {
                ages.put(Integer.parseInt(m.group(1)), m.group(3));
            }
        }
        return ages;
    }

    private static int metricsPort(ServiceProcess consumer) {
        Pattern served = Pattern.compile("Metrics at http://localhost:(\\d+)/metrics");
        Awaitility.await("the metrics port in the log").atMost(TestQueue.EXIT_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> consumer.stderr().stream().anyMatch(line -> served.matcher(line.text()).find()));
        return consumer.stderr().stream().map(line -> served.matcher(line.text())).filter(Matcher::find)
                .map(m -> Integer.parseInt(m.group(1))).findFirst().orElseThrow();
    }

    /** {@code queue_oldest_unfinished_age_seconds}, by partition. */
    private static Map<Integer, Double> gauges(int port) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        Pattern gauge = Pattern.compile("^queue_oldest_unfinished_age_seconds\\{.*partition=\"(\\d+)\".*\\} (\\S+)$");
        Map<Integer, Double> values = new java.util.HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher m = gauge.matcher(line);
            if (m.matches()) {
                values.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)));
            }
        }
        return values;
    }
}
