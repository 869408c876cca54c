package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.Cli;
import java.util.Locale;

/** The consumer service's entry point. */
public final class ConsumerMain {

    /** The JDK's system property that chooses how {@code ProcessBuilder} starts a process. */
    static final String LAUNCH_MECHANISM = "jdk.lang.Process.launchMechanism";

    private ConsumerMain() {
    }

    public static void main(String[] args) {
        // --exec starts a process per item. On Linux the JDK's default (POSIX_SPAWN) runs its jspawnhelper first, an
        // exec more per command; VFORK execs the command directly, and started sh -c true about 1.5-2x as fast here.
        // JDK 17 to 21 support it on Linux (it was the default before JDK 12); a -D given by the user wins.
        if (System.getProperty(LAUNCH_MECHANISM) == null && Runtime.version().feature() <= 21
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            System.setProperty(LAUNCH_MECHANISM, "VFORK");
        }
        System.exit(Cli.execute(new ConsumerCommand(), args));
    }
}
