import dev.kafkaqueue.KafkaQueue;

/**
 * The library's own loops, for scripts/bench.sh: {@code put} puts N strings with {@code putAsync} and shuts down (the
 * pills, after a flush); {@code get} gets N items and calls {@code taskDone()} on each, then closes (the final
 * commit). Each is a whole process, as the services and Kafka's tools are.
 *
 * <pre>java -cp CLASSES:consumer-service.jar QueueLoop put|get BOOTSTRAP TOPIC GROUP N</pre>
 */
public final class QueueLoop {

    private QueueLoop() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        long n = Long.parseLong(args[4]);
        try (KafkaQueue<String> q = KafkaQueue.builder(String.class).bootstrapServers(args[1]).topic(args[2])
                .group(args[3]).createTopic(false).open()) {
            if (mode.equals("put")) {
                for (long i = 0; i < n; i++) {
                    q.putAsync("item-" + i);
                }
                q.shutdown();
            } else {
                for (long i = 0; i < n; i++) {
                    q.get().taskDone();
                }
            }
        }
    }
}
