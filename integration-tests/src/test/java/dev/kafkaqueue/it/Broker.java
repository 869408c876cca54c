package dev.kafkaqueue.it;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The one Kafka broker the whole suite shares, in Testcontainers' {@link KafkaContainer}.
 *
 * <p>The image is the {@code kafka.image} system property, else the {@code KAFKA_IMAGE} environment variable, else
 * {@value #DEFAULT_IMAGE}; a locally built image must follow the {@code apache/kafka} contract. The broker starts on
 * the first call to {@link #get()} and is stopped by a JVM shutdown hook, because Ryuk (which would otherwise remove
 * it) is disabled on the build machines. Tests isolate themselves by topic and group names, not by broker.
 *
 * <p>There is no skip: without Docker, {@link #get()} throws and every test that needs the broker fails. A failed
 * start is remembered, so later tests fail at once instead of trying again.
 */
final class Broker {

    static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

    /** The broker shares two cores with Maven and the services under test. */
    private static final String BROKER_HEAP = "-Xmx384m -Xms192m";

    private static Broker instance;
    private static RuntimeException startFailure;

    private final KafkaContainer container;
    private final Duration startTime;

    private Broker(KafkaContainer container, Duration startTime) {
        this.container = container;
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

    /** The image name in use: {@code kafka.image}, {@code KAFKA_IMAGE} or {@value #DEFAULT_IMAGE}. */
    static String imageName() {
        String property = System.getProperty("kafka.image");
        if (property != null && !property.isBlank()) {
            return property;
        }
        String env = System.getenv("KAFKA_IMAGE");
        return env == null || env.isBlank() ? DEFAULT_IMAGE : env;
    }

    /** Bootstrap servers as seen from this host (and from the service processes it starts). */
    String bootstrapServers() {
        return container.getBootstrapServers();
    }

    /** A new admin client with a 30 s default API timeout; the caller closes it. */
    Admin admin() {
        return Admin.create(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000));
    }

    /** How long {@link KafkaContainer#start()} took, from creating the container to the broker's RUNNING line. */
    Duration startTime() {
        return startTime;
    }

    private static Broker start() {
        DockerImageName image = DockerImageName.parse(imageName()).asCompatibleSubstituteFor("apache/kafka");
        KafkaContainer kafka = new KafkaContainer(image)
                .withEnv("KAFKA_HEAP_OPTS", BROKER_HEAP)
                .withStartupTimeout(Duration.ofMinutes(2));
        long started = System.nanoTime();
        kafka.start();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop, "broker-stop"));
        // For the team's notes: the suite's fixed cost.
        System.out.printf("BROKER_START image=%s millis=%d bootstrap=%s%n", image.asCanonicalNameString(),
                took.toMillis(), kafka.getBootstrapServers());
        return new Broker(kafka, took);
    }
}
