package dev.kafkaqueue.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's metrics, in Prometheus text form at {@code /metrics}, with {@code /health} for container
 * healthchecks. The registry always exists, and the queue records its meters and its Kafka clients' metrics in it;
 * the HTTP endpoint runs only when a port is given.
 *
 * <p>{@code /health} answers 200 while the service works and 503 once it is stopping or has failed.
 */
public final class ServiceMetrics implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private volatile boolean healthy = true;

    private ServiceMetrics(OptionalInt port, String... tags) {
        registry.config().commonTags(tags);
        new JvmMemoryMetrics().bindTo(registry);
        this.server = port.isPresent() ? serve(port.getAsInt()) : null;
    }

    /**
     * Starts the metrics of a service.
     *
     * @param service the {@code service} tag on every meter
     * @param port    where to serve {@code /metrics} and {@code /health}; 0 picks a free port; empty serves nothing
     * @throws InvalidSettingException naming the port when it cannot be bound
     */
    public static ServiceMetrics start(String service, OptionalInt port) {
        return new ServiceMetrics(port, "service", service);
    }

    /**
     * Starts the metrics of a service working one queue: every meter is tagged {@code service}, {@code topic} and
     * {@code group}, so that one Prometheus can tell queues apart.
     *
     * @param port where to serve {@code /metrics} and {@code /health}; 0 picks a free port; empty serves nothing
     * @throws InvalidSettingException naming the port when it cannot be bound
     */
    public static ServiceMetrics start(String service, QueueAddress queue, OptionalInt port) {
        return new ServiceMetrics(port, "service", service, "topic", queue.topic(), "group", queue.group());
    }

    /** Where meters are registered. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Marks the service as stopping or failed: {@code /health} answers 503 from now on. */
    public void unhealthy() {
        healthy = false;
    }

    /** The port {@code /metrics} is served on, if it is served. */
    public OptionalInt port() {
        return server == null ? OptionalInt.empty() : OptionalInt.of(server.getAddress().getPort());
    }

    /** The current scrape, as Prometheus would read it. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }

    private HttpServer serve(int port) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(port), 0);
            http.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4",
                    registry.scrape()));
            http.createContext("/health", exchange -> respond(exchange, healthy ? 200 : 503, "application/json",
                    healthy ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}"));
            http.setExecutor(Executors.newSingleThreadExecutor(r -> {
                Thread thread = new Thread(r, "metrics-http");
                thread.setDaemon(true);
                return thread;
            }));
            http.start();
            log.info("Metrics at http://localhost:{}/metrics, health at /health", http.getAddress().getPort());
            return http;
        } catch (IOException e) {
            throw new InvalidSettingException("--metrics-port=" + port + ": cannot listen (" + e.getMessage() + ")", e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
