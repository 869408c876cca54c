package dev.kafkaqueue.cli;

import dev.kafkaqueue.internal.lag.Join;

/** The services' documented exit codes (README's exit-code table). */
public final class ExitCode {

    /** The work completed: items sent, the consumer ended cleanly, or join saw lag 0. */
    public static final int OK = 0;
    /** Something failed at run time: a send or dead-letter write failed, the producer was fenced, or a bug. */
    public static final int FAILURE = 1;
    /** A flag, environment variable or configuration value is invalid, or the cluster did not answer at startup. */
    public static final int USAGE = 2;
    /** join (or a backpressure wait) did not see the work done before {@code --timeout}. */
    public static final int TIMEOUT = 3;
    /** join found records removed by retention before the group processed them: lost work, never "done". */
    public static final int LOST_WORK = 4;
    /** join was stopped by SIGINT or SIGTERM before the work was done; it printed its result first. */
    public static final int STOPPED = 5;

    private ExitCode() {
    }

    /** The exit code of a join that ended so. */
    public static int of(Join.Outcome outcome) {
        return switch (outcome) {
            case DONE -> OK;
            case TIMEOUT -> TIMEOUT;
            case LOST_WORK -> LOST_WORK;
            case STOPPED -> STOPPED;
        };
    }
}
