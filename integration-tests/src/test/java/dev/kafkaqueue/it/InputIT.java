package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.internal.codec.QueueMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code put --input}: the items are a file's lines, or standard input's as they come. A line that cannot be an item
 * stops the run with exit code 2, naming it, after the lines before it and without pills; a second run of the same
 * file is recognisably the same items.
 */
class InputIT {

    private static final Pattern STOPPED = Pattern.compile("^Producer stopped: ");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void jsonLinesArePutValueByValueAndALineThatIsNotJsonStopsTheRunWithoutPills() throws IOException {
        Path input = Files.write(dir.resolve("jobs.jsonl"), List.of("{\"url\": \"https://example.com/1\"}",
                "{\"url\": oops}", "{\"url\": \"https://example.com/3\"}"), StandardCharsets.UTF_8);

        ServiceProcess producer = queue.producer().input(input.toString()).flag("--format", "json").run();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(ExitCode.USAGE);
        assertThat(producer.line(STOPPED).text())
                .startsWith("Producer stopped: line 2: not valid JSON: ")
                .endsWith("; 1 item acknowledged, no poison pills sent");
        List<Records.QueueRecord> records = queue.records();
        assertThat(records).as("line 1 only, and no pill").singleElement().satisfies(record -> {
            QueueMessage.Item item = (QueueMessage.Item) record.message();
            assertThat(item.id()).as("its line number").isEqualTo(1);
            assertThat(item.json()).isTrue();
            assertThat(item.payload()).isEqualTo("{\"url\":\"https://example.com/1\"}");
        });
        ServiceProcess join = queue.join().flag("--closed").timeout("3s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as("no pills: the run is not closed\n" + join.output())
                .isEqualTo(ExitCode.TIMEOUT);
    }

    @Test
    void aLineTooLargeForTheTopicStopsTheRunWithItsSizeAndTheLimit() throws Exception {
        try (Admin admin = queue.broker().admin()) {
            admin.createTopics(List.of(new NewTopic(queue.topic(), 1, (short) 1)
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "2000")))).all().get(30, SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
        Path input = Files.write(dir.resolve("items.txt"), List.of("small", "x".repeat(5000), "never put"),
                StandardCharsets.UTF_8);

        ServiceProcess producer = queue.producer().input(input.toString()).run();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isEqualTo(ExitCode.USAGE);
        assertThat(producer.line(STOPPED).text())
                .matches("Producer stopped: line 2: item 2 is \\d+ bytes as a record, more than the 2000 bytes topic "
                        + queue.topic() + " takes .*; 1 item acknowledged, no poison pills sent");
        assertThat(queue.records()).hasSize(1);
    }

    @Test
    void standardInputIsPutAsItComesAndAFullQueueStopsTheReading() throws IOException {
        ServiceProcess producer = queue.producer().input("-").maxsize(3).timeout("5s").startWithStdin();
        OutputStream stdin = producer.stdin();

        stdin.write("first\nsecond\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        producer.awaitLines(Producer.PRODUCED, 2, Duration.ofSeconds(60)); // put before the input ended
        StringBuilder more = new StringBuilder();
        for (int i = 3; i <= 50; i++) {
            more.append("line ").append(i).append('\n');
        }
        stdin.write(more.toString().getBytes(StandardCharsets.UTF_8));
        stdin.flush();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as("nobody works the queue: maxsize 3 holds the reading\n"
                + producer.output()).isEqualTo(ExitCode.TIMEOUT);
        assertThat(Producer.produced(producer)).extracting(Producer.Produced::id).containsExactly(1L, 2L, 3L);
        assertThat(producer.line(STOPPED).text())
                .contains("backpressure").endsWith("3 items acknowledged, no poison pills sent");
        assertThat(queue.records()).hasSize(3);
    }

    @Test
    void aSecondRunOfTheSameFileIsRecognisedAsTheSameItems() throws IOException {
        Path input = Files.write(dir.resolve("items.txt"), List.of("a", "b", "c", "d"), StandardCharsets.UTF_8);
        Path applied = dir.resolve("applied.log");
        Path ran = dir.resolve("ran");
        String command = "echo \"$QUEUE_ITEM_ID\" >> '" + ran + "'";
        for (int run = 1; run <= 2; run++) {
            ServiceProcess producer = queue.producer().input(input.toString()).runId("same-file").run();
            assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
            ServiceProcess consumer = queue.consumer().exec(command).appliedLog(applied).start();
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
            if (run == 2) {
                assertThat(Oracle.skippedIds(consumer)).as("the same ids of the same run: already done")
                        .containsExactly(1L, 2L, 3L, 4L);
                assertThat(Consumer.ids(consumer)).isEmpty();
            }
        }
        assertThat(Files.readAllLines(ran)).as("each line's command ran once over both runs")
                .containsExactly("1", "2", "3", "4");
    }
}
