package dev.kafkaqueue.internal.work;

import dev.kafkaqueue.internal.codec.Closure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.codec.QueueMessage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RunClosureTest {

    private static final TopicPartition P0 = new TopicPartition("jobs", 0);
    private static final Instant STARTED = Instant.parse("2026-11-24T10:00:00Z");

    private final RunClosure closure = new RunClosure(STARTED.toEpochMilli());

    @Test
    void anEarlierRunsPillDoesNotEndANewConsumer() {
        OffsetAndMetadata earlier = committedPill("run-1", STARTED.minusSeconds(60));

        assertThat(closure.closes(earlier)).isFalse();
    }

    @Test
    void aPillPutAfterTheConsumerStartedCountsEvenForAnIdleConsumer() {
        assertThat(closure.closes(committedPill("run-2", STARTED.plusSeconds(1)))).isTrue();
    }

    @Test
    void aRunThisConsumerReadCountsWheneverItsPillWasPut() {
        closure.item(P0, new QueueMessage.Item(0, "p", "run-1", STARTED.minusSeconds(90)), 0);

        assertThat(closure.closes(committedPill("run-1", STARTED.minusSeconds(60)))).isTrue();
    }

    @Test
    void aDuplicatePillChangesNothingAndAnItemReopensThePartition() {
        closure.assigned(Map.of(P0, committedPill("run-1", STARTED.minusSeconds(60))));

        assertThat(closure.pill(P0, new QueueMessage.PoisonPill("run-1", STARTED.plusSeconds(5)), 10)).isFalse();
        assertThat(closure.closedLocally(List.of(P0))).isFalse(); // run-1 ended before this consumer started

        closure.item(P0, new QueueMessage.Item(0, "p", "run-2", STARTED.plusSeconds(6)), 11);
        assertThat(closure.metadata(P0)).isEmpty();
        assertThat(closure.pill(P0, new QueueMessage.PoisonPill("run-2", STARTED.plusSeconds(7)), 12)).isTrue();
        assertThat(closure.closedLocally(List.of(P0))).isTrue();
    }

    @Test
    void anEarlierItemHandledAfterThePillDoesNotReopenThePartition() {
        // --ordering unordered: the pill at offset 4 is handled while the item at offset 0 is still to come.
        closure.item(P0, new QueueMessage.Item(1, "p", "run-1", STARTED), 1);
        assertThat(closure.pill(P0, new QueueMessage.PoisonPill("run-1", STARTED), 4)).isTrue();

        closure.item(P0, new QueueMessage.Item(0, "p", "run-1", STARTED), 0);
        assertThat(closure.metadata(P0)).startsWith("kafka-queue:pill:run-1:");

        closure.item(P0, new QueueMessage.Item(5, "p", "run-1", STARTED), 5);
        assertThat(closure.metadata(P0)).isEmpty();
    }

    @Test
    void aPartitionOwnedHereIsOpenUntilItsPillIsReadHereOrWasCommittedBeforeTheAssignment() {
        TopicPartition p1 = new TopicPartition("jobs", 1);
        closure.assigned(Map.of(p1, committedPill("run-1", STARTED.plusSeconds(1))));
        assertThat(closure.openHere(List.of())).isFalse(); // no partitions: only the group can tell
        assertThat(closure.openHere(List.of(p1))).isFalse(); // closed before it came here: ask the group
        assertThat(closure.openHere(List.of(P0, p1))).isTrue(); // P0's pill is still to be read here

        closure.item(P0, new QueueMessage.Item(0, "p", "run-1", STARTED), 0);
        assertThat(closure.openHere(List.of(P0, p1))).isTrue();
        closure.pill(P0, new QueueMessage.PoisonPill("run-1", STARTED), 1);
        assertThat(closure.openHere(List.of(P0, p1))).isFalse();
        closure.item(P0, new QueueMessage.Item(2, "p", "run-2", STARTED), 2); // the next item reopens it
        assertThat(closure.openHere(List.of(P0, p1))).isTrue();
    }

    @Test
    void foreignMetadataIsNotAClosure() {
        assertThat(closure.closes(new OffsetAndMetadata(5, "some other tool"))).isFalse();
        assertThat(closure.closes(null)).isFalse();
    }

    private static OffsetAndMetadata committedPill(String run, Instant producedAt) {
        return new OffsetAndMetadata(10, new Closure(run, producedAt.toEpochMilli()).metadata());
    }
}
