package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recap's complicated case on a share group: five items through a queue of maxsize 3, the sentinel, join, then
 * a clean stop, with {@code --group-type share} on the producer (for {@code --maxsize} and {@code --join}) and the
 * consumer.
 *
 * <p>While it runs, a sampler independent of the services reads the broker's share-group lag and the log end offset
 * every 25 ms. Until the pill is written, lag counts exactly the unfinished items (put, not yet acknowledged). The
 * broker knows the lag only after the group's first acknowledgement, so how many such samples fall before the pill
 * depends on the machine (0 to 13 seen); every one must respect maxsize. The producer's and consumer's lines give a
 * bound that never depends on timing: items put minus items consumed, at every put.
 */
class ShareComplicatedCaseIT {

    private static final int ITEMS = 5;
    private static final int MAXSIZE = 3;

    /** One sample: end offset read before and after the lag (-1 unknown, -2 no state yet); exact when both agree. */
    record Sample(long nanos, long endBefore, long lag, long endAfter) {
        boolean exact() {
            return endBefore == endAfter;
        }
    }

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @Test
    void neverMoreThanMaxsizeUnfinishedAndThePillEndsTheShareConsumer() throws Exception {
        ShareGroup share = new ShareGroup(queue);
        List<Sample> samples = new ArrayList<>();
        ServiceProcess producer;
        ServiceProcess consumer;
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try (Admin admin = queue.broker().admin()) {
            sampler.scheduleWithFixedDelay(() -> sample(admin, share, samples), 0, 25, TimeUnit.MILLISECONDS);
            queue.createTopic(1); // a consumer waits for its topic before it joins the group
            consumer = queue.consumer().flag("--group-type", "share").workMs(300).start();
            share.awaitMembers(1, EXIT_TIMEOUT);
            producer = queue.producer().flag("--group-type", "share").count(ITEMS).maxsize(MAXSIZE).partitions(1).join()
                    .timeout("60s").start();

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
        assertThat(consumed).extracting(Consumer.Consumed::id).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L);
        assertThat(producer.line(Producer.DONE).text()).startsWith("Producer done: 5 items and 1 pill acknowledged");
        assertThat(Consumer.doneReason(consumer)).isEqualTo("all partitions closed by poison pills");

        long lastConsumed = consumed.stream().mapToLong(c -> c.line().nanos()).max().orElseThrow();
        assertThat(producer.line(Join.DONE).nanos()).as("join returned only after the 5th item was processed")
                .isGreaterThan(lastConsumed);

        long pillOffset = ITEMS; // one partition: items at 0..4, the pill at 5
        List<Sample> beforePill;
        synchronized (samples) {
            // Until the first acknowledgement the group has no state on the partition and its lag is unknown (-2):
            // only samples with a known lag, taken before the pill was written, count unfinished items exactly.
            beforePill = samples.stream().filter(Sample::exact).filter(s -> s.lag() >= 0)
                    .filter(s -> s.endAfter() <= pillOffset).toList();
        }
        long maxUnfinished = beforePill.stream().mapToLong(Sample::lag).max().orElse(-1);
        long maxFromLines = unfinishedLowerBoundFromLines(produced, consumed);
        System.out.printf("SHARE_OVERSHOOT max_unfinished=%d maxsize=%d samples=%d max_put_minus_consumed=%d%n",
                maxUnfinished, MAXSIZE, beforePill.size(), maxFromLines);
        assertThat(maxUnfinished).as("unfinished items (the share group's lag) never exceed maxsize")
                .isLessThanOrEqualTo(MAXSIZE);
        assertThat(maxFromLines).as("items put minus items consumed, at every Produced line")
                .isLessThanOrEqualTo(MAXSIZE)
                .as("the producer ran ahead up to the bound").isEqualTo(MAXSIZE);
        assertThat(share.totalLag()).as("the share group's lag after join").isZero();
    }

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

    private void sample(Admin admin, ShareGroup share, List<Sample> samples) {
        TopicPartition partition = new TopicPartition(queue.topic(), 0);
        try {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(queue.topic())) {
                return; // not created by the producer yet
            }
            long endBefore = end(admin, partition);
            ShareGroup.Offsets offsets = share.offsets(admin).get(0);
            long endAfter = end(admin, partition);
            synchronized (samples) {
                // -1: no state yet, or a lag the broker does not know; such a sample bounds nothing.
                samples.add(new Sample(System.nanoTime(), endBefore, offsets == null ? -2 : offsets.lag().orElse(-1L), endAfter));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | IllegalStateException e) {
            // A missed sample is not a verdict; the assertions need enough of them.
        }
    }

    private static long end(Admin admin, TopicPartition partition)
            throws InterruptedException, ExecutionException, TimeoutException {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                .get(30, TimeUnit.SECONDS).offset();
    }
}
