package dev.kafkaqueue.consumer;

import dev.kafkaqueue.queue.QueueMessage;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The default processing step: takes {@code --work-ms} per item, standing in for real work. */
final class SimulatedWork implements ItemProcessor {

    private final Duration work;

    SimulatedWork(Duration work) {
        this.work = work;
    }

    @Override
    public void process(QueueMessage.Item item) throws InterruptedException {
        if (!work.isZero()) {
            TimeUnit.NANOSECONDS.sleep(work.toNanos());
        }
    }
}
