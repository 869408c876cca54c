package dev.kafkaqueue.producer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.cli.ExitCode;
import dev.kafkaqueue.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line, parsed as ProducerMain parses it: bad values fail before any network call. */
class PutCommandTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStandardError() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStandardError() {
        System.setErr(originalErr);
    }

    @Test
    void joinIsASubcommandAndRefusesANegativeCount() {
        int exit = Cli.execute(new PutCommand(), "join", "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--count", "-1");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Error: --count=-1 is not allowed: it must be 0 or more");
    }

    @Test
    void anUnknownJoinFlagShowsJoinsUsage() {
        int exit = Cli.execute(new PutCommand(), "join", "--frobnicate");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Unknown option: '--frobnicate'", "Usage: producer-service join",
                "--lag-interval");
    }

    @Test
    void theOldBootstrapServersSpellingStillWorks() {
        int exit = Cli.execute(new PutCommand(), "--bootstrap-servers", "localhost:1", "--topic", "t",
                "--group", "g", "--lag-interval", "0s");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Error: --lag-interval=0s is not allowed: it must be above zero");
    }

    @Test
    void theDeprecatedIntervalMsIsReadAsMilliseconds() {
        int exit = Cli.execute(new PutCommand(), "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--interval-ms", "-5");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("--interval=-5ms is not allowed");
    }

    @Test
    void countWithInputIsRefused() {
        int exit = Cli.execute(new PutCommand(), "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--input", "urls.txt", "--count", "5");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Error: --count cannot be used with --input: the items are the input's lines");
    }

    @Test
    void formatWithoutInputIsRefused() {
        int exit = Cli.execute(new PutCommand(), "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--format", "json");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Error: --format applies to --input only");
    }

    @Test
    void anUnknownFormatListsTheAllowedOnes() {
        int exit = Cli.execute(new PutCommand(), "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--input", "-", "--format", "xml");

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("--format", "TEXT", "JSON", "'xml'");
    }

    @Test
    void aMissingInputFileFailsBeforeAnyNetworkCall(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-file.txt");
        int exit = Cli.execute(new PutCommand(), "--bootstrap-server", "localhost:1", "--topic", "t",
                "--group", "g", "--input", missing.toString());

        assertThat(exit).isEqualTo(ExitCode.USAGE);
        assertThat(text()).contains("Error: --input=" + missing + ": no such file");
    }

    private String text() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
