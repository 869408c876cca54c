package dev.kafkaqueue.internal.work;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class WaitTimeTest {

    @Test
    void quantilesAreExactToTheMillisecondBelowFourSeconds() {
        WaitTime wait = new WaitTime();
        for (int ms = 1; ms <= 100; ms++) {
            wait.record(1_000, 1_000 + ms);
        }

        assertThat(wait.summary()).isEqualTo(new WaitTime.Summary(100, 50, 99, 100));
    }

    @Test
    void longerWaitsFallInPowersOfTwoAndTheMaxIsTheBucketsUpperEnd() {
        WaitTime wait = new WaitTime();
        wait.record(0, 3);
        wait.record(0, 10_000); // 4096 * 2 <= 10,000 < 4096 * 4

        assertThat(wait.quantileMillis(0.5)).isEqualTo(3);
        assertThat(wait.quantileMillis(1.0)).isBetween(10_000L, 4096L * 4);
    }

    @Test
    void bucketsCoverEveryWaitAndEachUpperEndHoldsItsBucket() {
        for (long waited : new long[] {0, 1, 4095, 4096, 8191, 8192, 1L << 40, Long.MAX_VALUE}) {
            int bucket = WaitTime.bucket(waited);
            assertThat(WaitTime.upperMillis(bucket)).as("wait %d", waited).isGreaterThanOrEqualTo(waited);
            if (bucket > 0) {
                assertThat(WaitTime.upperMillis(bucket - 1)).as("wait %d", waited).isLessThan(waited);
            }
        }
    }

    @Test
    void aClockBehindTheProducersCountsAsNoWait() {
        WaitTime wait = new WaitTime();
        wait.record(2_000, 1_990);

        assertThat(wait.summary()).isEqualTo(new WaitTime.Summary(1, 0, 0, 0));
    }

    @Test
    void theRegistryShowsTheCountTheSumAndTheQuantiles() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WaitTime wait = WaitTime.register(registry);
        wait.record(0, 20);
        wait.record(0, 40);

        assertThat(registry.get("queue.item.wait").functionTimer().count()).isEqualTo(2);
        assertThat(registry.get("queue.item.wait").functionTimer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(60);
        assertThat(registry.get("queue.item.wait.quantile").tag("quantile", "0.99").gauge().value())
                .isEqualTo(0.040);
    }
}
