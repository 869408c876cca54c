package dev.kafkaqueue.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --exec CMD}: runs {@code sh -c CMD} once per item ({@link Shell}). The payload is its standard input (a text
 * item's text, any other JSON value as JSON, then a newline), and its environment holds {@code QUEUE_TOPIC},
 * {@code QUEUE_PARTITION}, {@code QUEUE_OFFSET}, {@code QUEUE_ITEM_ID}, {@code QUEUE_RUN_ID}, {@code QUEUE_ATTEMPT}
 * and {@link Shell#MARKER}, which finds its processes again. Each line it prints goes to the consumer's standard
 * output or error, tagged with the item's id ({@link TaggedLines}).
 *
 * <p>Exit status 0 is task_done. Anything else throws an {@link ExecFailure}: the queue retries the item, then
 * dead-letters it with the exit status and the last lines of standard error. With a timeout, a command still running
 * is killed (every process it started) and that is a failure too.
 *
 * <p>{@link #stop} is the shutdown: no command starts after it, the running ones get SIGTERM, and what is left after
 * the wait gets SIGKILL. A command that still exits 0 is done; one that does not is left unfinished (not committed,
 * delivered again), never dead-lettered. A command that cannot even be started (no more processes, say) stops the
 * consumer rather than failing item after item: see {@link #whenStartFails}. Thread-safe: one worker thread per
 * command, plus one pooled thread for its standard error.
 */
final class ExecWork implements KafkaQueue.Handler<JsonNode>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExecWork.class);
    /** A payload up to this size is written by the worker itself: an empty pipe takes it without blocking. */
    private static final int INLINE_INPUT = 16 * 1024;

    private final String command;
    private final Optional<Duration> timeout;
    private final Shell shell;
    private final PrintStream out;
    private final PrintStream err;
    private final ExecutorService streams = Executors.newCachedThreadPool(daemons("exec-stream"));
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(daemons("exec-timer"));
    private final Set<Shell.Command> running = ConcurrentHashMap.newKeySet();
    private final String markerPrefix = ProcessHandle.current().pid() + ".";
    private final AtomicLong runs = new AtomicLong();
    private volatile boolean stopping;
    private final AtomicReference<IOException> startFailure = new AtomicReference<>();
    private volatile Runnable onStartFailure = () -> { };

    /**
     * @param command the command, run as {@code sh -c command}
     * @param timeout how long one run may take before it is killed, with what it started; none when empty
     * @param out     where the command's standard output lines go, tagged
     * @param err     where its standard error lines go, tagged
     */
    ExecWork(String command, Optional<Duration> timeout, Shell shell, PrintStream out, PrintStream err) {
        this.command = command;
        this.timeout = timeout;
        this.shell = shell;
        this.out = out;
        this.err = err;
    }

    /** What to do, once, when a command cannot be started: stop the queue (from another thread than a worker). */
    void whenStartFails(Runnable action) {
        this.onStartFailure = action;
    }

    /** Why commands could not be started, if they could not. */
    Optional<IOException> startFailure() {
        return Optional.ofNullable(startFailure.get());
    }

    @Override
    public void handle(KafkaQueue.Task<JsonNode> task) throws Exception {
        if (stopping) {
            throw stopped();
        }
        ProcessBuilder builder = new ProcessBuilder(shell.argv(command));
        Map<String, String> env = builder.environment();
        env.put("QUEUE_TOPIC", task.topic());
        env.put("QUEUE_PARTITION", Integer.toString(task.partition()));
        env.put("QUEUE_OFFSET", Long.toString(task.offset()));
        env.put("QUEUE_ITEM_ID", Long.toString(task.id()));
        env.put("QUEUE_RUN_ID", task.runId());
        env.put("QUEUE_ATTEMPT", Integer.toString(task.attempt()));
        String marker = markerPrefix + runs.incrementAndGet();
        env.put(Shell.MARKER, marker);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            startFailed(e);
            throw stopped();
        }
        Shell.Command command = new Shell.Command(process, marker);
        running.add(command);
        if (stopping) {
            shell.signal(List.of(command), Shell.Signal.TERM); // started as stop() signalled the others
        }
        String tag = Long.toString(task.id());
        TaggedLines stdout = new TaggedLines(out, tag, false);
        TaggedLines stderr = new TaggedLines(err, tag, true);
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> timer = timeout.<ScheduledFuture<?>>map(limit -> timers.schedule(() -> {
            timedOut.set(true);
            shell.signal(List.of(command), Shell.Signal.KILL);
        }, limit.toNanos(), TimeUnit.NANOSECONDS)).orElse(null);
        int status;
        try {
            Future<?> errors = streams.submit(() -> {
                stderr.copy(process.getErrorStream());
                return null;
            });
            feed(process, input(task.item()));
            stdout.copy(process.getInputStream());
            status = process.waitFor();
            errors.get();
        } catch (InterruptedException e) {
            shell.signal(List.of(command), Shell.Signal.KILL);
            throw e;
        } catch (IOException | ExecutionException e) {
            shell.signal(List.of(command), Shell.Signal.KILL);
            status = process.waitFor();
            throw new ExecFailure("cannot read its output: " + (e.getCause() == null ? e : e.getCause()), status,
                    stderr.tail());
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            running.remove(command);
        }
        if (status == 0) {
            return;
        }
        if (timedOut.get()) {
            throw new ExecFailure("timed out after " + timeout.get().toMillis() + " ms (--exec-timeout): it was "
                    + "killed, with every process it started", status, stderr.tail());
        }
        if (stopping) {
            throw stopped(); // ended by the shutdown's signal: left for the next delivery, not a failure of the item
        }
        String last = stderr.lastLine();
        throw new ExecFailure("exit status " + status + (last.isEmpty() ? "" : ": " + last), status, stderr.tail());
    }

    /**
     * The shutdown: no more commands start; the running ones get SIGTERM now and SIGKILL after {@code killAfter}.
     * Returns at once; the workers return as their commands end.
     */
    void stop(Duration killAfter) {
        stopping = true;
        List<Shell.Command> now = List.copyOf(running);
        if (!now.isEmpty()) {
            log.info("Stopping: SIGTERM to {} running command(s); SIGKILL to what is left after {} ms", now.size(),
                    killAfter.toMillis());
            shell.signal(now, Shell.Signal.TERM);
        }
        timers.schedule(() -> {
            List<Shell.Command> left = List.copyOf(running);
            if (!left.isEmpty()) {
                log.warn("Stopping: {} command(s) still running {} ms after SIGTERM get SIGKILL; their items are "
                        + "delivered again", left.size(), killAfter.toMillis());
                shell.signal(left, Shell.Signal.KILL);
            }
        }, killAfter.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timers.shutdownNow();
        streams.shutdownNow();
    }

    /** The command's standard input: the payload and a newline, as the line was in its file. */
    static byte[] input(JsonNode item) {
        String text = item.isTextual() ? item.textValue() : item.toString();
        return (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private void feed(Process process, byte[] input) {
        if (input.length <= INLINE_INPUT) {
            write(process, input);
        } else {
            streams.execute(() -> write(process, input)); // the command may print before it reads: no deadlock
        }
    }

    private static void write(Process process, byte[] input) {
        try (OutputStream in = process.getOutputStream()) {
            in.write(input);
        } catch (IOException e) {
            // The command ended, or closed its input, without reading it all: its exit status says how it went.
        }
    }

    private void startFailed(IOException e) {
        if (startFailure.compareAndSet(null, e)) {
            log.error("Cannot start {}: {}; stopping (the item is delivered again), not dead-lettering item after "
                    + "item", String.join(" ", shell.argv(command)), e.getMessage());
            onStartFailure.run();
        }
    }

    private static InterruptedException stopped() {
        return new InterruptedException("stopping: the item is left for its next delivery");
    }

    private static ThreadFactory daemons(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
