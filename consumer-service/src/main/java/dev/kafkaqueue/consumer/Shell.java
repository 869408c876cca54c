package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.InvalidSettingException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@code --exec} starts a command and signals it: {@code sh -c CMD}, in a process group of its own, so that a
 * timeout or a shutdown reaches everything the command started, pipelines and background jobs too.
 *
 * <p>The group comes from util-linux's {@code setsid}, which makes the shell the leader of a new session and process
 * group (its pid is the group's id); the JVM cannot do that itself. Where {@code setsid} is missing (macOS, say), the
 * shell runs in the consumer's group and a signal goes to the shell and its descendants one by one
 * ({@link ProcessHandle#descendants()}): a process already detached from the shell escapes it. Signals to a group go
 * through the shell's own {@code kill}, which every {@code sh} has. Thread-safe.
 */
final class Shell {

    private static final Logger log = LoggerFactory.getLogger(Shell.class);
    /** A first word simple enough to look up: no quotes, expansions, redirections or assignment. */
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./+-]+");
    private static final long PROBE_SECONDS = 30;

    /** The signals the consumer sends. */
    enum Signal {
        /** Asks to stop: at shutdown. */
        TERM,
        /** Kills: at {@code --exec-timeout}, and what is left after the shutdown's wait. */
        KILL
    }

    private final String sh;
    private final boolean setsid;
    private final List<String> prefix;

    /** A shell named {@code sh} (a program on the PATH), with or without {@code setsid} in front. */
    Shell(String sh, boolean setsid) {
        this.sh = sh;
        this.setsid = setsid;
        this.prefix = setsid ? List.of("setsid", sh, "-c") : List.of(sh, "-c");
    }

    /** The shell {@code sh}, with a process group per command where {@code setsid} is on the PATH. */
    static Shell find() {
        boolean setsid = onPath("setsid");
        if (!setsid) {
            log.info("setsid is not on the PATH: each --exec command runs in the consumer's process group, and a "
                    + "timeout or a shutdown signals the command's shell and its descendants one by one");
        }
        return new Shell("sh", setsid);
    }

    /** True when each command gets a process group of its own. */
    boolean groups() {
        return setsid;
    }

    /** The argument vector that runs {@code command}. */
    List<String> argv(String command) {
        List<String> argv = new ArrayList<>(prefix.size() + 1);
        argv.addAll(prefix);
        argv.add(command);
        return argv;
    }

    /**
     * Checks at startup that commands can run: the shell starts, and it finds the command's first word when that is
     * a plain word (a program, a builtin or a keyword). Runs nothing of the command itself.
     *
     * @throws InvalidSettingException naming what is missing; the consumer exits 2 before it joins its group
     */
    void check(String command) {
        String first = firstWord(command);
        List<String> argv = new ArrayList<>(prefix);
        if (first == null) {
            argv.add(":");
        } else {
            argv.addAll(List.of("command -v -- \"$1\" >/dev/null", sh, first));
        }
        Process probe;
        try {
            probe = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new InvalidSettingException("--exec: cannot start " + String.join(" ", prefix) + " ...: "
                    + e.getMessage() + "; commands run as " + sh + " -c CMD, so " + sh + " must be on the PATH ("
                    + System.getenv("PATH") + ")", e);
        }
        try {
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!probe.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
                probe.destroyForcibly();
                throw new InvalidSettingException("--exec: " + sh + " did not answer within " + PROBE_SECONDS + "s");
            }
            int status = probe.exitValue();
            if (status != 0 && first != null) {
                throw new InvalidSettingException("--exec: " + sh + " cannot find '" + first + "', the command's "
                        + "first word (PATH=" + System.getenv("PATH") + ")" + (output.isEmpty() ? "" : ": " + output));
            }
            if (status != 0) {
                throw new InvalidSettingException("--exec: " + String.join(" ", argv) + " exited " + status
                        + (output.isEmpty() ? "" : ": " + output));
            }
        } catch (IOException e) {
            throw new InvalidSettingException("--exec: cannot read " + sh + "'s answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvalidSettingException("--exec: interrupted while checking " + sh, e);
        }
    }

    /** Sends {@code signal} to each command's process group (or, without {@code setsid}, its process tree). */
    void signal(Collection<Process> commands, Signal signal) {
        if (commands.isEmpty()) {
            return;
        }
        if (!groups()) {
            for (Process command : commands) {
                ProcessHandle shell = command.toHandle();
                shell.descendants().forEach(child -> send(child, signal));
                send(shell, signal);
            }
            return;
        }
        List<String> kill = new ArrayList<>(List.of(sh, "-c", "kill -" + signal + " \"$@\" 2>/dev/null", sh));
        for (Process command : commands) {
            kill.add("-" + command.pid()); // a negative pid is the process group
        }
        try {
            Process process = new ProcessBuilder(kill).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            log.warn("Cannot send SIG{} to {} command(s) with {} -c kill: {}; signalling each shell itself",
                    signal, commands.size(), sh, e.toString());
            commands.forEach(command -> send(command.toHandle(), signal));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(ProcessHandle process, Signal signal) {
        if (signal == Signal.KILL) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
    }

    /** The command's first word, if it is a plain one worth looking up; null otherwise. */
    static String firstWord(String command) {
        String trimmed = command.strip();
        int end = 0;
        while (end < trimmed.length() && !Character.isWhitespace(trimmed.charAt(end))
                && ";|&<>()".indexOf(trimmed.charAt(end)) < 0) {
            end++;
        }
        String word = trimmed.substring(0, end);
        return !word.isEmpty() && PLAIN_WORD.matcher(word).matches() ? word : null;
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
