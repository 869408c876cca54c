package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.it.Consumer.Commit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recap's simple case: three items arrive in order and the consumer stops after three on its own. No sentinel,
 * no task_done, no join.
 */
class SimpleCaseIT {

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void threeItemsArriveInOrderAndTheConsumerStopsAfterThree() {
        ServiceProcess producer = queue.producer().count(3).noPill().partitions(1).start();
        ServiceProcess consumer = queue.consumer().count(3).commit(Commit.NONE).start();

        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        assertThat(Producer.produced(producer)).extracting(Producer.Produced::id).containsExactly(0L, 1L, 2L);
        assertThat(producer.line(Producer.DONE).text()).startsWith("Producer done: 3 items and 0 pills acknowledged");
        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.ids(consumer)).containsExactly(0L, 1L, 2L);
        assertThat(Consumer.doneReason(consumer)).as(consumer.output()).isEqualTo("count reached");
        assertThat(queue.records()).as("no pill was sent").hasSize(3).allMatch(Records.QueueRecord::isItem);
        assertThat(queue.lag().committed()).as("without task_done nothing is committed").isEmpty();
    }
}
