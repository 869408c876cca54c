package dev.kafkaqueue.internal.work;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters the engine moves, per record or per commit, registered once in the queue's registry. {@code done} is the
 * one count of items processed and applied: the meter reads it, and so does the queue's own summary.
 *
 * @param done         items processed and applied ({@code queue.items.done})
 * @param skipped      redelivered items not applied again
 * @param deadLettered records written to the dead-letter topic
 * @param released     failed items a share group released for another delivery
 * @param dropped      items an immediate shutdown dropped
 * @param commits      commits the broker accepted (a share group: acknowledgement batches it answered)
 * @param processing   time spent working items
 * @param waits        time from an item's put to its get
 * @param ages         per assigned partition, how long its oldest unfinished fetched record has waited: lag in time
 */
record Meters(LongAdder done, Counter skipped, Counter deadLettered, Counter released, Counter dropped,
              Counter commits, ProcessingTime processing, WaitTime waits, MultiGauge ages) {

    static Meters register(MeterRegistry registry) {
        LongAdder done = new LongAdder();
        FunctionCounter.builder("queue.items.done", done, LongAdder::sum)
                .description("Items processed and applied (task_done)").register(registry);
        return new Meters(
                done,
                Counter.builder("queue.items.skipped")
                        .description("Redelivered items not applied again").register(registry),
                Counter.builder("queue.items.dead.lettered")
                        .description("Records written to the dead-letter topic").register(registry),
                Counter.builder("queue.items.released")
                        .description("Failed items released to the share group for another delivery")
                        .register(registry),
                Counter.builder("queue.items.dropped")
                        .description("Items an immediate shutdown committed past without working them")
                        .register(registry),
                Counter.builder("queue.commits")
                        .description("Offset commits (task_done) the broker accepted; for a share group, "
                                + "acknowledgement batches it answered").register(registry),
                ProcessingTime.register(registry),
                WaitTime.register(registry),
                MultiGauge.builder("queue.oldest.unfinished.age").baseUnit("seconds")
                        .description("How long the oldest unfinished item fetched from the partition has waited "
                                + "since it was put (its CreateTime)").register(registry));
    }
}
