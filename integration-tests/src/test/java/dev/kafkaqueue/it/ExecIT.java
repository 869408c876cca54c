package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real items, real work: {@code put --input FILE} puts a file's lines, and {@code consumer --exec CMD} runs a command
 * per item, as {@code xargs -P} or GNU parallel would, spread over processes through Kafka. Each test's commands
 * write what they saw (item id, attempt, partition, offset, run, payload) to files in the test's directory, so the
 * test can tell every command that ran, and how often.
 */
class ExecIT {

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void threeConsumersRunTheCommandOnceForEveryLineOfAFileAndJoinSaysDone() throws IOException {
        int lines = 30;
        List<String> text = IntStream.rangeClosed(1, lines)
                .mapToObj(i -> i % 7 == 0 ? "line " + i + " with 'quotes', $dollars and \u00e9t\u00e9" : "line " + i)
                .toList();
        Path input = Files.write(dir.resolve("items.txt"), text, StandardCharsets.UTF_8);
        Path ran = dir.resolve("ran.tsv");
        String command = "read -r line; printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \"$QUEUE_ITEM_ID\" \"$QUEUE_ATTEMPT\" "
                + "\"$QUEUE_TOPIC\" \"$QUEUE_PARTITION\" \"$QUEUE_OFFSET\" \"$line\" >> '" + ran + "'; "
                + "echo \"did $line\"; echo \"run $QUEUE_RUN_ID\" >&2";
        queue.createTopic(3);
        List<ServiceProcess> consumers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            consumers.add(queue.consumer().exec(command).flag("--item-log", "each").start());
        }
        queue.awaitGroupAssigned(3, 3, Duration.ofSeconds(60));

        ServiceProcess producer = queue.producer().input(input.toString()).runId("files-1").start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(producer.line(Producer.DONE).text()).startsWith("Producer done: 30 items and 3 pills acknowledged");
        for (ServiceProcess consumer : consumers) {
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
            assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        }
        ServiceProcess join = queue.join().flag("--closed").count(lines).timeout("30s").run();
        assertThat(join.awaitExit(EXIT_TIMEOUT)).as(join.output()).isZero();

