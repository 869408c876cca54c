package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An existing topic is kept as it is. A {@code --partitions} that differs from it is said, in a warning line, not
 * silently ignored; without {@code --partitions} nothing is said.
 */
class ExistingTopicIT {

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void aPartitionCountThatDiffersFromTheExistingTopicIsReported() {
        queue.createTopic(3);

        ServiceProcess asked = queue.producer().count(1).partitions(1).noPill().run();
        ServiceProcess silent = queue.producer().count(1).noPill().run();

        assertThat(asked.awaitExit(EXIT_TIMEOUT)).as(asked.output()).isZero();
        assertThat(asked.stderr()).as(asked.output()).anySatisfy(line -> assertThat(line.text())
                .contains("WARN").contains("--partitions 1 ignored: topic " + queue.topic()
                        + " already exists with 3 partitions"));
        assertThat(silent.awaitExit(EXIT_TIMEOUT)).as(silent.output()).isZero();
        assertThat(silent.stderr()).noneMatch(line -> line.text().contains("--partitions"));
        assertThat(queue.lag().ends()).as("still 3 partitions").hasSize(3);
    }
}
