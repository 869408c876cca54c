package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a service says while it waits at startup. A consumer started before its topic exists says once, plainly,
 * that it waits for the topic (not Kafka's client warning about the missing topic once a second), then works the
 * items once the producer creates it; SIGTERM ends that wait with exit 0. A service pointed at a port where no broker
 * listens ends with exit 2 and one clear line, not a wall of connection warnings first.
 */
class StartupWaitsIT {

    private static final Pattern CLIENT_NOISE =
            Pattern.compile("UNKNOWN_TOPIC_OR_PARTITION|could not be established|disconnected");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void aConsumerStartedBeforeItsTopicSaysOnceThatItWaitsThenWorksTheItems() {
        Pattern waiting = Pattern.compile("^Waiting for topic " + Pattern.quote(queue.topic()) + " to be created$");
        ServiceProcess consumer = queue.consumer().start();
        consumer.awaitLine(waiting, Duration.ofSeconds(60));

        // The topic is checked every second: several checks go by and the line is still not repeated.
        Awaitility.await("one waiting line while the topic is missing").during(Duration.ofSeconds(4))
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> consumer.isAlive() && consumer.lines(waiting).size() == 1);

        ServiceProcess producer = queue.producer().count(5).partitions(2).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.ids(consumer)).containsExactlyInAnyOrderElementsOf(LongStream.range(0, 5).boxed().toList());
        assertThat(consumer.lines(waiting)).as(consumer.output()).hasSize(1);
        assertThat(consumer.line(Pattern.compile("^Topic " + Pattern.quote(queue.topic()) + " exists now")).text())
                .endsWith("with 2 partitions");
        assertThat(consumer.stderr()).as("no client warnings about the missing topic\n" + consumer.output())
                .noneMatch(line -> CLIENT_NOISE.matcher(line.text()).find());
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void sigtermEndsTheWaitForATopicWithExitZero() {
        ServiceProcess consumer = queue.consumer().start();
        consumer.awaitLine(Pattern.compile("^Waiting for topic "), Duration.ofSeconds(60));

        consumer.sigterm();

        assertThat(consumer.awaitExit(Duration.ofSeconds(20))).as(consumer.output()).isZero();
        assertThat(consumer.line(Pattern.compile("^Stopped by signal")).text())
                .isEqualTo("Stopped by signal while waiting for topic " + queue.topic() + " to be created");
        assertThat(DeadLetterTopic.exists(queue.broker().bootstrapServers(), queue.topic()))
                .as("a consumer never creates the queue's topic").isFalse();
    }

    @Test
    void aWrongPortEndsEachServiceWithExitTwoAndOneClearLine() {
        String wrong = "localhost:" + freePort();
        for (String jar : List.of("consumer.jar", "producer.jar")) {
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers", wrong, "--topic", queue.topic(),
                    "--group", queue.group(), "--connect-timeout", "5s"));
            ServiceProcess service = queue.track(ServiceProcess.startJar(jar.replace(".jar", ""),
                    TestQueue.jar(jar), args));

            assertThat(service.awaitExit(EXIT_TIMEOUT)).as(service.output()).isEqualTo(2);
            List<ServiceProcess.Line> errors = service.stderr();
            assertThat(errors).as("the one clear line\n" + service.output())
                    .anyMatch(line -> line.text().startsWith("Error: no Kafka broker at bootstrap.servers=" + wrong
                            + " answered within 5s"));
            assertThat(errors.stream().filter(line -> line.text().contains("could not be established")).count())
                    .as("connection warnings, before the clear line\n" + service.output()).isLessThanOrEqualTo(1);
            assertThat(errors).as("the error and the hint to --help, nothing else\n" + service.output())
                    .hasSizeLessThanOrEqualTo(3);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort(); // closed again: nothing listens there
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
