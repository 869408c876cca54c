package dev.kafkaqueue.producer.join;

import dev.kafkaqueue.internal.lag.Join;
import dev.kafkaqueue.cli.QueueAddress;
import dev.kafkaqueue.cli.Settings;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What a join waits for and how it shows it, checked once.
 *
 * @param queue          the cluster, topic and group
 * @param timeout        the longest wait
 * @param lagInterval    time between lag samples
 * @param expectedItems  {@code --count}: join is not done while the topic holds fewer records; empty checks nothing
 * @param condition      lag zero only, or also every partition closed by a poison pill
 * @param display        how progress is shown
 * @param connectTimeout how long to wait at startup for a broker, and for each admin call
 */
public record JoinSettings(QueueAddress queue, Duration timeout, Duration lagInterval, OptionalLong expectedItems,
                           Join.Condition condition, Display display, Duration connectTimeout) {

    /** How join shows its progress. */
    public enum Display {
        /** A progress bar on a terminal, a table of committed, end and lag per partition in logs. */
        AUTO,
        /** As {@link #AUTO}, with each partition's lag beside the progress bar too. */
        PER_PARTITION,
        /** One JSON object per snapshot, then a result object, for scripts. */
        JSON
    }

    public JoinSettings {
        Objects.requireNonNull(queue, "queue");
        Settings.requirePositive("--timeout", timeout);
        Settings.requirePositive("--lag-interval", lagInterval);
        Objects.requireNonNull(expectedItems, "expectedItems");
        expectedItems.ifPresent(n -> Settings.requireNonNegative("--count", n));
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(display, "display");
        Settings.requirePositive("--connect-timeout", connectTimeout);
    }

    /** A join after a producer's own puts: lag zero, logs or terminal, expecting the items it put. */
    public static JoinSettings afterPut(QueueAddress queue, Duration timeout, Duration lagInterval, long itemsPut,
                                        Duration connectTimeout) {
        return new JoinSettings(queue, timeout, lagInterval, OptionalLong.of(itemsPut), Join.Condition.LAG_ZERO,
                Display.AUTO, connectTimeout);
    }
}
