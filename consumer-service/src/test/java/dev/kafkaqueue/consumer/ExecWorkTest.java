package dev.kafkaqueue.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kafkaqueue.KafkaQueue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --exec's runs, on this machine's sh, without Kafka: a task is what the queue would hand over. */
class ExecWorkTest {

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private final List<ExecWork> opened = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        opened.forEach(ExecWork::close);
    }

    @Test
    void thePayloadIsStdinTheTaskIsInTheEnvironmentAndEachLineIsTagged() throws Exception {
        ExecWork exec = exec("read -r line; echo \"[$line]\"; echo \"$QUEUE_TOPIC $QUEUE_PARTITION $QUEUE_OFFSET "
                + "$QUEUE_ITEM_ID $QUEUE_RUN_ID $QUEUE_ATTEMPT\"; echo oops >&2", Optional.empty());

        exec.handle(task(7, TextNode.valueOf("https://example.com/a b")));

        assertThat(stdout()).isEqualTo("7\t[https://example.com/a b]\n7\tjobs 2 41 7 run-1 1\n");
        assertThat(stderr()).isEqualTo("7\toops\n");
    }

    @Test
    void aJsonPayloadIsItsJsonText() throws Exception {
        ExecWork exec = exec("cat", Optional.empty());

        exec.handle(task(1, new ObjectMapper().readTree("{\"url\": \"https://example.com\", \"n\": [1, 2]}")));

        assertThat(stdout()).isEqualTo("1\t{\"url\":\"https://example.com\",\"n\":[1,2]}\n");
    }

    @Test
    void aNonZeroExitIsAFailureWithTheStatusAndTheEndOfStderr() {
        ExecWork exec = exec("echo 'first problem' >&2; echo 'convert: no such file' >&2; exit 3", Optional.empty());

        assertThatThrownBy(() -> exec.handle(task(5, TextNode.valueOf("x"))))
                .isInstanceOfSatisfying(ExecFailure.class, failure -> {
                    assertThat(failure.getMessage()).isEqualTo("exit status 3: convert: no such file");
                    assertThat(failure.exitStatus()).isEqualTo(3);
                    assertThat(failure.deadLetterHeaders()).containsEntry(ExecFailure.EXIT_STATUS, "3")
                            .containsEntry(ExecFailure.STDERR, "first problem\nconvert: no such file");
                });
    }

    @Test
    void aCommandThatDoesNotReadItsInputStillCounts() throws Exception {
        ExecWork exec = exec("true", Optional.empty());

        exec.handle(task(1, TextNode.valueOf("y".repeat(1_000_000)))); // larger than a pipe: written on another thread
    }

    @Test
    void theTimeoutKillsABackgroundJobThatLeftTheShellsTree() throws Exception {
        Path pid = dir.resolve("orphan.pid");
        // The subshell starts a sleep and exits at once: that sleep is no descendant of the command's shell any more
        // (its parent is gone), but it carries the command's marker.
        ExecWork exec = exec("(sleep 60 > /dev/null 2>&1 & echo $! > " + pid + "); sleep 60",
                Optional.of(Duration.ofMillis(500)));

        assertThatThrownBy(() -> exec.handle(task(9, TextNode.valueOf("x"))))
                .isInstanceOf(ExecFailure.class).hasMessageStartingWith("timed out after 500 ms (--exec-timeout)");
        long orphan = Long.parseLong(Files.readString(pid).trim());
        await("the orphaned sleep killed").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(orphan).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void theTimeoutKillsEveryProcessTheCommandStarted() throws Exception {
        Path pid = dir.resolve("background.pid");
        ExecWork exec = exec("sleep 60 & echo $! > " + pid + "; sleep 60", Optional.of(Duration.ofMillis(500)));

        long started = System.nanoTime();
        assertThatThrownBy(() -> exec.handle(task(9, TextNode.valueOf("x"))))
                .isInstanceOf(ExecFailure.class).hasMessageStartingWith("timed out after 500 ms (--exec-timeout)");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
        long background = Long.parseLong(Files.readString(pid).trim());
        await("the background sleep killed with its shell").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(background).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void stopSendsSigtermAndACommandThatExitsZeroOnItIsDone() throws Exception {
        Path started = dir.resolve("started");
        ExecWork exec = exec("trap 'echo bye; exit 0' TERM; touch " + started + "; sleep 60 & wait",
                Optional.empty());
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Future<?> run = worker.submit(() -> {
                exec.handle(task(3, TextNode.valueOf("x")));
                return null;
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(started));

            exec.stop(Duration.ofSeconds(30));

            run.get(); // returned normally: task_done
            assertThat(stdout()).isEqualTo("3\tbye\n");
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void stopKillsWhatIgnoresSigtermAfterTheWaitAndLeavesItsItem() throws Exception {
        Path started = dir.resolve("started");
        ExecWork exec = exec("trap '' TERM; touch " + started + "; sleep 60", Optional.empty());
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                exec.handle(task(4, TextNode.valueOf("x")));
                ended.complete(null);
            } catch (Exception e) {
                ended.complete(e);
            }
        });
        worker.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(started));

        exec.stop(Duration.ofMillis(500));

        assertThat(ended.get()).as("left for the next delivery, not a failure of the item")
                .isInstanceOf(InterruptedException.class);
        assertThatThrownBy(() -> exec.handle(task(5, TextNode.valueOf("x")))).as("nothing starts after stop")
                .isInstanceOf(InterruptedException.class);
    }

    @Test
    void linesOfCommandsRunningSideBySideNeverInterleave() throws Exception {
        ExecWork exec = exec("i=0; while [ $i -lt 2000 ]; do echo \"$QUEUE_ITEM_ID says line $i of a long text\"; "
                + "i=$((i+1)); done", Optional.empty());
        ExecutorService workers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (long id = 1; id <= 4; id++) {
                long item = id;
                runs.add(workers.submit(() -> {
                    exec.handle(task(item, TextNode.valueOf("x")));
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            workers.shutdownNow();
        }

        List<String> lines = stdout().lines().toList();
        assertThat(lines).hasSize(4 * 2000)
                .allMatch(line -> line.matches("([1-4])\t\\1 says line \\d+ of a long text"), "whole and tagged");
    }

    @Test
    void aCommandThatCannotStartStopsTheConsumerOnceInsteadOfFailingItsItem() {
        ExecWork exec = new ExecWork("true", Optional.empty(), new Shell("no-such-shell-kq"), out, err);
        opened.add(exec);
        List<String> stops = new ArrayList<>();
        exec.whenStartFails(() -> stops.add("stop"));

        assertThatThrownBy(() -> exec.handle(task(1, TextNode.valueOf("x")))).isInstanceOf(InterruptedException.class);
        assertThatThrownBy(() -> exec.handle(task(2, TextNode.valueOf("x")))).isInstanceOf(InterruptedException.class);

        assertThat(stops).containsExactly("stop");
        assertThat(exec.startFailure()).get().extracting(IOException::getMessage).asString()
                .contains("no-such-shell-kq");
    }

    private ExecWork exec(String command, Optional<Duration> timeout) {
        ExecWork exec = new ExecWork(command, timeout, Shell.find(), out, err);
        opened.add(exec);
        return exec;
    }

    private String stdout() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    /** Item {@code id} at jobs-2@41 of run-1, first attempt. */
    private static KafkaQueue.Task<JsonNode> task(long id, JsonNode item) {
        return new KafkaQueue.Task<>() {
            @Override
            public JsonNode item() {
                return item;
            }

            @Override
            public void taskDone() {
                throw new UnsupportedOperationException("process() marks its tasks done");
            }

            @Override
            public long id() {
                return id;
            }

            @Override
            public String runId() {
                return "run-1";
            }

            @Override
            public Instant putAt() {
                return Instant.EPOCH;
            }

            @Override
            public String topic() {
                return "jobs";
            }

            @Override
            public int partition() {
                return 2;
            }

            @Override
            public long offset() {
                return 41;
            }

            @Override
            public int attempt() {
                return 1;
            }
        };
    }
}
