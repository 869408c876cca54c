package dev.kafkaqueue.producer;

import dev.kafkaqueue.common.Cli;
import java.util.Arrays;

/**
 * The producer service's entry point: {@code producer-service [flags]} puts items, {@code producer-service join
 * [flags]} waits for the group to finish them.
 */
public final class ProducerMain {

    private ProducerMain() {
    }

    public static void main(String[] args) {
        int exitCode = args.length > 0 && args[0].equals("join")
                ? Cli.execute(new JoinCommand(), Arrays.copyOfRange(args, 1, args.length))
                : Cli.execute(new PutCommand(), args);
        System.exit(exitCode);
    }
}
