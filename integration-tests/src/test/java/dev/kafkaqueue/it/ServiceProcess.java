package dev.kafkaqueue.it;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A program started as a separate OS process, its standard output and standard error read line by line as they
 * come. Every line is stamped with {@link System#nanoTime()} and {@link Instant#now()} when this JVM read it, so
 * tests can order events across processes.
 *
 * <p>Standard input is empty (or, for {@link #startJarWithStdin}, a pipe the test writes to), and {@code QUEUE_*}
 * environment variables are removed, so the services see only the flags a test gives. {@link #close()} kills the
 * process if it is still running.
 */
final class ServiceProcess implements AutoCloseable {

    /** Which stream a line came from. */
    enum Stream { STDOUT, STDERR }

    /** One line of output, and when this JVM read it. */
    record Line(long nanos, Instant at, Stream stream, String text) {
        @Override
        public String toString() {
            return at + " " + stream + " " + text;
        }
    }

    /** The exit code of a process ended by SIGKILL ({@link #sigkill()}): 128 + 9, as the shell reports it. */
    static final int EXIT_SIGKILL = 128 + 9;

    /** JVM flags for every service: a small heap, and a quick start on two shared cores. */
    static final List<String> JVM_FLAGS = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String name;
    private final List<String> command;
    private final Process process;
    private final Instant startedAt = Instant.now();
    private final List<Line> stdout = new CopyOnWriteArrayList<>();
    private final List<Line> stderr = new CopyOnWriteArrayList<>();
    private final List<Line> all = new CopyOnWriteArrayList<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private ServiceProcess(String name, List<String> command, Process process) {
        this.name = name;
        this.command = List.copyOf(command);
        this.process = process;
        this.stdoutReader = read(process.getInputStream(), Stream.STDOUT, stdout);
        this.stderrReader = read(process.getErrorStream(), Stream.STDERR, stderr);
    }

    /** Starts {@code java <JVM_FLAGS> -jar JAR ARGS} with this JVM's java. */
    static ServiceProcess startJar(String name, Path jar, List<String> args) {
        return startJar(name, jar, args, Map.of());
    }

    /** Starts {@code java <JVM_FLAGS> -jar JAR ARGS} with these environment variables set (after the QUEUE_ purge). */
    static ServiceProcess startJar(String name, Path jar, List<String> args, Map<String, String> env) {
        return start(name, javaCommand(jar, args), env, false);
    }

    /** Starts {@code java <JVM_FLAGS> -jar JAR ARGS} with its standard input a pipe: write to {@link #stdin()}. */
    static ServiceProcess startJarWithStdin(String name, Path jar, List<String> args) {
        return start(name, javaCommand(jar, args), Map.of(), true);
    }

    private static List<String> javaCommand(Path jar, List<String> args) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build the services first (mvn package)");
        }
        List<String> command = new ArrayList<>();
        command.add(javaBin());
        command.addAll(JVM_FLAGS);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        return command;
    }

    /** Starts any command. */
    static ServiceProcess start(String name, List<String> command) {
        return start(name, command, Map.of(), false);
    }

    private static ServiceProcess start(String name, List<String> command, Map<String, String> env, boolean stdin) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(stdin ? ProcessBuilder.Redirect.PIPE
                : ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(key -> key.startsWith("QUEUE_"));
        builder.environment().putAll(env);
        try {
            return new ServiceProcess(name, command, builder.start());
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command, e);
        }
    }

    /** The {@code java} of the JVM running the tests. */
    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    String name() {
        return name;
    }

    /** The process's standard input, for {@link #startJarWithStdin}; closing it is the end of the input. */
    OutputStream stdin() {
        return process.getOutputStream();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for the process to end and for its output to be read to the end.
     *
     * @return the exit code
     * @throws AssertionError with the output so far, if it is still running after {@code timeout}
     */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " still running after " + timeout + "\n" + output());
            }
            stdoutReader.join(10_000);
            stderrReader.join(10_000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name, e);
        }
    }

    /**
     * SIGTERM, the services' graceful stop. Sent through the {@link ProcessHandle}: {@link Process#destroy()} sends
     * the same signal on Linux but also closes this side of the pipes, which would lose what the service prints
     * while it stops.
     */
    void sigterm() {
        process.toHandle().destroy();
    }

    /** SIGKILL: a crash, nothing runs in the service after it. */
    void sigkill() {
        process.toHandle().destroyForcibly();
    }

    /** SIGSTOP: the process freezes mid-whatever, its connections open; {@link #sigcont()} resumes it. */
    void sigstop() {
        signal(process.pid(), "STOP");
    }

    /** SIGCONT: resumes a process stopped by {@link #sigstop()}. */
    void sigcont() {
        signal(process.pid(), "CONT");
    }

    /** Sends a signal ({@code "STOP"}, {@code "CONT"}...) with {@code kill}, which Java has no API for. */
    static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + pid, e);
        }
    }

    /** Waits for a standard output line matching {@code regex} (found anywhere in the line), and returns it. */
    Line awaitLine(Pattern regex, Duration timeout) {
        return awaitLines(regex, 1, timeout).get(0);
    }

    /**
     * Waits for a standard output line that satisfies {@code condition}.
     *
     * @throws AssertionError with the output, on timeout or when the process ended without printing it
     */
    Line awaitLine(String description, Predicate<String> condition, Duration timeout) {
        return awaitLines(description, condition, 1, timeout).get(0);
    }

    /** Waits until at least {@code count} standard output lines match {@code regex}; returns all matching lines. */
    List<Line> awaitLines(Pattern regex, int count, Duration timeout) {
        return awaitLines(regex.pattern(), text -> regex.matcher(text).find(), count, timeout);
    }

    private List<Line> awaitLines(String description, Predicate<String> condition, int count, Duration timeout) {
        String what = name + " printing " + count + " x '" + description + "'";
        try {
            Awaitility.await(what)
                    .atMost(timeout)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(20))
                    .failFast(name + " ended without printing it", () -> outputComplete()
                            && matching(condition).size() < count)
                    .until(() -> matching(condition).size() >= count);
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "\n" + output(), e);
        }
        return matching(condition);
    }

    /** Standard output lines containing a match for {@code regex}, in order. */
    List<Line> lines(Pattern regex) {
        return matching(text -> regex.matcher(text).find());
    }

    /** All standard output lines so far, in order. */
    List<Line> lines() {
        return List.copyOf(stdout);
    }

    /** All standard error lines so far (the service's log). */
    List<Line> stderr() {
        return List.copyOf(stderr);
    }

    /** The first standard output line containing a match for {@code regex}; an AssertionError if there is none. */
    Line line(Pattern regex) {
        return lines(regex).stream().findFirst()
                .orElseThrow(() -> new AssertionError(name + " printed no line matching " + regex + "\n" + output()));
    }

    /** The matcher of the first standard output line matching {@code regex} as a whole, if any. */
    Matcher firstMatch(Pattern regex) {
        for (Line line : stdout) {
            Matcher m = regex.matcher(line.text());
            if (m.matches()) {
                return m;
            }
        }
        return null;
    }

    /** The command, then both streams interleaved in the order they were read; for failure messages. */
    String output() {
        StringBuilder text = new StringBuilder();
        text.append("--- ").append(name).append(" (pid ").append(process.pid()).append(", started ")
                .append(startedAt).append(process.isAlive() ? ", running" : ", exit " + process.exitValue())
                .append(")\n$ ").append(String.join(" ", command)).append('\n');
        all.forEach(line -> text.append(line).append('\n'));
        return text.toString();
    }

    /** Writes {@link #output()} to {@code file}, creating directories. */
    void dump(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, output(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }

    /** SIGKILLs the process if it is still running, and waits up to 10 s for it to go. */
    @Override
    public void close() {
        if (process.isAlive()) {
            sigkill();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
                stdoutReader.join(5_000);
                stderrReader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private List<Line> matching(Predicate<String> condition) {
        return stdout.stream().filter(line -> condition.test(line.text())).toList();
    }

    /** True once the process has ended and both streams were read to their end. */
    private boolean outputComplete() {
        return !process.isAlive() && !stdoutReader.isAlive() && !stderrReader.isAlive();
    }

    private Thread read(InputStream stream, Stream which, List<Line> into) {
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String text;
                while ((text = lines.readLine()) != null) {
                    Line line = new Line(System.nanoTime(), Instant.now(), which, text);
                    into.add(line);
                    all.add(line);
                }
            } catch (IOException e) {
                // The pipe closed under us: the process is gone, and what it printed was read.
            }
        }, name + "-" + which.name().toLowerCase(Locale.ROOT));
        reader.setDaemon(true);
        reader.start();
        return reader;
    }
}
