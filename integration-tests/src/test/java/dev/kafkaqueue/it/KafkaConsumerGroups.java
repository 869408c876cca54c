package dev.kafkaqueue.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kafka's own {@code kafka-consumer-groups} ({@code org.apache.kafka.tools.consumer.group.ConsumerGroupCommand} from
 * kafka-tools, the pom's Kafka version, on the test classpath), run as a separate process the way a user runs it,
 * because the tool may call {@code Exit}. Only {@code --describe} is parsed.
 */
final class KafkaConsumerGroups {

    /**
     * One row of the {@code --describe} table: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID
     * HOST CLIENT-ID. The tool's "-" is kept as null.
     */
    record Row(String group, String topic, int partition, Long currentOffset, Long logEndOffset, Long lag,
               String consumerId) {
    }

    private KafkaConsumerGroups() {
    }

    /**
     * Runs {@code kafka-consumer-groups --bootstrap-server B --describe --group G} and returns the rows for
     * {@code topic}, by partition. Fails if the tool does not exit 0 within 60 s or prints no table header.
     */
    static Map<Integer, Row> describe(TestQueue queue) {
        List<String> command = new ArrayList<>(List.of(ServiceProcess.javaBin()));
        command.addAll(ServiceProcess.JVM_FLAGS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server", queue.broker().bootstrapServers(), "--describe", "--group", queue.group()));
        ServiceProcess tool = queue.track(ServiceProcess.start("kafka-consumer-groups", command));
        int exit = tool.awaitExit(Duration.ofSeconds(60));
        if (exit != 0) {
            throw new AssertionError("kafka-consumer-groups exited " + exit + "\n" + tool.output());
        }
        return parse(tool, queue.group(), queue.topic());
    }

    private static Map<Integer, Row> parse(ServiceProcess tool, String group, String topic) {
        Map<Integer, Row> rows = new TreeMap<>();
        boolean header = false;
        for (ServiceProcess.Line line : tool.lines()) {
            String[] cols = line.text().trim().split("\\s+");
            if (cols.length >= 6 && cols[0].equals("GROUP") && cols[1].equals("TOPIC") && cols[2].equals("PARTITION")
                    && cols[3].equals("CURRENT-OFFSET") && cols[4].equals("LOG-END-OFFSET") && cols[5].equals("LAG")) {
                header = true;
            } else if (header && cols.length >= 6 && cols[0].equals(group) && cols[1].equals(topic)) {
                int partition = Integer.parseInt(cols[2]);
                rows.put(partition, new Row(cols[0], cols[1], partition, number(cols[3]), number(cols[4]),
                        number(cols[5]), cols.length > 6 ? cols[6] : null));
            }
        }
        if (!header) {
            throw new AssertionError("no --describe table from kafka-consumer-groups\n" + tool.output());
        }
        return rows;
    }

    private static Long number(String column) {
        return column.equals("-") ? null : Long.valueOf(column);
    }
}
