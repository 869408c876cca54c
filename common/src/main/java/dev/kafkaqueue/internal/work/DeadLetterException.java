package dev.kafkaqueue.internal.work;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;

/** A dead-letter write failed: the source record's offset stays uncommitted, and the run ends. */
public final class DeadLetterException extends KafkaException {

    private static final long serialVersionUID = 1L;

    DeadLetterException(String topic, ConsumerRecord<?, ?> record, Throwable cause) {
        this(topic, record, String.valueOf(cause), cause);
    }

    DeadLetterException(String topic, ConsumerRecord<?, ?> record, String detail, Throwable cause) {
        super("cannot write " + record.topic() + "-" + record.partition() + "@" + record.offset()
                + " to dead-letter topic " + topic + ": " + detail, cause);
    }
}
