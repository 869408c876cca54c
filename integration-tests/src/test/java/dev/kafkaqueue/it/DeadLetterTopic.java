package dev.kafkaqueue.it;

import static java.util.concurrent.TimeUnit.SECONDS;

import dev.kafkaqueue.internal.codec.QueueMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads a dead-letter topic, as a user would inspect it: each record's key, value and headers, with the
 * {@code dlt.*} headers the consumer adds picked out.
 *
 * <p>A missing topic reads as empty, and is never created by reading it: existence is checked with the admin client
 * first, because a plain consumer's metadata request would make a broker with auto-create on create it.
 */
final class DeadLetterTopic {

    static final String SOURCE_TOPIC = "dlt.source.topic";
    static final String SOURCE_PARTITION = "dlt.source.partition";
    static final String SOURCE_OFFSET = "dlt.source.offset";
    static final String ERROR_CLASS = "dlt.error.class";
    static final String ERROR_MESSAGE = "dlt.error.message";
    /** On the dead letter of an {@code --exec} command that failed: its exit status. */
    static final String EXEC_EXIT_STATUS = "dlt.exec.exit.status";
    /** On the dead letter of an {@code --exec} command that failed: the last lines of its standard error. */
    static final String EXEC_STDERR = "dlt.exec.stderr";

    /** Where a dead letter came from: the source record's partition and offset. */
    record Source(int partition, long offset) {
    }

    /**
     * One dead-letter record.
     *
     * @param raw     the record as it is on the dead-letter topic
     * @param message what its value decodes to (an item whose processing failed), or null for an unreadable one
     */
    record DeadLetter(ConsumerRecord<byte[], byte[]> raw, QueueMessage message) {

        byte[] key() {
            return raw.key();
        }

        byte[] value() {
            return raw.value();
        }

        /** The last value of header {@code name} as UTF-8, or null if there is none. */
        String header(String name) {
            Header header = raw.headers().lastHeader(name);
            return header == null || header.value() == null ? null
                    : new String(header.value(), StandardCharsets.UTF_8);
        }

        /** The headers the source record had: all but the {@code dlt.*} ones the consumer added, in order. */
        List<Header> originalHeaders() {
            List<Header> original = new ArrayList<>();
            for (Header header : raw.headers()) {
                if (!header.key().startsWith("dlt.")) {
                    original.add(header);
                }
            }
            return original;
        }

        String sourceTopic() {
            return header(SOURCE_TOPIC);
        }

        Source source() {
            return new Source(Integer.parseInt(required(SOURCE_PARTITION)), Long.parseLong(required(SOURCE_OFFSET)));
        }

        String errorClass() {
            return header(ERROR_CLASS);
        }

        String errorMessage() {
            return header(ERROR_MESSAGE);
        }

        /** The item id, when the value is a readable item (a processing failure); an AssertionError otherwise. */
        long itemId() {
            if (message instanceof QueueMessage.Item item) {
                return item.id();
            }
            throw new AssertionError("not an item: " + this);
        }

        private String required(String name) {
            String value = header(name);
            if (value == null) {
                throw new AssertionError("dead letter without header " + name + ": " + this);
            }
            return value;
        }

        @Override
        public String toString() {
            return raw.topic() + "-" + raw.partition() + "@" + raw.offset() + " from " + header(SOURCE_TOPIC) + "-"
                    + header(SOURCE_PARTITION) + "@" + header(SOURCE_OFFSET) + " " + header(ERROR_CLASS) + ": "
                    + header(ERROR_MESSAGE);
        }
    }

    private DeadLetterTopic() {
    }

    /** The name the consumer uses without {@code --dlt-topic}. */
    static String defaultName(String topic) {
        return topic + ".DLT";
    }

    /** The records of the queue's default dead-letter topic on the shared broker; empty if it does not exist. */
    static List<DeadLetter> read(TestQueue queue) {
        return read(queue.broker().bootstrapServers(), defaultName(queue.topic()));
    }

    /** The records of dead-letter topic {@code topic}, by partition and offset; empty if it does not exist. */
    static List<DeadLetter> read(String bootstrapServers, String topic) {
        if (!exists(bootstrapServers, topic)) {
            return List.of();
        }
        return Records.read(bootstrapServers, topic).stream()
                .map(record -> new DeadLetter(record.raw(), record.message()))
                .toList();
    }

    /** True if the topic exists; asks the admin client, so nothing is created. */
    static boolean exists(String bootstrapServers, String topic) {
        try (Admin admin = Broker.admin(bootstrapServers)) {
            return admin.listTopics().names().get(30, SECONDS).contains(topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot list the topics at " + bootstrapServers, e);
        }
    }
}
