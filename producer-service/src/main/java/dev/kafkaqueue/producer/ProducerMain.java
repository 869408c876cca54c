package dev.kafkaqueue.producer;

import dev.kafkaqueue.cli.Cli;

/**
 * The producer service's entry point: {@code producer-service [flags]} puts items, {@code producer-service join
 * [flags]} (a picocli subcommand) waits for the group to finish them.
 */
public final class ProducerMain {

    private ProducerMain() {
    }

    public static void main(String[] args) {
        System.exit(Cli.execute(new PutCommand(), args));
    }
}
