package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.common.ExitCode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract's rule for partitions without a committed offset: they lag by end minus log start, and are done
 * only if that is zero. A group with no live members and lag above zero is therefore not done.
 */
class JoinEdgeCasesIT {

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void anEmptyTopicWithNoCommitsIsDone() {
        queue.createTopic(2);

        Join.Exited join = queue.join().timeout("10s").runJson();

        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(ExitCode.OK);
        assertThat(join.output().result().outcome()).isEqualTo("DONE");
        assertThat(join.output().last().partitions()).containsOnlyKeys(0, 1);
    }

    @Test
    void aGroupWithNoMembersAndLagIsNotDone() {
        ServiceProcess producer = queue.producer().count(3).partitions(2).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        Join.Exited join = queue.join().timeout("3s").interval("500ms").runJson();

        assertThat(join.exitCode()).as(join.process().output()).isEqualTo(ExitCode.TIMEOUT);
        Join.Table last = join.output().last();
        assertThat(last.members()).isZero();
        assertThat(last.totalLag()).as("3 items + 2 pills, none committed").isEqualTo(5);
        Map<Integer, Long> ends = queue.lag().ends();
        assertThat(last.partitions().values()).allSatisfy(row -> {
            assertThat(row.committed()).isNull();
            assertThat(row.lag()).isEqualTo(row.end()).isEqualTo(ends.get(row.partition()));
        });
    }
}
