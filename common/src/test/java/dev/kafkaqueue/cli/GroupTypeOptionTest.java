package dev.kafkaqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.options.GroupType;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class GroupTypeOptionTest {

    @Command(name = "test")
    static final class TestCommand implements Runnable {
        @Mixin
        GroupTypeOption groupType;

        @Override
        public void run() {
        }
    }

    private static TestCommand parse(String... args) {
        TestCommand command = new TestCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return command;
    }

    @Test
    void consumerByDefaultAndShareOnRequestInAnyCase() {
        // The default comes from QUEUE_GROUP_TYPE when set; the build does not set it.
        assertThat(parse().groupType.groupType()).isEqualTo(GroupType.CONSUMER);
        assertThat(parse("--group-type", "share").groupType.isShare()).isTrue();
        assertThat(parse("--group-type", "SHARE").groupType.groupType()).isEqualTo(GroupType.SHARE);
        assertThat(GroupType.SHARE.toString()).isEqualTo("share");
    }

    @Test
    void aBadValueIsAUsageErrorNamingTheFlagTheValueAndTheAllowedOnes() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new TestCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                .setErr(new PrintWriter(err)).execute("--group-type", "queue");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--group-type").contains("queue").contains("CONSUMER, SHARE");
    }
}
