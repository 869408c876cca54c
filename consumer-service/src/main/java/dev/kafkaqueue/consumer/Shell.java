package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.InvalidSettingException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * How {@code --exec} starts a command and signals it: {@code sh -c CMD}, its processes found when a timeout or a
 * shutdown needs them.
 *
 * <p>A signal goes to every process the command started: the shell, its descendants ({@link ProcessHandle}), and, on
 * Linux, any process that carries the command's marker in its environment ({@link #MARKER}, read from
 * {@code /proc/<pid>/environ}): a background job whose shell has exited is no longer a descendant, but it still holds
 * the marker, and it is signalled too. That is the set a process group of the command's own would hold, without one:
 * the JVM cannot start a process in a group of its own, and {@code setsid sh -c CMD} execs one more program per item,
 * which doubled the work of a short command here (bench.sh's exec step). A process that clears its environment and
 * detaches escapes, as one that calls {@code setsid} would escape a group. Thread-safe.
 */
final class Shell {

    /** The environment variable that marks a command's processes: {@code <consumer pid>.<run number>}. */
    static final String MARKER = "QUEUE_EXEC_MARKER";

    /** A first word simple enough to look up: no quotes, expansions, redirections or assignment. */
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./+-]+");
    private static final Pattern PID = Pattern.compile("\\d+");
    private static final long PROBE_SECONDS = 30;
    private static final Path PROC = Path.of("/proc");

    /** The signals the consumer sends. */
    enum Signal {
        /** Asks to stop: at shutdown. */
        TERM,
        /** Kills: at {@code --exec-timeout}, and what is left after the shutdown's wait. */
        KILL
    }

    /** A command started by the shell: its shell process and its marker. */
    record Command(Process shell, String marker) {
    }

    private final String sh;

    /** A shell named {@code sh} (a program on the PATH). */
    Shell(String sh) {
        this.sh = sh;
    }

    /** The shell {@code sh} found on the PATH. */
    static Shell find() {
        return new Shell("sh");
    }

    /** The argument vector that runs {@code command}. */
    List<String> argv(String command) {
        return List.of(sh, "-c", command);
    }

    /**
     * Checks at startup that commands can run: the shell starts, and it finds the command's first word when that is
     * a plain word (a program, a builtin or a keyword). Runs nothing of the command itself.
     *
     * @throws InvalidSettingException naming what is missing; the consumer exits 2 before it joins its group
     */
    void check(String command) {
        String first = firstWord(command);
        List<String> argv = first == null ? List.of(sh, "-c", ":")
                : List.of(sh, "-c", "command -v -- \"$1\" >/dev/null", sh, first);
        Process probe;
        try {
            probe = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new InvalidSettingException("--exec: cannot start " + sh + " -c ...: " + e.getMessage()
                    + "; commands run as " + sh + " -c CMD, so " + sh + " must be on the PATH ("
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

    /** Sends {@code signal} to every process of these commands (see the class comment). */
    void signal(Collection<Command> commands, Signal signal) {
        if (commands.isEmpty()) {
            return;
        }
        Map<Long, ProcessHandle> targets = new LinkedHashMap<>();
        List<String> markers = new ArrayList<>(commands.size());
        for (Command command : commands) {
            ProcessHandle shell = command.shell().toHandle();
            // The shell first: signalled after its children, a shell in a plain `wait` sees them die, and `wait` with
            // no operand returns 0, so the command exits 0 before its own signal lands (ExecIT caught it: a stopped
            // item counted as done, its trap never run).
            targets.put(shell.pid(), shell);
            shell.descendants().forEach(child -> targets.putIfAbsent(child.pid(), child));
            markers.add(command.marker());
        }
        marked(markers).forEach(process -> targets.putIfAbsent(process.pid(), process));
        for (ProcessHandle process : targets.values()) {
            if (signal == Signal.KILL) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
        }
    }

    /** The processes whose environment holds one of these markers; none where there is no {@code /proc}. */
    static List<ProcessHandle> marked(Collection<String> markers) {
        List<ProcessHandle> found = new ArrayList<>();
        if (markers.isEmpty() || !Files.isDirectory(PROC)) {
            return found;
        }
        List<byte[]> wanted = markers.stream().map(m -> (MARKER + "=" + m).getBytes(StandardCharsets.UTF_8)).toList();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC)) {
            for (Path dir : processes) {
                String name = dir.getFileName().toString();
                if (!PID.matcher(name).matches() || Long.parseLong(name) == self) {
                    continue;
                }
                byte[] environment;
                try {
                    environment = Files.readAllBytes(dir.resolve("environ"));
                } catch (IOException | SecurityException e) {
                    continue; // gone meanwhile, or another user's: not one of ours
                }
                for (byte[] marker : wanted) {
                    if (holds(environment, marker)) {
                        ProcessHandle.of(Long.parseLong(name)).ifPresent(found::add);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            // /proc unreadable: the shell and its descendants are what can be signalled
        }
        return found;
    }

    /** True when the NUL-separated {@code environment} holds the entry {@code marker} exactly. */
    private static boolean holds(byte[] environment, byte[] marker) {
        int start = 0;
        while (start < environment.length) {
            int end = start;
            while (end < environment.length && environment[end] != 0) {
                end++;
            }
            if (end - start == marker.length) {
                boolean same = true;
                for (int i = 0; i < marker.length && same; i++) {
                    same = environment[start + i] == marker[i];
                }
                if (same) {
                    return true;
                }
            }
            start = end + 1;
        }
        return false;
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
}
