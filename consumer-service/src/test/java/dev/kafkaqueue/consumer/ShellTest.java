package dev.kafkaqueue.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kafkaqueue.cli.InvalidSettingException;
import org.junit.jupiter.api.Test;

/** --exec's startup check: a command that cannot start fails before the consumer joins its group. */
class ShellTest {

    @Test
    void theFirstWordIsLookedUpOnlyWhenItIsPlain() {
        assertThat(Shell.firstWord("  convert \"$f\" out.png")).isEqualTo("convert");
        assertThat(Shell.firstWord("./run.sh|tee log")).isEqualTo("./run.sh");
        assertThat(Shell.firstWord("gzip;true")).isEqualTo("gzip");
        assertThat(Shell.firstWord("FOO=1 cmd")).as("an assignment").isNull();
        assertThat(Shell.firstWord("\"$HOME/bin/x\"")).as("quoted").isNull();
        assertThat(Shell.firstWord("(cd /tmp && ls)")).as("a subshell").isNull();
        assertThat(Shell.firstWord("")).isNull();
    }

    @Test
    void aCommandTheShellFindsPasses() {
        Shell shell = Shell.find();

        shell.check("cat > /dev/null");
        shell.check("if true; then :; fi");
        shell.check("FOO=1 whatever-it-is");
    }

    @Test
    void aFirstWordTheShellCannotFindFailsNamingIt() {
        assertThatThrownBy(() -> Shell.find().check("no-such-program-kq --flag"))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("--exec: sh cannot find 'no-such-program-kq', the command's first word");
    }

    @Test
    void theMarkerFindsAProcessThatLeftTheShellsTree() throws Exception {
        String marker = "test." + System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", "(sleep 60 > /dev/null 2>&1 &); echo started");
        builder.environment().put(Shell.MARKER, marker);
        Process shell = builder.start();
        shell.getInputStream().readAllBytes();
        shell.waitFor();

        java.util.List<ProcessHandle> orphans = Shell.marked(java.util.List.of(marker));
        try {
            assertThat(orphans).as("the background sleep, whose parent shell is gone").hasSize(1);
            assertThat(orphans.get(0).info().command().orElse("")).endsWith("sleep");
            assertThat(Shell.marked(java.util.List.of(marker + "0"))).as("an exact match only").isEmpty();
        } finally {
            orphans.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aMissingShellFailsNamingIt() {
        assertThatThrownBy(() -> new Shell("no-such-shell-kq").check("true"))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("--exec: cannot start no-such-shell-kq -c ...")
                .hasMessageContaining("no-such-shell-kq must be on the PATH");
    }
}
