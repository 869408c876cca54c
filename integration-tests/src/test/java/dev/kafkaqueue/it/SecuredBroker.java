package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A broker of its own for one test class, secured the way a production cluster is: every listener is SASL_PLAINTEXT
 * with the PLAIN mechanism, the KRaft {@code StandardAuthorizer} checks every request, and
 * {@code allow.everyone.if.no.acl.found=false}, so a principal may do only what an ACL grants it.
 *
 * <p>The super user {@value #ADMIN} is what the broker and controller log in as to each other, and what the tests use
 * for setup ({@link #admin()}). The other users are the ones given to the constructor; every password is random, so
 * a test can look for it in the services' output. The host reaches the broker at {@code localhost:<port>}, a free host
 * port fixed before the start and advertised as is, because the broker must advertise what clients dial.
 *
 * <p>Register it as a static {@code @RegisterExtension} field: it starts before the class's first test (image as
 * {@link Broker#imageName()} selects it) and stops after the last, leaving its log in
 * {@code target/service-logs/<class>/broker.log}.
 */
final class SecuredBroker implements BeforeAllCallback, AfterAllCallback {

    /** The super user. */
    static final String ADMIN = "admin";

    private static final int CLIENT_PORT = 9092;
    private static final String BROKER_HEAP = "-Xmx384m -Xms192m";

    /** A SASL/PLAIN user. */
    record User(String name, String password) {
        String principal() {
            return "User:" + name;
        }

        /** The JAAS line a client logs in with: it holds the password. */
        String jaasConfig() {
            return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + name
                    + "\" password=\"" + password + "\";";
        }

        /** The client properties that authenticate as this user, as a {@code --command-config} file holds them. */
        Map<String, String> clientProperties() {
            Map<String, String> props = new LinkedHashMap<>();
            props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
            props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
            props.put(SaslConfigs.SASL_JAAS_CONFIG, jaasConfig());
            return props;
        }

        /** {@code name} with a new random password: a broker's own user with it is a wrong password. */
        static User random(String name) {
            return new User(name, name + "-secret-" + UUID.randomUUID());
        }
    }

    private final User admin = User.random(ADMIN);
    private final Map<String, User> users;
    private GenericContainer<?> container;
    private int hostPort;
    private Path logDir;

    /** @param users the names of the users besides {@value #ADMIN}; they have no ACLs until a test grants them */
    SecuredBroker(String... users) {
        this.users = Arrays.stream(users).collect(Collectors.toUnmodifiableMap(name -> name, User::random));
    }

    /** The user of that name (one given to the constructor, or {@value #ADMIN}). */
    User user(String name) {
        User user = name.equals(ADMIN) ? admin : users.get(name);
        if (user == null) {
            throw new IllegalArgumentException("no user " + name + " on this broker");
        }
        return user;
    }

    /** Every user's password, the super user's too: none of them may appear in any output. */
    List<String> passwords() {
        List<String> passwords = new ArrayList<>();
        passwords.add(admin.password());
        users.values().forEach(user -> passwords.add(user.password()));
        return passwords;
    }

    /** {@code localhost:<port>}, as the host (and the service processes it starts) reaches the broker. */
    String bootstrapServers() {
        return "localhost:" + hostPort;
    }

    /**
     * Writes a {@code --command-config} file for {@code user} into {@code dir}: security.protocol, sasl.mechanism and
     * sasl.jaas.config, and nothing else. The user may be one this broker does not know, or a wrong password.
     */
    static Path commandConfig(Path dir, User user) {
        StringBuilder text = new StringBuilder("# kafka-queue client config for ").append(user.name()).append('\n');
        user.clientProperties().forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Path file = dir.resolve(user.name() + "-" + Integer.toHexString(user.password().hashCode()) + ".properties");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
        return file;
    }

    /** A new admin client logged in as the super user, 30 s default API timeout; the caller closes it. */
    Admin admin() {
        Map<String, Object> props = adminClientProperties();
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(props);
    }

    /**
     * Creates the topics (replication 1) and waits until the broker describes every one of them, so that a service
     * started next finds them in place.
     */
    void createTopics(Map<String, Integer> partitionsByTopic) {
        try (Admin admin = admin()) {
            admin.createTopics(partitionsByTopic.entrySet().stream()
                    .map(topic -> new NewTopic(topic.getKey(), topic.getValue(), (short) 1)).toList())
                    .all().get(30, SECONDS);
            Awaitility.await("topics " + partitionsByTopic.keySet() + " described by the broker")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> admin.describeTopics(partitionsByTopic.keySet()).allTopicNames().get(30, SECONDS)
                            .size() == partitionsByTopic.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create " + partitionsByTopic.keySet(), e);
        }
    }

    /** An ALLOW rule for {@code user}, from any host, on one literally named resource. */
    AclBinding allow(String user, AclOperation operation, ResourceType type, String name) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry(user(user).principal(), "*", operation, AclPermissionType.ALLOW));
    }

    /**
     * Creates the ACLs and waits until the broker's authorizer lists them all: ACLs travel through the metadata log,
     * and a service started before the broker applied them would be denied.
     */
    void grant(List<AclBinding> acls) {
        try (Admin admin = admin()) {
            admin.createAcls(acls).all().get(30, SECONDS);
            Awaitility.await("ACLs applied by the broker")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> admin.describeAcls(AclBindingFilter.ANY).values().get(30, SECONDS)
                            .containsAll(acls));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the ACLs " + acls, e);
        }
    }

    /** Writes one raw record as the super user and waits for its acknowledgement. */
    void send(String topic, int partition, byte[] key, byte[] value) {
        Map<String, Object> props = adminClientProperties();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, partition, key, value)).get(30, SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write to " + topic, e);
        }
    }

    /** Every record of partition 0 of {@code topic}, read as the super user outside any group; limited to 30 s. */
    List<ConsumerRecord<byte[], byte[]>> readPartitionZero(String topic) {
        Map<String, Object> props = adminClientProperties();
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp, Duration.ofSeconds(30)) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("could not read " + tp + " to its end " + end + " in 30 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        logDir = Path.of("target", "service-logs", context.getRequiredTestClass().getSimpleName());
        hostPort = freePort();
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN
                + "\" password=\"" + admin.password() + "\" " + userEntries() + ";";
        DockerImageName image = DockerImageName.parse(Broker.imageName());
        GenericContainer<?> kafka = new GenericContainer<>(image)
                .withEnv("KAFKA_HEAP_OPTS", BROKER_HEAP)
                .withEnv("KAFKA_NODE_ID", "1")
                .withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
                // CLIENT is what the host dials; BROKER (in-container only) carries inter-broker traffic.
                .withEnv("KAFKA_LISTENERS", "CLIENT://:" + CLIENT_PORT + ",BROKER://:9094,CONTROLLER://:9093")
                .withEnv("KAFKA_ADVERTISED_LISTENERS", "CLIENT://localhost:" + hostPort + ",BROKER://localhost:9094")
                .withEnv("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                        "CLIENT:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT")
                .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                .withEnv("KAFKA_INTER_BROKER_LISTENER_NAME", "BROKER")
                .withEnv("KAFKA_SASL_ENABLED_MECHANISMS", "PLAIN")
                .withEnv("KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL", "PLAIN")
                .withEnv("KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL", "PLAIN")
                // The users are in the JAAS line of each listener; username/password is who the broker logs in as.
                .withEnv("KAFKA_LISTENER_NAME_CLIENT_PLAIN_SASL_JAAS_CONFIG", jaas)
                .withEnv("KAFKA_LISTENER_NAME_BROKER_PLAIN_SASL_JAAS_CONFIG", jaas)
                .withEnv("KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG", jaas)
                .withEnv("KAFKA_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .withEnv("KAFKA_SUPER_USERS", admin.principal())
                .withEnv("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND", "false")
                // A topic exists only if a test created it: nobody gets one by asking for its metadata.
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                .waitingFor(Wait.forLogMessage(".*Transitioning from RECOVERY to RUNNING.*", 1))
                .withStartupTimeout(Duration.ofMinutes(2));
        kafka.setPortBindings(List.of(hostPort + ":" + CLIENT_PORT));
        long started = System.nanoTime();
        kafka.start();
        container = kafka;
        System.out.printf("SECURED_BROKER_START image=%s millis=%d bootstrap=%s%n", image.asCanonicalNameString(),
                Duration.ofNanos(System.nanoTime() - started).toMillis(), bootstrapServers());
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (container == null) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            Files.writeString(logDir.resolve("broker.log"), container.getLogs(), StandardCharsets.UTF_8);
        } finally {
            container.stop();
            container = null;
        }
    }

    private String userEntries() {
        StringBuilder entries = new StringBuilder("user_" + ADMIN + "=\"" + admin.password() + "\"");
        users.values().forEach(user -> entries.append(" user_").append(user.name()).append("=\"")
                .append(user.password()).append('"'));
        return entries.toString();
    }

    private Map<String, Object> adminClientProperties() {
        Map<String, Object> props = new HashMap<>(admin.clientProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
