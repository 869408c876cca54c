#!/usr/bin/env bash
# kafka-server-start.sh CONFIG: the broker in the foreground, logging to stdout.
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM flags
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:-} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp '/opt/kafka/libs/*' kafka.Kafka "$@"
