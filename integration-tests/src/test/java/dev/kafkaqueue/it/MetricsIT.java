package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import dev.kafkaqueue.cli.ExitCode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --metrics-port}: the services' Prometheus {@code /metrics}, scraped while they run, say what happened. The
 * numbers are checked against what the services printed, against the group's committed offsets read independently,
 * and against time measured by the test; {@code /health} answers 200 while they work.
 *
 * <p>Every test runs the same pipeline on its own queue: two slow consumers, one unreadable record, and a producer
 * held by {@code --maxsize} that joins at the end. The consumers get no pills, so they can still be scraped after
 * join; SIGTERM ends them. A sample of the scraped lines is written under {@code target/metrics-sample/}.
 */
class MetricsIT {

    private static final int ITEMS = 30;
    private static final int MAXSIZE = 5;
    private static final int PARTITIONS = 3;
    /** Long enough that the last item is still unfinished when the test sees it produced and freezes the group. */
    private static final int WORK_MS = 400;
    private static final Pattern BACKPRESSURE_LOG =
            Pattern.compile("Backpressure: waited (\\d+) times?, (\\d+) ms in all");
    private static final Pattern DEAD_LETTERED = Pattern.compile("^Dead-lettered ");
    /** Under the module's build directory (the tests run in the module's base directory), never in /tmp. */
    private static final Path SAMPLES = Path.of("target", "metrics-sample");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The running services and the ports their metrics are served on. */
    private record Pipeline(ServiceProcess producer, int producerPort, List<ServiceProcess> consumers,
                            List<Integer> consumerPorts) {
    }

    @Test
    void whileItRunsTheProducerCountsBackpressureAndTheConsumersCountWhatTheyPrinted() throws Exception {
        Pipeline run = start();

        Scrape running = await("the producer waited for the consumers at least once", run.producerPort(),
                s -> s.value("queue_backpressure_waits_total") >= 1);
        assertThat(running.value("queue_unfinished_items")).isBetween(0.0, (double) MAXSIZE);
        assertThat(health(run.producerPort())).as("producer /health while it runs").isEqualTo(200);
        for (int i = 0; i < run.consumers().size(); i++) {
            assertDoneBracketsConsumedLines(run.consumers().get(i), run.consumerPorts().get(i));
            assertThat(health(run.consumerPorts().get(i))).as("consumer /health while it runs").isEqualTo(200);
        }

        assertThat(run.producer().awaitExit(EXIT_TIMEOUT)).as(run.producer().output()).isEqualTo(ExitCode.OK);
        stop(run.consumers());
    }

    @Test
    void aFullQueueHoldsTheProducerAndItsCountersMatchItsLogAndTheWaitTheTestSaw() throws Exception {
        Pipeline run = start();
        ServiceProcess producer = run.producer();
        int producerPort = run.producerPort();

        // Frozen: with the consumers stopped, the producer fills the queue to maxsize and waits.
        run.consumers().forEach(ServiceProcess::sigstop);
        Scrape full = await("the producer waiting on a full queue, its gauge equal to the unfinished items",
                producerPort, s -> s.value("queue_items_put_total") == Producer.produced(producer).size()
                        && s.value("queue_unfinished_items") == unfinishedNow(producer)
                        && s.value("queue_unfinished_items") == MAXSIZE);
        long frozenAt = System.nanoTime();
        double putWhileFull = full.value("queue_items_put_total");
        assertThat(putWhileFull).as("items put before the queue was full").isGreaterThanOrEqualTo(MAXSIZE)
                .isLessThan(ITEMS);
        Awaitility.await("the producer puts nothing while the consumers are stopped")
                .during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> scrape(producerPort).value("queue_items_put_total") == putWhileFull
                        && Producer.produced(producer).size() == (int) putWhileFull);
        run.consumers().forEach(ServiceProcess::sigcont);
        Duration frozenFor = Duration.ofNanos(System.nanoTime() - frozenAt);

        // After the last put: freeze the group again, so the producer stays in join and can be scraped.
        producer.awaitLine(Pattern.compile("^Produced " + (ITEMS - 1) + " \\("), Duration.ofSeconds(60));
        run.consumers().forEach(ServiceProcess::sigstop);
        producer.awaitLine(Producer.DONE, Duration.ofSeconds(30));
        int unfinished = unfinishedNow(producer);
        assertThat(unfinished).as("items not yet done when the group was frozen after the last put "
                + "(the producer is still joining)").isPositive();
        Scrape afterPuts = scrape(producerPort);
        assertThat(afterPuts.value("queue_items_put_total")).as("items put").isEqualTo(ITEMS);
        assertThat(afterPuts.value("queue_unfinished_items"))
                .as("unfinished: never under the truth, never over maxsize")
                .isBetween((double) unfinished, (double) MAXSIZE);
        Matcher logged = awaitStderr(producer, BACKPRESSURE_LOG);
        assertThat(afterPuts.value("queue_backpressure_waits_total")).as("waits, as the producer logged them")
                .isEqualTo(Double.parseDouble(logged.group(1)));
        double waitedSeconds = afterPuts.value("queue_backpressure_wait_seconds_total");
        assertThat((long) Math.floor(waitedSeconds * 1000)).as("time waited, as the producer logged it (ms)")
                .isEqualTo(Long.parseLong(logged.group(2)));
        assertThat(waitedSeconds).as("time waited covers the %d ms the consumers were stopped", frozenFor.toMillis())
                .isGreaterThanOrEqualTo(frozenFor.toNanos() / 1e9);
        assertThat(afterPuts.value("kafka_producer_record_send_total")).as("Kafka's own count of records sent")
                .isEqualTo(ITEMS);
        assertThat(afterPuts.has("kafka_producer_request_latency_avg")).as(afterPuts.text()).isTrue();
        assertThat(health(producerPort)).as("producer /health while it joins").isEqualTo(200);
        saveSample("producer.txt", afterPuts);

