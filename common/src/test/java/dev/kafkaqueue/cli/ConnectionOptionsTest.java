package dev.kafkaqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The connection flags: the bootstrap servers from the flag or the command config, and its file read once. */
class ConnectionOptionsTest {

    @TempDir
    Path dir;

    @Test
    void theFlagWinsOverTheFileAndSecretsStayOutOfToString() throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nsasl.jaas.config=secret-line\n");

        QueueAddress flag = parse("--bootstrap-server", "flag:9092", "--command-config", file.toString()).address();
        QueueAddress fromFile = parse("--command-config", file.toString()).address();

        assertThat(flag.client().clientProperties()).containsEntry("bootstrap.servers", "flag:9092")
                .containsEntry("sasl.jaas.config", "secret-line");
        assertThat(flag.toString()).doesNotContain("secret-line");
        assertThat(fromFile.client().bootstrapServers()).isEqualTo("file:9092");
    }

    @Test
    void anUnreadableFileIsNamed() {
        Path missing = dir.resolve("missing.properties");

        assertThatThrownBy(() -> parse("--bootstrap-server", "b:9092", "--command-config", missing.toString())
                .address())
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("--command-config")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("it must be a readable Java properties file");
    }

    @Test
    void bootstrapServersAreRequired() {
        assertThatThrownBy(() -> parse().address()).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("--bootstrap-server is required");
    }

    private static ConnectionOptions parse(String... args) {
        Holder holder = new Holder();
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--topic";
        all[args.length + 1] = "t";
        all[args.length + 2] = "--group";
        all[args.length + 3] = "g";
        new CommandLine(holder).parseArgs(all);
        return holder.connection;
    }

    @CommandLine.Command(name = "test")
    static final class Holder {
        @CommandLine.Mixin
        ConnectionOptions connection;
    }
}
