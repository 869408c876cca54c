package dev.kafkaqueue.consumer;

import dev.kafkaqueue.cli.Cli;

/** The consumer service's entry point. */
public final class ConsumerMain {

    private ConsumerMain() {
    }

    public static void main(String[] args) {
        System.exit(Cli.execute(new ConsumerCommand(), args));
    }
}