        run.consumers().forEach(ServiceProcess::sigcont);
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(ExitCode.OK);
        stop(run.consumers());
        System.out.printf("METRICS put=%d waits=%.0f waited_ms=%.0f frozen_ms=%d unfinished_when_full=%.0f%n", ITEMS,
                afterPuts.value("queue_backpressure_waits_total"), waitedSeconds * 1000, frozenFor.toMillis(),
                full.value("queue_unfinished_items"));
    }

    @Test
    void afterJoinEveryItemIsCountedDoneOnceAndTheUnreadableRecordDeadLettered() throws Exception {
        Pipeline run = start();

        assertThat(run.producer().awaitExit(EXIT_TIMEOUT)).as(run.producer().output()).isEqualTo(ExitCode.OK);
        assertThat(run.producer().line(Join.DONE)).isNotNull();
        List<Scrape> finals = new ArrayList<>();
        for (int i = 0; i < run.consumers().size(); i++) {
            ServiceProcess consumer = run.consumers().get(i);
            Scrape scrape = await(consumer.name() + " printed a line per item done", run.consumerPorts().get(i),
                    s -> s.value("queue_items_done_total") == Consumer.consumed(consumer).size());
            assertThat(scrape.value("queue_items_dead_lettered_total")).as("dead-lettered by " + consumer.name())
                    .isEqualTo(consumer.lines(DEAD_LETTERED).size());
            double handled = scrape.value("queue_items_done_total") + scrape.value("queue_items_dead_lettered_total");
            assertThat(scrape.value("queue_commits_total")).as("per-record: a commit at least per record handled")
                    .isGreaterThanOrEqualTo(handled);
            assertThat(scrape.value("kafka_consumer_fetch_manager_records_consumed_total"))
                    .as("Kafka's own count of records fetched by " + consumer.name())
                    .isGreaterThanOrEqualTo(handled);
            assertThat(scrape.value("kafka_consumer_coordinator_commit_total"))
                    .as("Kafka's own count of commits by " + consumer.name())
                    .isEqualTo(scrape.value("queue_commits_total"));
            assertThat(scrape.has("kafka_consumer_coordinator_commit_latency_avg")).as(scrape.text()).isTrue();
            assertThat(scrape.value("kafka_consumer_fetch_manager_records_lag_max"))
                    .as("Kafka's records-lag-max of " + consumer.name()).isGreaterThanOrEqualTo(0);
            assertThat(health(run.consumerPorts().get(i))).as("consumer /health after join").isEqualTo(200);
            finals.add(scrape);
        }
        assertThat(finals.stream().mapToDouble(s -> s.value("queue_items_done_total")).sum()).as("items done")
                .isEqualTo(ITEMS);
        assertThat(finals.stream().mapToDouble(s -> s.value("queue_items_dead_lettered_total")).sum())
                .as("dead-lettered").isEqualTo(1);
        List<Long> ids = new ArrayList<>();
        run.consumers().forEach(c -> ids.addAll(Consumer.ids(c)));
        assertThat(ids).containsExactlyInAnyOrderElementsOf(LongStream.range(0, ITEMS).boxed().toList());
        assertThat(queue.lag().total()).isZero();
        saveSample("consumer.txt", finals.get(0));
        stop(run.consumers());
    }

    /**
     * Two consumers with metrics, assigned the topic's partitions between them; an unreadable record; then the
     * producer with metrics, {@code --maxsize}, no pills and {@code --join}.
     */
    private Pipeline start() throws Exception {
        queue.createTopic(PARTITIONS);
        List<Integer> ports = freePorts(3);
        List<Integer> consumerPorts = ports.subList(1, 3);
        List<ServiceProcess> consumers = new ArrayList<>();
        for (int port : consumerPorts) {
            consumers.add(queue.consumer().workMs(WORK_MS).commit(Commit.PER_RECORD)
                    .flag("--metrics-port", Integer.toString(port)).start());
        }
        queue.awaitGroupAssigned(2, PARTITIONS, Duration.ofSeconds(60));
        writeUnreadableRecord();
        ServiceProcess producer = queue.producer().count(ITEMS).maxsize(MAXSIZE).noPill().join().timeout("60s")
                .flag("--metrics-port", Integer.toString(ports.get(0))).start();
        return new Pipeline(producer, ports.get(0), consumers, consumerPorts);
    }

    /** SIGTERM, the consumers' graceful stop (they got no pills); each must exit 0. */
    private static void stop(List<ServiceProcess> consumers) {
        consumers.forEach(ServiceProcess::sigterm);
        for (ServiceProcess consumer : consumers) {
            assertThat(consumer.awaitExit(Duration.ofSeconds(30))).as(consumer.output()).isEqualTo(ExitCode.OK);
        }
    }

    /**
     * Items the producer printed as put whose offset is at or after the group's committed offset of their partition:
     * the unfinished items by the contract's definition, computed without the producer's gauge.
     */
    private int unfinishedNow(ServiceProcess producer) {
        List<Producer.Produced> produced = Producer.produced(producer);
        Map<Integer, Long> committed = queue.lag().committed();
        return (int) produced.stream()
                .filter(p -> p.offset() >= committed.getOrDefault(p.partition(), 0L))
                .count();
    }

    /** Consumed lines read before a scrape ≤ the done counter ≤ lines read after it + the one item in hand. */
    private void assertDoneBracketsConsumedLines(ServiceProcess consumer, int port) {
        int before = Consumer.consumed(consumer).size();
        double done = scrape(port).value("queue_items_done_total");
        int after = Consumer.consumed(consumer).size();
        assertThat(done).as("%s: done counter vs Consumed lines %d..%d", consumer.name(), before, after)
                .isBetween((double) before, after + 1.0);
    }

    /** A record no consumer can read; it must reach the dead-letter topic and count as dead-lettered. */
    private void writeUnreadableRecord() throws Exception {
        queue.broker().send(new ProducerRecord<>(queue.topic(), 0, null, "not json".getBytes(StandardCharsets.UTF_8)));
    }

    private Scrape await(String what, int port, Predicate<Scrape> condition) {
        Scrape[] last = new Scrape[1];
        Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    last[0] = scrape(port);
                    return condition.test(last[0]);
                });
        return last[0];
    }

    private static Matcher awaitStderr(ServiceProcess process, Pattern regex) {
        Matcher[] found = new Matcher[1];
        Awaitility.await(process.name() + " logging " + regex).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    for (ServiceProcess.Line line : process.stderr()) {
                        Matcher m = regex.matcher(line.text());
                        if (m.find()) {
                            found[0] = m;
                            return true;
                        }
                    }
                    return false;
                });
        return found[0];
    }

    private Scrape scrape(int port) {
        HttpResponse<String> response = get(port, "/metrics");
        assertThat(response.statusCode()).as("/metrics on port %d", port).isEqualTo(200);
        return new Scrape(response.body());
    }

    private int health(int port) {
        return get(port, "/health").statusCode();
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " on port " + port + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** For the team's notes: the queue_* lines and a few Kafka client lines of one service's scrape. */
    private static void saveSample(String file, Scrape scrape) throws IOException {
        Pattern kafka = Pattern.compile("^kafka_(producer_record_send_total|producer_request_latency_avg"
                + "|producer_record_send_rate|consumer_fetch_manager_records_lag_max|consumer_fetch_manager_records_"
                + "consumed_total|consumer_coordinator_commit_latency_avg|consumer_coordinator_commit_total)\\b");
        StringBuilder text = new StringBuilder();
        scrape.text().lines()
                .filter(line -> line.startsWith("queue_") || line.startsWith("# HELP queue_")
                        || line.startsWith("# TYPE queue_") || kafka.matcher(line).find())
                .forEach(line -> text.append(line).append('\n'));
        Files.createDirectories(SAMPLES);
        Files.writeString(SAMPLES.resolve(file), text.toString());
    }

    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    /** One Prometheus text scrape. */
    record Scrape(String text) {

        /** The sum of every series of {@code name} (all label sets); fails if there is none. */
        double value(String name) {
            List<Double> values = values(name);
            if (values.isEmpty()) {
                throw new AssertionError("no " + name + " in the scrape:\n" + text);
            }
            return values.stream().mapToDouble(Double::doubleValue).sum();
        }

        boolean has(String name) {
            return !values(name).isEmpty();
        }

        private List<Double> values(String name) {
            List<Double> values = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                int nameEnd = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
                if (nameEnd > 0 && line.substring(0, nameEnd).equals(name)) {
                    String value = line.substring(line.lastIndexOf(' ') + 1);
                    values.add(switch (value) {
                        case "+Inf" -> Double.POSITIVE_INFINITY;
                        case "-Inf" -> Double.NEGATIVE_INFINITY;
                        default -> Double.parseDouble(value);
                    });
                }
            }
            return values;
        }
    }
}
