package dev.kafkaqueue.it;

import static dev.kafkaqueue.it.TestQueue.EXIT_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A share-group member killed with SIGKILL mid-run: the records it had acquired come back to the group when their
 * acquisition lock expires ({@code share.record.lock.duration.ms}, set here to the broker's minimum of 15 s), the
 * survivor works them, and nothing is lost. The duplicates are measured: a share consumer holds at most
 * {@code max.poll.records} (1 by default) unacknowledged records, so at most one item can be applied twice.
 */
class ShareMemberCrashIT {

    private static final int ITEMS = 40;
    private static final String RUN = "share-crash";
    private static final String LOCK_MS = "15000";

    @RegisterExtension
    final TestQueue queue = new TestQueue();

    @TempDir
    Path dir;

    @Test
    void aKilledMembersRecordsComeBackAfterTheLockAndNothingIsLost() {
        ShareGroup share = new ShareGroup(queue);
        share.configure(Map.of("share.record.lock.duration.ms", LOCK_MS, "share.auto.offset.reset", "earliest"));
        queue.createTopic(1);
        Path log1 = dir.resolve("applied-1.log");
        Path log2 = dir.resolve("applied-2.log");
        ServiceProcess victim = queue.consumer().flag("--group-type", "share").workMs(200).appliedLog(log1)
                .flag("--item-log", "each").start();
        ServiceProcess survivor = queue.consumer().flag("--group-type", "share").workMs(200).appliedLog(log2)
                .flag("--item-log", "each").start();
        share.awaitMembers(2, EXIT_TIMEOUT);
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(ITEMS).partitions(1)
                .runId(RUN).flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        Awaitility.await("the victim has processed 3 items").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> Consumer.ids(victim).size() >= 3);
        victim.sigkill();
        assertThat(victim.awaitExit(Duration.ofSeconds(30))).as("killed").isEqualTo(137);
        long killedAt = System.nanoTime();

        assertThat(survivor.awaitExit(EXIT_TIMEOUT)).as(survivor.output()).isZero();
        assertThat(Consumer.doneReason(survivor)).isEqualTo("all partitions closed by poison pills");
        long survivorDoneAfterMs = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
        Oracle.Result result = new Oracle().acked(RUN, producer).consumers(victim, survivor).appliedLog(log1)
                .appliedLog(log2).deadLetters(queue).check("share-member-sigkill");
        System.out.printf("SHARE_MEMBER_CRASH victim_applied=%d survivor_applied=%d dup_applied=%d "
                        + "dup_delivered=%d lock_ms=%s survivor_done_after_kill_ms=%d%n",
                Consumer.applied(log1).size(), Consumer.applied(log2).size(), result.dupApplied(),
                result.dupDelivered(), LOCK_MS, survivorDoneAfterMs);
        assertThat(result.acked()).isEqualTo(ITEMS);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
        assertThat(result.deadLettered()).isZero();
        assertThat(result.dupApplied()).as("applied twice: at most the one record in hand at the kill")
                .isLessThanOrEqualTo(1);
        assertThat(share.totalLag()).isZero();
    }

    @Test
    void sigtermFinishesTheRecordInHandAcknowledgesItAndLeavesNothingBehind() {
        queue.createTopic(1);
        Path log1 = dir.resolve("applied-1.log");
        Path log2 = dir.resolve("applied-2.log");
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(20).partitions(1)
                .runId(RUN).flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();
        ServiceProcess first = queue.consumer().flag("--group-type", "share").workMs(300).appliedLog(log1)
                .flag("--item-log", "each").start();
        Awaitility.await("the first consumer has processed 3 items").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> Consumer.ids(first).size() >= 3);
        first.sigterm();
        assertThat(first.awaitExit(Duration.ofSeconds(30))).as(first.output()).isZero();
        assertThat(Consumer.doneReason(first)).isEqualTo("stopped by signal");

        ServiceProcess second = queue.consumer().flag("--group-type", "share").appliedLog(log2)
                .flag("--item-log", "each").start();
        assertThat(second.awaitExit(EXIT_TIMEOUT)).as(second.output()).isZero();
        Oracle.Result result = new Oracle().acked(RUN, producer).consumers(first, second).appliedLog(log1)
                .appliedLog(log2).deadLetters(queue).check("share-member-sigterm");
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.dupApplied()).as("the record in hand was acknowledged before the exit").isZero();
        assertThat(result.dupDelivered()).as(result.toString()).isZero();
        assertThat(new ShareGroup(queue).totalLag()).isZero();
    }

    @Test
    void aFrozenMembersRecordReturnsWhenItsAcquisitionLockExpires() {
        ShareGroup share = new ShareGroup(queue);
        share.configure(Map.of("share.record.lock.duration.ms", LOCK_MS, "share.auto.offset.reset", "earliest"));
        queue.createTopic(1);
        Path log1 = dir.resolve("applied-1.log");
        Path log2 = dir.resolve("applied-2.log");
        // Slow work: right after it prints an item, the member to freeze takes the next one and works 2 s on it.
        ServiceProcess frozen = queue.consumer().flag("--group-type", "share").workMs(2000).appliedLog(log1)
                .flag("--item-log", "each").start();
        ServiceProcess survivor = queue.consumer().flag("--group-type", "share").workMs(200).appliedLog(log2)
                .flag("--item-log", "each").start();
        share.awaitMembers(2, EXIT_TIMEOUT);
        ServiceProcess producer = queue.producer().flag("--group-type", "share").count(ITEMS).partitions(1)
                .runId(RUN).flag("--item-log", "each").run();
        assertThat(producer.awaitExit(EXIT_TIMEOUT)).as(producer.output()).isZero();

        Awaitility.await("the member to freeze has processed an item, and the survivor 3 since")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> !Consumer.ids(frozen).isEmpty() && Consumer.consumed(survivor).stream()
                        .filter(c -> c.line().nanos() > Consumer.consumed(frozen).get(0).line().nanos())
                        .count() >= 3);
        // SIGSTOP keeps its connection open, so only the lock's expiry can free the record it holds.
        frozen.sigstop();
        long frozenAt = System.nanoTime();

        assertThat(survivor.awaitExit(EXIT_TIMEOUT)).as(survivor.output()).isZero();
        long survivorDoneAfterMs = Duration.ofNanos(System.nanoTime() - frozenAt).toMillis();
        // The item the frozen member held comes back last, out of offset order: the longest gap between two of
        // the survivor's items is the wait for the lock.
        List<Consumer.Consumed> after = Consumer.consumed(survivor);
        long longestGapMs = 0;
        for (int i = 1; i < after.size(); i++) {
            longestGapMs = Math.max(longestGapMs,
                    Duration.ofNanos(after.get(i).line().nanos() - after.get(i - 1).line().nanos()).toMillis());
        }
        frozen.sigkill();
        frozen.awaitExit(Duration.ofSeconds(30));
        Oracle.Result result = new Oracle().acked(RUN, producer).consumers(frozen, survivor).appliedLog(log1)
                .appliedLog(log2).deadLetters(queue).check("share-member-sigstop");
        System.out.printf("SHARE_MEMBER_FROZEN frozen_applied=%d survivor_applied=%d dup_applied=%d lock_ms=%s "
                        + "survivor_done_after_freeze_ms=%d survivor_longest_gap_ms=%d%n", Consumer.applied(log1).size(),
                Consumer.applied(log2).size(), result.dupApplied(), LOCK_MS, survivorDoneAfterMs, longestGapMs);
        assertThat(result.lost()).as(result.toString()).isZero();
        assertThat(result.applied()).isEqualTo(ITEMS);
        assertThat(result.dupApplied()).as("applied twice: at most the one record in hand at the freeze")
                .isLessThanOrEqualTo(1);
        assertThat(share.totalLag()).isZero();
    }
}
