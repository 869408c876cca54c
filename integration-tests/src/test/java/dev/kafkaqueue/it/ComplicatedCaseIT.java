package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recap's complicated case: five items through a queue of maxsize 3, the sentinel, join, then a clean stop.
 *
 * <p>While it runs, a sampler independent of the services reads the group's committed offset and the log end offset
 * every 25 ms. Afterwards the topic tells which offsets hold items (not the pill), so each sample gives the number
 * of unfinished items: item offsets in [committed, end).
 */
class ComplicatedCaseIT {

    private static final int ITEMS = 5;
    private static final int MAXSIZE = 3;

    /**
     * One sample: end offset read before and after the committed offset. When both end reads agree the sample is
     * exact for the moment the committed offset was read; otherwise it is dropped, because it bounds nothing.
     */
    record Sample(long nanos, long endBefore, long committed, long endAfter) {
        boolean exact() {
            return endBefore == endAfter;
        }
    }

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void neverMoreThanMaxsizeUnfinishedAndJoinReturnsOnlyAfterEveryItemIsProcessed() throws Exception {
        List<Sample> samples = new ArrayList<>();
        ServiceProcess producer;
        ServiceProcess consumer;
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (Admin admin = queue.broker().admin()) {
            sampler.scheduleWithFixedDelay(() -> sample(admin, samples), 0, 25, TimeUnit.MILLISECONDS);
            consumer = queue.consumer().workMs(300).start();
            producer = queue.producer().count(ITEMS).maxsize(MAXSIZE).partitions(1).join().timeout("60s").start();

            assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
            assertThat(consumer.awaitExit(EXIT_TIMEOUT)).as("the pill ends the consumer\n" + consumer.output())
                    .isZero();
        } finally {
            sampler.shutdownNow();
            assertThat(sampler.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        List<Producer.Produced> produced = Producer.produced(producer);
        List<Consumer.Consumed> consumed = Consumer.consumed(consumer);
        assertThat(produced).extracting(Producer.Produced::id).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(consumed).extracting(Consumer.Consumed::id).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(producer.line(Producer.DONE).text()).startsWith("Producer done: 5 items and 1 pill acknowledged");
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");

        long fifthConsumed = consumed.get(ITEMS - 1).line().nanos();
        ServiceProcess.Line joinDone = producer.line(Join.DONE);
        assertThat(joinDone.nanos()).as("join returned only after the 5th item was processed")
                .isGreaterThan(fifthConsumed);
        assertThat(producer.lines().get(producer.lines().size() - 1).nanos()).isGreaterThan(fifthConsumed);

        // The topic says which offsets are items; the producer's lines must say the same.
        Set<Long> itemOffsets = new TreeSet<>();
        queue.records().stream().filter(Records.QueueRecord::isItem).forEach(r -> itemOffsets.add(r.offset()));
        assertThat(itemOffsets).containsExactlyElementsOf(
                produced.stream().map(Producer.Produced::offset).toList());

        List<Sample> exact;
        synchronized (samples) {
            exact = samples.stream().filter(Sample::exact).toList();
            assertThat(exact).as("exact samples of %d", samples.size()).hasSizeGreaterThan(20);
        }
        long maxUnfinished = exact.stream()
                .mapToLong(s -> itemOffsets.stream().filter(o -> o >= s.committed() && o < s.endAfter()).count())
                .max().orElseThrow();
        long maxFromLines = unfinishedLowerBoundFromLines(produced, consumed);
        System.out.printf("OVERSHOOT max_unfinished=%d maxsize=%d samples=%d exact=%d max_put_minus_consumed=%d%n",
                maxUnfinished, MAXSIZE, samples.size(), exact.size(), maxFromLines);

        assertThat(maxUnfinished).as("unfinished items (put, not committed) never exceed maxsize")
                .isLessThanOrEqualTo(MAXSIZE);
        assertThat(maxFromLines).as("items put minus items consumed, at every Produced line")
                .isLessThanOrEqualTo(MAXSIZE);
        assertThat(maxUnfinished).as("the producer ran ahead up to the bound, so the bound was exercised")
                .isEqualTo(MAXSIZE);
        assertThat(queue.lag().total()).as("lag after join").isZero();
    }

    /**
     * At each Produced line: items produced so far minus Consumed lines read before it. Committed never runs ahead of
     * consumed, so this is a lower bound of the unfinished items at that moment.
     */
    private static long unfinishedLowerBoundFromLines(List<Producer.Produced> produced,
            List<Consumer.Consumed> consumed) {
        long max = 0;
        for (int i = 0; i < produced.size(); i++) {
            long at = produced.get(i).line().nanos();
            long consumedBefore = consumed.stream().filter(c -> c.line().nanos() < at).count();
            max = Math.max(max, i + 1 - consumedBefore);
        }
        return max;
    }

    private void sample(Admin admin, List<Sample> samples) {
        TopicPartition partition = new TopicPartition(queue.topic(), 0);
        try {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(queue.topic())) {
                return; // not created by the producer yet
            }
            long endBefore = end(admin, partition);
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(queue.group())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(partition);
            long endAfter = end(admin, partition);
            synchronized (samples) {
                samples.add(new Sample(System.nanoTime(), endBefore, committed == null ? 0 : committed.offset(),
                        endAfter));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // A missed sample is not a verdict; the assertions need enough of them.
        }
    }

    private static long end(Admin admin, TopicPartition partition)
            throws InterruptedException, ExecutionException, TimeoutException {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                .get(30, TimeUnit.SECONDS).offset();
    }
}
