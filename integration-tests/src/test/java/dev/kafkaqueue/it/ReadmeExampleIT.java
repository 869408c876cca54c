package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example, compiled and run as written, in three JVMs: one puts ten jobs, shuts the queue down
 * and joins; two get and do them. Only the example's bootstrap servers, topic and group are replaced, by this test's
 * broker and names. Java's source launcher ({@code java Jobs.java}) compiles it, as the README says to run it.
 */
class ReadmeExampleIT {

    private static final Pattern EXAMPLE = Pattern.compile(
            "```java\\n(import dev\\.kafkaqueue\\.KafkaQueue;.*?public class Jobs .*?)```", Pattern.DOTALL);
    private static final Pattern WORKING = Pattern.compile("^working on (https://example\\.com/\\d+)$");

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void theLibraryExamplePutsInOneJvmGetsInTwoOthersAndJoins() throws IOException {
        Path source = dir.resolve("Jobs.java");
        Files.writeString(source, example()
                .replace("\"localhost:9092\"", "\"" + queue.broker().bootstrapServers() + "\"")
                .replace("\"jobs\"", "\"" + queue.topic() + "\"")
                .replace("\"workers\"", "\"" + queue.group() + "\""), StandardCharsets.UTF_8);

        List<ServiceProcess> workers = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            workers.add(queue.track(ServiceProcess.start("worker-" + i, java(source, "work"))));
        }
        ServiceProcess putter = queue.track(ServiceProcess.start("putter", java(source, "put")));

        assertThat(putter.awaitExit(EXIT_TIMEOUT)).as(putter.output()).isZero();
        List<String> done = new ArrayList<>();
        for (ServiceProcess worker : workers) {
            assertThat(worker.awaitExit(EXIT_TIMEOUT)).as(worker.output()).isZero();
            assertThat(worker.lines()).as("the pills end every worker").last()
                    .extracting(ServiceProcess.Line::text).isEqualTo("no more jobs");
            for (ServiceProcess.Line line : worker.lines()) {
                Matcher m = WORKING.matcher(line.text());
                if (m.matches()) {
                    done.add(m.group(1));
                }
            }
        }
        assertThat(done).as("every job, once, by one of the workers").containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, 10).mapToObj(i -> "https://example.com/" + i).toList());
        assertThat(queue.lag().total()).as("join returned: lag 0, as Kafka counts it").isZero();
    }

    /** The README's example, exactly as it is there. */
    private static String example() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("readme")), StandardCharsets.UTF_8);
        Matcher m = EXAMPLE.matcher(readme);
        assertThat(m.find()).as("README.md has the Jobs example").isTrue();
        String code = m.group(1);
        assertThat(code.lines().count()).as("the example's lines").isLessThanOrEqualTo(20);
        return code;
    }

    /** {@code java -cp <this test's class path> Jobs.java MODE}: the source launcher compiles the file first. */
    private static List<String> java(Path source, String mode) {
        return List.of(ServiceProcess.javaBin(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), source.toString(), mode);
    }
}
