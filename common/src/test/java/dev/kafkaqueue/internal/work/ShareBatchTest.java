package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShareBatchTest {

    @Test
    void aLoneMemberOnALargeBacklogTakesKafkasDefault() {
        assertThat(ShareBatch.size(20_000, 0, 1, 2000)).isEqualTo(500);
    }

    @Test
    void aSmallBacklogIsLeftForTheMembersStillToCome() {
        assertThat(ShareBatch.size(60, 0, 1, 2000)).isEqualTo(7);
        assertThat(ShareBatch.size(60, 2, 1, 2000)).isEqualTo(2);
    }

    @Test
    void nothingToDoIsOneRecordPerPoll() {
        assertThat(ShareBatch.size(0, 0, 1, 2000)).isEqualTo(1);
        assertThat(ShareBatch.size(5, 3, 1, 2000)).isEqualTo(1);
    }

    @Test
    void membersOnOnePartitionTogetherHoldNoMoreThanItsRecordLocks() {
        int locks = 2000;
        int held = 0;
        for (int others = 0; others < 4; others++) {
            held += ShareBatch.size(2_000_000, others, 1, locks);
        }
        assertThat(held).isLessThanOrEqualTo(locks);
        assertThat(ShareBatch.size(2_000_000, 3, 1, locks)).isEqualTo(250);
    }

    @Test
    void morePartitionsHoldMoreLocks() {
        assertThat(ShareBatch.size(2_000_000, 7, 4, 2000)).isEqualTo(500);
        assertThat(ShareBatch.size(2_000_000, 7, 1, 2000)).isEqualTo(125);
    }
}