        Map<Long, Producer.Produced> produced = Producer.produced(producer).stream()
                .collect(Collectors.toMap(Producer.Produced::id, Function.identity()));
        assertThat(produced.keySet()).as("ids are line numbers")
                .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, lines).boxed().toList());
        List<String[]> runs = Files.readAllLines(ran, StandardCharsets.UTF_8).stream().map(l -> l.split("\t", -1))
                .toList();
        assertThat(runs).as("one command per line, each once").hasSize(lines);
        for (String[] run : runs) {
            long id = Long.parseLong(run[0]);
            Producer.Produced put = produced.get(id);
            assertThat(run[1]).as("QUEUE_ATTEMPT of item %d", id).isEqualTo("1");
            assertThat(run[2]).isEqualTo(queue.topic());
            assertThat(Integer.parseInt(run[3])).as("QUEUE_PARTITION of item %d", id).isEqualTo(put.partition());
            assertThat(Long.parseLong(run[4])).as("QUEUE_OFFSET of item %d", id).isEqualTo(put.offset());
            assertThat(run[5]).as("the payload on stdin is line %d", id).isEqualTo(text.get((int) id - 1));
        }
        List<String> tagged = new ArrayList<>();
        consumers.forEach(c -> c.lines().stream().map(ServiceProcess.Line::text)
                .filter(l -> l.matches("\\d+\tdid .*")).forEach(tagged::add));
        assertThat(tagged).as("each command's output, tagged with its item, in exactly one consumer")
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, lines)
                        .mapToObj(i -> i + "\tdid " + text.get(i - 1)).toList());
        assertThat(consumers.stream().flatMap(c -> c.stderr().stream()).map(ServiceProcess.Line::text)
                .filter(l -> l.matches("\\d+\trun files-1"))).as("stderr is tagged too, QUEUE_RUN_ID set")
                .hasSize(lines);
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void aFailingCommandIsRetriedThenDeadLetteredWithItsExitStatusAndTheEndOfItsStderr() throws IOException {
        Path input = Files.write(dir.resolve("items.txt"),
                List.of("good one", "bad two", "good three", "good four", "bad five"), StandardCharsets.UTF_8);
        Path attempts = dir.resolve("attempts");
        String command = "read -r line; echo \"$QUEUE_ITEM_ID $QUEUE_ATTEMPT\" >> '" + attempts + "'; "
                + "case \"$line\" in bad*) echo \"cannot process $line\" >&2; echo \"attempt $QUEUE_ATTEMPT\" >&2; "
                + "exit 4;; esac";
        ServiceProcess producer = queue.producer().input(input.toString()).partitions(2).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = queue.consumer().exec(command).flag("--max-retries", "2")
                .flag("--retry-backoff", "50ms").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(consumer.line(Consumer.DONE).text())
                .startsWith("Consumer done: 3 items processed, 2 dead-lettered");
        assertThat(Files.readAllLines(attempts)).as("1 + --max-retries 2 attempts of each bad line, one of the rest")
                .containsExactlyInAnyOrder("1 1", "2 1", "2 2", "2 3", "3 1", "4 1", "5 1", "5 2", "5 3");
        List<DeadLetterTopic.DeadLetter> letters = DeadLetterTopic.read(queue);
        assertThat(letters).extracting(DeadLetterTopic.DeadLetter::itemId).containsExactlyInAnyOrder(2L, 5L);
        for (DeadLetterTopic.DeadLetter letter : letters) {
            String line = letter.itemId() == 2 ? "bad two" : "bad five";
            assertThat(letter.header(DeadLetterTopic.EXEC_EXIT_STATUS)).isEqualTo("4");
            assertThat(letter.header(DeadLetterTopic.EXEC_STDERR)).as("the last attempt's stderr")
                    .isEqualTo("cannot process " + line + "\nattempt 3");
            assertThat(letter.errorClass()).endsWith("ExecFailure");
            assertThat(letter.errorMessage()).isEqualTo("exit status 4: attempt 3");
        }
        assertThat(consumer.stderr()).extracting(ServiceProcess.Line::text)
                .filteredOn(l -> l.equals("2\tcannot process bad two")).as("tagged on the consumer's stderr").hasSize(3);
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void aCommandPastItsTimeoutIsKilledWithEveryProcessItStartedAndDeadLettered() throws IOException {
        Path input = Files.write(dir.resolve("items.txt"), List.of("quick", "slow", "quick"), StandardCharsets.UTF_8);
        Path background = dir.resolve("background.pid");
        String command = "read -r line; if [ \"$line\" = slow ]; then sleep 300 & echo $! > '" + background
                + "'; sleep 300; fi";
        ServiceProcess producer = queue.producer().input(input.toString()).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        long started = System.nanoTime();
        ServiceProcess consumer = queue.consumer().exec(command).flag("--exec-timeout", "2s")
                .flag("--max-retries", "0").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not the 300 s the command wanted")
                .isLessThan(Duration.ofSeconds(60));
        assertThat(Consumer.ids(consumer)).containsExactly(1L, 3L);
        DeadLetterTopic.DeadLetter letter = DeadLetterTopic.read(queue).get(0);
        assertThat(letter.itemId()).isEqualTo(2);
        assertThat(letter.errorMessage()).startsWith("timed out after 2000 ms (--exec-timeout)");
        assertThat(letter.header(DeadLetterTopic.EXEC_EXIT_STATUS)).as("128 + SIGKILL").isEqualTo("137");
        long pid = Long.parseLong(Files.readString(background).trim());
        Awaitility.await("the command's background sleep, killed with it")
                .atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void sigtermPassesOnToTheRunningCommandsWhatFinishedIsCommittedAndTheRestIsRunAgainLater() throws IOException {
        // Items 1 and 2 end at once; 3 to 6 wait until a signal; 7 and 8 are not started before the signal.
        List<String> text = List.of("quick", "quick", "slow", "slow", "slow", "slow", "slow", "slow");
        Path input = Files.write(dir.resolve("items.txt"), text, StandardCharsets.UTF_8);
        Path started = dir.resolve("started");
        Path signalled = dir.resolve("signalled");
        String command = "trap 'echo \"$QUEUE_ITEM_ID\" >> \"" + signalled + "\"; exit 1' TERM; read -r line; "
                + "echo \"$QUEUE_ITEM_ID\" >> '" + started + "'; [ \"$line\" = quick ] && exit 0; sleep 300 & wait";
        ServiceProcess producer = queue.producer().input(input.toString()).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess first = queue.consumer().exec(command).flag("--concurrency", "4")
                .flag("--ordering", "unordered").start();
        Awaitility.await("items 1 to 6 started").atMost(EXIT_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> lines(started).size() >= 6);

        long signalledAt = System.nanoTime();
        first.sigterm();

        assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.output()).isEqualTo(ExitCode.OK);
        assertThat(Duration.ofNanos(System.nanoTime() - signalledAt)).as("within the shutdown bound")
                .isLessThan(Duration.ofSeconds(20));
        assertThat(Consumer.doneReason(first)).isEqualTo("stopped by signal");
        assertThat(lines(signalled)).as("the running commands got SIGTERM").containsExactlyInAnyOrder("3", "4", "5",
                "6");
        assertThat(lines(started)).as("nothing started after the signal").containsExactlyInAnyOrder("1", "2", "3",
                "4", "5", "6");
        assertThat(DeadLetterTopic.read(queue)).as("a command stopped by the shutdown is no failure").isEmpty();
        assertThat(queue.lag().committed()).as("items 1 and 2, at offsets 0 and 1, committed; 3 is not")
                .isEqualTo(Map.of(0, 2L));

        Path second = dir.resolve("second");
        ServiceProcess rest = queue.consumer().exec("echo \"$QUEUE_ITEM_ID\" >> '" + second + "'").start();

        assertThat(rest.awaitExit(EXIT_TIMEOUT)).as(rest.output()).isZero();
        assertThat(lines(second)).as("the items the signal interrupted, and the ones never started")
                .containsExactly("3", "4", "5", "6", "7", "8");
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void aRebalanceMidRunRunsNoCommandTwice() throws IOException {
        int items = 80;
        Path input = Files.write(dir.resolve("items.txt"), IntStream.rangeClosed(1, items)
                .mapToObj(i -> "item " + i).toList(), StandardCharsets.UTF_8);
        Path ran = dir.resolve("ran");
        // 80 items of 0.5 s, 2 at a time: about 20 s of work, so the second consumer joins mid-run.
        String command = "echo \"$QUEUE_ITEM_ID\" >> '" + ran + "'; sleep 0.5";
        queue.createTopic(4);
        ServiceProcess first = queue.consumer().exec(command).flag("--concurrency", "2").start();
        queue.awaitGroupAssigned(1, 4, Duration.ofSeconds(60));
        ServiceProcess producer = queue.producer().input(input.toString()).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        first.awaitLines(Consumer.CONSUMED, 6, Duration.ofSeconds(60));

        ServiceProcess second = queue.consumer().exec(command).flag("--concurrency", "2").start();

        assertThat(first.awaitExit(EXIT_TIMEOUT)).as(first.output()).isZero();
        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        assertThat(first.stderr()).extracting(ServiceProcess.Line::text).as("the first consumer gave partitions up")
                .anyMatch(l -> l.contains("Revoked [" + queue.topic()));
        assertThat(Consumer.ids(second)).as("the second consumer worked some of the run").isNotEmpty();
        assertThat(lines(ran)).as("every item's command ran, none twice").hasSize(items)
                .doesNotHaveDuplicates();
        assertThat(queue.lag().total()).isZero();
    }

    @Test
    void onAShareGroupAFailingCommandIsReleasedUntilItsDeliveriesRunOutThenRejected() throws IOException {
        ShareGroup share = new ShareGroup(queue);
        share.configure(Map.of("share.delivery.count.limit", "2")); // Kafka's least: one release, then the last
        Path input = Files.write(dir.resolve("items.txt"), List.of("fine", "broken", "fine"), StandardCharsets.UTF_8);
        Path ran = dir.resolve("ran");
        String command = "read -r line; echo \"$QUEUE_ITEM_ID $QUEUE_ATTEMPT\" >> '" + ran + "'; "
                + "[ \"$line\" = broken ] && { echo 'no luck' >&2; exit 5; }; exit 0";
        ServiceProcess producer = queue.producer().flag("--group-type", "share").input(input.toString())
                .partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = queue.consumer().flag("--group-type", "share").exec(command)
                .flag("--max-retries", "0").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(consumer.lines()).extracting(ServiceProcess.Line::text)
                .filteredOn(l -> l.startsWith("Released 2 ")).singleElement().asString()
                .endsWith("delivery 1 of 2 failed");
        assertThat(lines(ran)).as("item 2 ran once per delivery").containsExactlyInAnyOrder("1 1", "2 1", "2 1",
                "3 1");
        DeadLetterTopic.DeadLetter letter = DeadLetterTopic.read(queue).get(0);
        assertThat(letter.itemId()).isEqualTo(2);
        assertThat(letter.header(DeadLetterTopic.EXEC_EXIT_STATUS)).isEqualTo("5");
        assertThat(letter.header(DeadLetterTopic.EXEC_STDERR)).isEqualTo("no luck");
        assertThat(share.totalLag()).as("the rejected record counts as finished").isZero();
    }

    /** The lines of a file the commands append to; none if no command wrote it yet. */
    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isBlank()).toList() : List.of();
    }
}
