package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.Test;

/** A synchronous commit is sent once, whatever wakes the wait for it, and counted once. */
class CommitsTest {

    private static final TopicPartition TP = new TopicPartition("jobs", 0);
    private static final Map<TopicPartition, OffsetAndMetadata> OFFSETS = Map.of(TP, new OffsetAndMetadata(5));

    /** Records what would be sent, answers asynchronous commits with {@code asyncOutcome}, and wakes waits. */
    private static final class Broker extends MockConsumer<byte[], byte[]> {
        final List<Map<TopicPartition, OffsetAndMetadata>> sent = new ArrayList<>();
        Exception asyncOutcome;
        boolean answerAsync = true;
        int wakeupsInWait;

        Broker() {
            super(AutoOffsetResetStrategy.EARLIEST.name());
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            sent.add(offsets);
            if (answerAsync) {
                callback.onComplete(offsets, asyncOutcome);
            }
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            if (!offsets.isEmpty()) {
                sent.add(offsets);
            }
            if (wakeupsInWait > 0) { // the request is out; a wakeup then ends the wait for its answer
                wakeupsInWait--;
                throw new WakeupException();
            }
        }
    }

    private final Broker broker = new Broker();
    private final Counter committed = new SimpleMeterRegistry().counter("commits");
    private final Commits commits = new Commits(broker, new Wakeups(), Duration.ofSeconds(5), committed);

    @Test
    void aNudgeDuringTheWaitDoesNotSendTheCommitAgain() {
        broker.wakeupsInWait = 2;

        assertThat(commits.commitSync(OFFSETS)).isTrue();

        assertThat(broker.sent).containsExactly(OFFSETS);
        assertThat(committed.count()).isEqualTo(1);
    }

    @Test
    void aCommitTheBrokerCouldNotTakeNowIsMadeAgainWithKafkasRetries() {
        broker.asyncOutcome = new RetriableCommitFailedException("coordinator moved");

        assertThat(commits.commitSync(OFFSETS)).isTrue();

        assertThat(broker.sent).containsExactly(OFFSETS, OFFSETS);
        assertThat(committed.count()).isEqualTo(1);
    }

    @Test
    void aCommitStillUnansweredAfterTheWaitIsMadeAgain() {
        broker.answerAsync = false; // as Kafka holds an asynchronous commit back while it looks for the coordinator

        assertThat(commits.commitSync(OFFSETS)).isTrue();

        assertThat(broker.sent).containsExactly(OFFSETS, OFFSETS);
        assertThat(committed.count()).isEqualTo(1);
    }

    @Test
    void aCommitRejectedAfterARebalanceIsReportedAndNotCounted() {
        broker.asyncOutcome = new CommitFailedException("rebalanced");

        assertThat(commits.commitSync(OFFSETS)).isFalse();

        assertThat(committed.count()).isZero();
    }

    @Test
    void aCommitRefusedWhileTheGroupRebalancesIsReportedAndNotCounted() {
        // A poll can return with the group's rebalance still under way; a commit then must not end the run.
        broker.asyncOutcome = new RebalanceInProgressException("undergoing a rebalance");

        assertThat(commits.commitSync(OFFSETS)).isFalse();

        assertThat(committed.count()).isZero();
    }

    @Test
    void anEmptyCommitOnlyWaitsAndIsNotCounted() {
        assertThat(commits.commitSync(Map.of())).isTrue();

        assertThat(broker.sent).isEmpty();
        assertThat(committed.count()).isZero();
    }
}
