package dev.kafkaqueue.it;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The one Kafka broker the whole suite shares: in Testcontainers' {@link KafkaContainer} when a Docker engine
 * answers, else an {@link EmbeddedBroker} (a KRaft broker run as an OS process from Kafka's jars), as Spring's
 * {@code @EmbeddedKafka} serves projects without Docker.
 *
 * <p>The {@code kafka.broker} system property, else the {@code KAFKA_BROKER} environment variable, overrides the
 * choice: {@code testcontainers} or {@code embedded}. The container's image is the {@code kafka.image} system
 * property, else the {@code KAFKA_IMAGE} environment variable, else {@code apache/kafka:<kafka.version>}, the
 * version the parent pom pins (failsafe passes it as the {@code kafka.version} system property); a locally built image
 * must follow the {@code apache/kafka} contract. The broker starts on the first call to {@link #get()}, prints a
 * {@code BROKER_START} line naming the kind and its start time, and is stopped by a JVM shutdown hook (Ryuk, which
 * would otherwise remove a container, is disabled on the build machines). Tests isolate themselves by topic and group
 * names, not by broker.
 *
 * <p>There is no skip: if the chosen broker cannot start, {@link #get()} throws and every test that needs the broker
 * fails. A failed start is remembered, so later tests fail at once instead of trying again.
 */
final class Broker {

    /** Where the broker runs. */
    enum Kind {
        /** Testcontainers' {@link KafkaContainer}: needs a Docker engine. */
        TESTCONTAINERS,
        /** {@link EmbeddedBroker}: a broker process started from Kafka's jars on the test class path. */
        EMBEDDED
    }

    /** The broker shares two cores with Maven and the services under test. */
    private static final String BROKER_HEAP = "-Xmx384m -Xms192m";

    private static Broker instance;
    private static RuntimeException startFailure;

    private final Kind kind;
    /** Set when {@link #kind} is {@link Kind#TESTCONTAINERS}. */
    private final KafkaContainer container;
    /** Set when {@link #kind} is {@link Kind#EMBEDDED}. */
    private final EmbeddedBroker embedded;
    private final Duration startTime;

    private Broker(Kind kind, KafkaContainer container, EmbeddedBroker embedded, Duration startTime) {
        this.kind = kind;
        this.container = container;
        this.embedded = embedded;
        this.startTime = startTime;
    }

    /** The shared broker, started on the first call. */
    static synchronized Broker get() {
        if (startFailure != null) {
            throw new IllegalStateException("the shared broker failed to start earlier", startFailure);
        }
        if (instance == null) {
            try {
                instance = start();
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
        return instance;
    }

    /** The image name in use: {@code kafka.image}, {@code KAFKA_IMAGE} or {@code apache/kafka:<kafka.version>}. */
    static String imageName() {
        String property = System.getProperty("kafka.image");
        if (property != null && !property.isBlank()) {
            return property;
        }
        String env = System.getenv("KAFKA_IMAGE");
        return env == null || env.isBlank() ? "apache/kafka:" + kafkaVersion() : env;
    }

    /** The parent pom's {@code kafka.version}, passed by failsafe as a system property of the same name. */
    static String kafkaVersion() {
        String version = System.getProperty("kafka.version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("kafka.version is not set: see integration-tests/pom.xml");
        }
        return version;
    }

    /** Which broker this run uses. */
    Kind kind() {
        return kind;
    }

    /** Bootstrap servers as seen from this host (and from the service processes it starts). */
    String bootstrapServers() {
        return kind == Kind.EMBEDDED ? embedded.bootstrapServers() : container.getBootstrapServers();
    }

    /** A new admin client with a 30 s default API timeout; the caller closes it. */
    Admin admin() {
        return admin(bootstrapServers());
    }

    /** A new plain-text admin client for any cluster, with a 30 s default API timeout; the caller closes it. */
    static Admin admin(String bootstrapServers) {
        return Admin.create(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000));
    }

    /** Writes one record as it is, with a plain producer outside the services, and waits for its acknowledgement. */
    RecordMetadata send(ProducerRecord<byte[], byte[]> record) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            return producer.send(record).get(30, TimeUnit.SECONDS);
        }
    }

    /** How long the start took: to the container's RUNNING line, or to the embedded broker's first answer. */
    Duration startTime() {
        return startTime;
    }

    /**
     * {@code docker pause}, or SIGSTOP to the embedded broker's process: the broker freezes, connections stay open
     * and nothing answers, as in a long GC pause or a network partition. Every caller must {@link #unpause()} in a
     * {@code finally}: the broker is shared.
     */
    void pause() {
        if (kind == Kind.EMBEDDED) {
            embedded.pause();
        } else {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
        }
    }

    /** {@code docker unpause}, or SIGCONT: the broker carries on where it froze, on the same port. */
    void unpause() {
        if (kind == Kind.EMBEDDED) {
            embedded.unpause();
        } else {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }
    }

    /**
     * The broker to start: {@code kafka.broker}, else {@code KAFKA_BROKER}, else Testcontainers if a Docker engine
     * answers and the embedded broker if not. Returns the kind and why it was chosen.
     */
    static Map.Entry<Kind, String> choose() {
        String property = System.getProperty("kafka.broker");
        if (property != null && !property.isBlank()) {
            return Map.entry(parse(property, "-Dkafka.broker"), "-Dkafka.broker=" + property);
        }
        String env = System.getenv("KAFKA_BROKER");
        if (env != null && !env.isBlank()) {
            return Map.entry(parse(env, "KAFKA_BROKER"), "KAFKA_BROKER=" + env);
        }
        return DockerClientFactory.instance().isDockerAvailable()
                ? Map.entry(Kind.TESTCONTAINERS, "a Docker engine answered")
                : Map.entry(Kind.EMBEDDED, "no Docker engine answered");
    }

    private static Kind parse(String value, String where) {
        try {
            return Kind.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "=" + value + ": expected testcontainers or embedded", e);
        }
    }

    private static Broker start() {
        Map.Entry<Kind, String> choice = choose();
        long started = System.nanoTime();
        Broker broker;
        String detail;
        if (choice.getKey() == Kind.EMBEDDED) {
            EmbeddedBroker process = EmbeddedBroker.start(BROKER_HEAP);
            broker = new Broker(Kind.EMBEDDED, null, process, Duration.ofNanos(System.nanoTime() - started));
            Runtime.getRuntime().addShutdownHook(new Thread(process::close, "broker-stop"));
            detail = "kafka_2.13 pid=" + process.pid();
        } else {
            DockerImageName image = DockerImageName.parse(imageName()).asCompatibleSubstituteFor("apache/kafka");
            KafkaContainer kafka = new KafkaContainer(image)
                    .withEnv("KAFKA_HEAP_OPTS", BROKER_HEAP)
                    // One broker: share groups need their state topic at replication 1 (Kafka's default is 3).
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                    .withStartupTimeout(Duration.ofMinutes(2));
            kafka.start();
            broker = new Broker(Kind.TESTCONTAINERS, kafka, null, Duration.ofNanos(System.nanoTime() - started));
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop, "broker-stop"));
            detail = "image=" + image.asCanonicalNameString();
        }
        // For the team's notes: the suite's fixed cost, and which broker it ran on.
        System.out.printf("BROKER_START broker=%s (%s) %s millis=%d bootstrap=%s%n",
                broker.kind.name().toLowerCase(Locale.ROOT), choice.getValue(), detail,
                broker.startTime.toMillis(), broker.bootstrapServers());
        return broker;
    }
}
