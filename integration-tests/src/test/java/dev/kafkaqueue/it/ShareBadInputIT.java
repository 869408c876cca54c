package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kafkaqueue.internal.codec.QueueMessage;
import dev.kafkaqueue.internal.codec.UnreadableRecordException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input on a share group: an unreadable record is dead-lettered and REJECTed; an item whose processing keeps
 * failing is RELEASEd for another delivery while the group's delivery count allows, then dead-lettered and REJECTed
 * at its last delivery. Either way the queue keeps flowing, the pill ends the consumer and the group's lag reaches
 * zero. Bad {@code --group-type} values, and {@code --commit none} on a share group, fail with exit code 2.
 */
class ShareBadInputIT {

    private static final byte[] GARBAGE = "not json {".getBytes(StandardCharsets.UTF_8);

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void unreadableAndFailingRecordsGoToTheDeadLetterTopicAndTheQueueKeepsFlowing() throws Exception {
        ShareGroup share = new ShareGroup(queue);
        // Two deliveries (Kafka's minimum): the failing item is released once, then dead-lettered.
        share.configure(Map.of("share.delivery.count.limit", "2"));
        queue.createTopic(1);
        RecordMetadata garbage = queue.broker().send(new ProducerRecord<>(queue.topic(), 0,
                "k".getBytes(StandardCharsets.UTF_8), GARBAGE));
        RecordMetadata nullValue = queue.broker().send(new ProducerRecord<>(queue.topic(), 0, null, null));
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(6).partitions(1).run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        ServiceProcess consumer = queue.consumer().flag("--group-type", "share").flag("--fail-items", "3")
                .flag("--max-retries", "1").flag("--retry-backoff", "10ms").start();

        assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as(consumer.output()).isZero();
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");
        assertThat(Consumer.ids(consumer)).containsExactlyInAnyOrder(0L, 1L, 2L, 4L, 5L);
        assertThat(consumer.lines()).extracting(ServiceProcess.Line::text)
                .filteredOn(line -> line.startsWith("Released 3 "))
                .as("item 3 released once, on delivery 1 of 2").singleElement().asString()
                .endsWith("delivery 1 of 2 failed");

        List<DeadLetterTopic.DeadLetter> letters = DeadLetterTopic.read(queue);
        Map<Long, DeadLetterTopic.DeadLetter> bySource = letters.stream()
                .collect(Collectors.toMap(l -> l.source().offset(), l -> l));
        assertThat(bySource).hasSize(3);
        DeadLetterTopic.DeadLetter notJson = bySource.get(garbage.offset());
        assertThat(notJson.value()).isEqualTo(GARBAGE);
        assertThat(notJson.header(DeadLetterTopic.ERROR_CLASS)).isEqualTo(UnreadableRecordException.class.getName());
        assertThat(bySource.get(nullValue.offset()).value()).isNull();
        DeadLetterTopic.DeadLetter failed = letters.stream().filter(l -> l.message() != null).findFirst()
                .orElseThrow();
        assertThat(((QueueMessage.Item) failed.message()).id()).isEqualTo(3L);
        assertThat(failed.header(DeadLetterTopic.ERROR_MESSAGE)).contains("injected failure for item 3");
        assertThat(share.totalLag()).as("rejected records count as finished").isZero();
    }

    @Test
    void badGroupTypeAndCommitNoneOnAShareGroupExitTwo() {
        List<ServiceProcess> bad = List.of(
                queue.consumer().flag("--group-type", "queue").start(),
                queue.producer().flag("--group-type", "queue").start(),
                queue.join().flag("--group-type", "queue").start());
        for (ServiceProcess process : bad) {
            assertThat(process.awaitExit(EXIT_TIMEOUT)).as(process.output()).isEqualTo(2);
            assertThat(stderr(process)).contains("--group-type").contains("queue").contains("CONSUMER, SHARE");
        }
        ServiceProcess none = queue.consumer().flag("--group-type", "share").commit(Consumer.Commit.NONE).start();
        assertThat(none.awaitExit(EXIT_TIMEOUT)).as(none.output()).isEqualTo(2);
        assertThat(stderr(none)).contains("--commit none is not allowed with --group-type share");
    }

    private static String stderr(ServiceProcess process) {
        return process.stderr().stream().map(ServiceProcess.Line::text).collect(Collectors.joining("\n"));
    }
}
