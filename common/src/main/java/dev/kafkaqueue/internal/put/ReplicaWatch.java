package dev.kafkaqueue.internal.put;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in one line when puts wait because the cluster lacks in-sync replicas, and in one more when they can go on.
 *
 * <p>With {@code acks=all}, a partition with fewer in-sync replicas than its {@code min.insync.replicas} refuses
 * writes (NOT_ENOUGH_REPLICAS), and a partition with no leader takes none. The Kafka producer retries such sends by
 * itself until {@code delivery.timeout.ms}, with a warning for every retry of every partition, which the service's
 * logging keeps out. Instead, this watch describes the topic every {@link #EVERY} on a daemon thread of its own,
 * through the (thread-safe) admin client it is given, and logs the change of state. It reads; it never changes what
 * the producer does. A check that fails (the brokers away) says nothing; without DESCRIBE_CONFIGS on the topic it
 * judges the leaders only.
 */
public final class ReplicaWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaWatch.class);
    /** How often the topic is described: a metadata request and a config request, small next to any put. */
    static final Duration EVERY = Duration.ofSeconds(2);
    /** How many partitions a line names; the rest are counted. */
    private static final int NAMED = 6;

    /** Reads the topic's state now: its partitions and, when readable, its {@code min.insync.replicas}. */
    interface Probe {
        State read() throws Exception;
    }

    /** A topic's partitions and its {@code min.insync.replicas}, empty when it could not be read. */
    record State(TopicDescription topic, OptionalInt minInSync) {
    }

    private final String topic;
    private final Probe probe;
    private final Duration deliveryTimeout;
    private final Consumer<String> warn;
    private final Consumer<String> info;
    private final BooleanSupplier sending;
    private ScheduledExecutorService executor;
    private long waitingSince = -1;

    ReplicaWatch(String topic, Probe probe, Duration deliveryTimeout, Consumer<String> warn, Consumer<String> info) {
        this(topic, probe, deliveryTimeout, warn, info, () -> true);
    }

    ReplicaWatch(String topic, Probe probe, Duration deliveryTimeout, Consumer<String> warn, Consumer<String> info,
                 BooleanSupplier sending) {
        this.sending = sending;
        this.topic = topic;
        this.probe = probe;
        this.deliveryTimeout = deliveryTimeout;
        this.warn = warn;
        this.info = info;
    }

    /**
     * Starts watching {@code topic} through {@code admin}, which the caller keeps open until {@link #close()}.
     *
     * @param deliveryTimeout the producer's {@code delivery.timeout.ms}, named in the line
     * @param sending         true while sends wait for their acknowledgement: an idle producer's topic is not asked
     */
    public static ReplicaWatch start(Admin admin, String topic, Duration deliveryTimeout, BooleanSupplier sending) {
        ReplicaWatch watch = new ReplicaWatch(topic, new AdminProbe(admin, topic), deliveryTimeout, log::warn,
                log::info, sending);
        watch.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-queue-replica-watch-" + topic);
            thread.setDaemon(true);
            return thread;
        });
        watch.executor.scheduleWithFixedDelay(watch::check, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return watch;
    }

    /** One check: reads the topic and logs a line when puts start or stop waiting. Never throws. */
    void check() {
        if (waitingSince < 0 && !sending.getAsBoolean()) {
            return; // nothing is waiting to be acknowledged: nothing to say, and nothing to ask
        }
        State state;
        try {
            state = probe.read();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // close() is stopping the watch
            return;
        } catch (Exception e) {
            log.debug("Cannot describe topic {}: {}", topic, e.toString());
            return;
        }
        Optional<String> blocked = blocked(state.topic(), state.minInSync());
        if (blocked.isPresent() && waitingSince < 0) {
            waitingSince = System.nanoTime();
            warn.accept("Puts wait: " + blocked.get() + "; the producer keeps retrying them for up to "
                    + "delivery.timeout.ms=" + deliveryTimeout.toMillis() + " until the brokers can take them");
        } else if (blocked.isEmpty() && waitingSince >= 0) {
            long waited = Duration.ofNanos(System.nanoTime() - waitingSince).toSeconds();
            waitingSince = -1;
            info.accept("Puts go on: every partition of " + topic + " has a leader and enough in-sync replicas "
                    + "again, after " + waited + " s of waiting");
        }
    }

    /**
     * What keeps {@code acks=all} writes out of the topic's partitions, in words, or empty when every partition can
     * take them.
     *
     * @param minInSync the topic's {@code min.insync.replicas}; when empty, only partitions without a leader count
     */
    static Optional<String> blocked(TopicDescription topic, OptionalInt minInSync) {
        List<TopicPartitionInfo> leaderless = new ArrayList<>();
        List<TopicPartitionInfo> belowMinIsr = new ArrayList<>();
        for (TopicPartitionInfo partition : topic.partitions()) {
            if (partition.leader() == null || partition.leader().isEmpty()) {
                leaderless.add(partition);
            } else if (minInSync.isPresent() && partition.isr().size() < minInSync.getAsInt()) {
                belowMinIsr.add(partition);
            }
        }
        List<String> clauses = new ArrayList<>();
        if (!belowMinIsr.isEmpty()) {
            clauses.add(names(topic.name(), belowMinIsr, p -> " isr " + p.isr().stream().map(Node::idString)
                    .collect(Collectors.joining(",", "[", "]"))) + (belowMinIsr.size() == 1 ? " has" : " have")
                    + " fewer in-sync replicas than min.insync.replicas=" + minInSync.getAsInt()
                    + ", so the brokers refuse acks=all writes (NOT_ENOUGH_REPLICAS)");
        }
        if (!leaderless.isEmpty()) {
            clauses.add(names(topic.name(), leaderless, p -> "") + (leaderless.size() == 1 ? " has" : " have")
                    + " no leader");
        }
        return clauses.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", clauses));
    }

    private static String names(String topic, List<TopicPartitionInfo> partitions,
                                Function<TopicPartitionInfo, String> detail) {
        String named = partitions.stream().limit(NAMED).map(p -> topic + "-" + p.partition() + detail.apply(p))
                .collect(Collectors.joining(", "));
        return partitions.size() > NAMED ? named + " and " + (partitions.size() - NAMED) + " more" : named;
    }

    /**
     * Stops the watch, waiting a few seconds at most for a check in progress. When it last said that puts wait, it
     * checks once more: the last puts may have gone through between two checks, and the line that they go on is then
     * said here.
     */
    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the caller is being stopped: no last check
                return;
            }
        }
        if (waitingSince >= 0) {
            check();
        }
    }

    /** The topic's state through the admin client, each call with a time limit shorter than the check interval. */
    private static final class AdminProbe implements Probe {
        private static final int TIMEOUT_MS = 5_000;

        private final Admin admin;
        private final String topic;
        /** False once the brokers refused DESCRIBE_CONFIGS: asking again every check would only be refused again. */
        private boolean configsReadable = true;

        AdminProbe(Admin admin, String topic) {
            this.admin = admin;
            this.topic = topic;
        }

        @Override
        public State read() throws InterruptedException, ExecutionException, TimeoutException {
            TopicDescription description = admin.describeTopics(List.of(topic),
                            new DescribeTopicsOptions().timeoutMs(TIMEOUT_MS))
                    .allTopicNames().get(TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS).get(topic);
            return new State(description, minInSync());
        }

        private OptionalInt minInSync() throws InterruptedException, TimeoutException {
            if (!configsReadable) {
                return OptionalInt.empty();
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            try {
                Config config = admin.describeConfigs(List.of(resource),
                                new DescribeConfigsOptions().timeoutMs(TIMEOUT_MS))
                        .all().get(TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS).get(resource);
                ConfigEntry entry = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                return entry == null || entry.value() == null ? OptionalInt.empty()
                        : OptionalInt.of(Integer.parseInt(entry.value()));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AuthorizationException) {
                    configsReadable = false;
                    log.debug("No DESCRIBE_CONFIGS on topic {}: puts waiting on replicas are not reported", topic);
                }
                return OptionalInt.empty();
            } catch (NumberFormatException | KafkaException e) {
                return OptionalInt.empty();
            }
        }
    }
}
