package dev.kafkaqueue.it;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * Three KRaft nodes, each broker and controller, on a Testcontainers {@link Network}: default replication factor 3
 * and {@code min.insync.replicas} 2, so the cluster keeps accepting {@code acks=all} writes with one node down.
 *
 * <p>The image is {@link Broker#imageName()}, configured through {@code KAFKA_*} variables as the {@code apache/kafka}
 * contract has it. Each node has three listeners: {@code CONTROLLER} and {@code INTERNAL} on the network (by alias
 * {@code kafka-N}), and {@code EXTERNAL} for the host, advertised as {@code localhost:P}. P is a free host port chosen
 * before the start and bound to the same port in the container, because the advertised address is configuration and
 * a random mapping is known only after the start. A stopped node is not restarted.
 */
final class ThreeBrokerCluster implements AutoCloseable {

    static final int NODES = 3;
    private static final String CLUSTER_ID = "5L6g3nShT-eMCtK--X86sw";
    private static final String VOTERS = IntStream.rangeClosed(1, NODES)
            .mapToObj(n -> n + "@kafka-" + n + ":9093").collect(Collectors.joining(","));

    private final Network network;
    private final List<GenericContainer<?>> nodes;
    private final List<Integer> hostPorts;

    private ThreeBrokerCluster(Network network, List<GenericContainer<?>> nodes, List<Integer> hostPorts) {
        this.network = network;
        this.nodes = nodes;
        this.hostPorts = hostPorts;
    }

    /** Starts the three nodes together (a quorum needs two of them) and waits until each broker is RUNNING. */
    static ThreeBrokerCluster start() {
        Network network = Network.newNetwork();
        DockerImageName image = DockerImageName.parse(Broker.imageName());
        List<GenericContainer<?>> nodes = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (int n = 1; n <= NODES; n++) {
            int port = freePort();
            ports.add(port);
            nodes.add(node(image, network, n, port));
        }
        ThreeBrokerCluster cluster = new ThreeBrokerCluster(network, nodes, ports);
        try {
            Startables.deepStart(nodes).join();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private static GenericContainer<?> node(DockerImageName image, Network network, int n, int hostPort) {
        String alias = "kafka-" + n;
        @SuppressWarnings("resource") // closed by close()
        GenericContainer<?> node = new GenericContainer<>(image)
                .withNetwork(network)
                .withNetworkAliases(alias)
                .withEnv(Map.ofEntries(
                        Map.entry("CLUSTER_ID", CLUSTER_ID),
                        Map.entry("KAFKA_NODE_ID", Integer.toString(n)),
                        Map.entry("KAFKA_PROCESS_ROLES", "broker,controller"),
                        Map.entry("KAFKA_CONTROLLER_QUORUM_VOTERS", VOTERS),
                        Map.entry("KAFKA_LISTENERS",
                                "INTERNAL://:19092,CONTROLLER://:9093,EXTERNAL://:" + hostPort),
                        Map.entry("KAFKA_ADVERTISED_LISTENERS",
                                "INTERNAL://" + alias + ":19092,EXTERNAL://localhost:" + hostPort),
                        Map.entry("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                                "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT"),
                        Map.entry("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL"),
                        Map.entry("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
                        Map.entry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3"),
                        Map.entry("KAFKA_MIN_INSYNC_REPLICAS", "2"),
                        Map.entry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3"),
                        Map.entry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3"),
                        Map.entry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2"),
                        Map.entry("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"),
                        // Three brokers share two cores with Maven and the services. The log cleaner's 128 MiB
                        // dedupe buffer alone made a 256 MiB heap fail at startup (OutOfMemoryError in LogManager).
                        Map.entry("KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE", Integer.toString(16 << 20)),
                        Map.entry("KAFKA_HEAP_OPTS", "-Xmx256m -Xms128m")))
                .withCreateContainerCmdModifier(cmd -> {
                    ExposedPort external = ExposedPort.tcp(hostPort);
                    cmd.withExposedPorts(external);
                    cmd.getHostConfig().withPortBindings(new PortBinding(Ports.Binding.bindPort(hostPort), external));
                })
                .waitingFor(Wait.forLogMessage(".*Transitioning from RECOVERY to RUNNING.*", 1)
                        .withStartupTimeout(Duration.ofMinutes(2)));
        return node;
    }

    /** All three EXTERNAL listeners, as the host's processes reach them. */
    String bootstrapServers() {
        return hostPorts.stream().map(p -> "localhost:" + p).collect(Collectors.joining(","));
    }

    /** A new admin client with a 30 s default API timeout; the caller closes it. */
    Admin admin() {
        return Broker.admin(bootstrapServers());
    }

    /**
     * {@code docker stop} of node {@code nodeId} (1 to 3): SIGTERM, a controlled shutdown, and SIGKILL after 10 s.
     * The container stays, stopped, until {@link #close()}.
     */
    void stop(int nodeId) {
        GenericContainer<?> node = nodes.get(nodeId - 1);
        node.getDockerClient().stopContainerCmd(node.getContainerId()).withTimeout(10).exec();
    }

    /** Stops and removes the nodes and the network. */
    @Override
    public void close() {
        nodes.forEach(GenericContainer::stop);
        network.close();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on this host", e);
        }
    }
}
