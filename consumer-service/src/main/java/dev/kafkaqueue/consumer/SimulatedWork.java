package dev.kafkaqueue.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kafkaqueue.KafkaQueue;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code --work-ms}: takes that long per item, standing in for real work (the benchmark's and the demos'). */
final class SimulatedWork implements KafkaQueue.Handler<JsonNode> {

    private final Duration work;

    SimulatedWork(Duration work) {
        this.work = work;
    }

    @Override
    public void handle(KafkaQueue.Task<JsonNode> task) throws InterruptedException {
        if (!work.isZero()) {
            TimeUnit.NANOSECONDS.sleep(work.toNanos());
        }
    }
}
