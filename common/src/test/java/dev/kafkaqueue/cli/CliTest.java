package dev.kafkaqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

class CliTest {

    @Command(name = "throws")
    static final class Throws implements Callable<Integer> {
        private final RuntimeException error;

        Throws(RuntimeException error) {
            this.error = error;
        }

        @Override
        public Integer call() {
            throw error;
        }
    }

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
    void aBadSettingExitsTwoWithItsMessage() {
        int code = Cli.execute(new Throws(new InvalidSettingException("--count=-1 is not allowed")));

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("Error: --count=-1 is not allowed");
    }

    @Test
    void anIllegalArgumentThatIsNotASettingIsARunTimeFailureNotAUsageError() {
        int code = Cli.execute(new Throws(new IllegalArgumentException("a bug, not the user's flags")));

        assertThat(code).isEqualTo(ExitCode.FAILURE);
        assertThat(err()).doesNotContain("Run with --help");
    }

    @Test
    void anUnresolvableBootstrapHostNamesTheBootstrapServerNotTheCommandConfig() {
        int code = Cli.execute(new Throws(new KafkaException("Failed to create new KafkaAdminClient",
                new ConfigException("No resolvable bootstrap urls given in bootstrap.servers"))));

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("Error: --bootstrap-server: No resolvable bootstrap urls", "host names")
                .doesNotContain("--command-config:");
    }

    @Test
    void aValueFromTheCommandLineIsNotBlamedOnTheEnvironment() {
        picocli.CommandLine.Model.OptionSpec option = picocli.CommandLine.Model.OptionSpec.builder("--count")
                .defaultValue("${env:PATH}").type(int.class).build();

        assertThat(Cli.environmentSource(option, new String[] {"--count", "abc"})).isNull();
        assertThat(Cli.environmentSource(option, new String[] {"--count=abc"})).isNull();
        assertThat(Cli.environmentSource(option, new String[] {"--other"})).as("PATH is always set").isEqualTo("PATH");
    }

    @Test
    void aClientPropertyKafkaRefusesIsBadConfigurationNotARunTimeFailure() {
        int code = Cli.execute(new Throws(new ConfigException("request.timeout.ms", "soon", "Not a number of type INT")));

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("Error: --command-config: Invalid value soon for configuration request.timeout.ms")
                .doesNotContain("\tat ");
    }

    @Test
    void aConfigExceptionWrappedByAClientConstructorIsFoundToo() {
        int code = Cli.execute(new Throws(new KafkaException("Failed to construct kafka consumer",
                new ConfigException("security.protocol", "FOO", "not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"))));

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("security.protocol");
    }

    @Test
    void aMissingAclExitsOneWithTheBrokersMessageAndNoStackTrace() {
        int code = Cli.execute(new Throws(new KafkaException("wrapped",
                new GroupAuthorizationException("Not authorized to access group: workers"))));

        assertThat(code).isEqualTo(ExitCode.FAILURE);
        assertThat(err()).contains("GroupAuthorizationException: Not authorized to access group: workers",
                "--command-config").doesNotContain("\tat ");
    }

    @Test
    void anyOtherFailureExitsOne() {
        assertThat(Cli.execute(new Throws(new IllegalStateException("broken")))).isEqualTo(ExitCode.FAILURE);
    }

    @Test
    void anUnknownFlagExitsTwo() {
        assertThat(Cli.execute(new Throws(new IllegalStateException("not reached")), "--frobnicate"))
                .isEqualTo(ExitCode.USAGE);
        assertThat(err()).contains("Unknown option: '--frobnicate'");
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
