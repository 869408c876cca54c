#!/usr/bin/env bash
# Runs one of Kafka's main classes with the image's jars, as apache/kafka's script of the same name does.
# Short-lived tools start faster with the serial collector and the C1 compiler only (KAFKA_JVM_PERFORMANCE_OPTS).
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM flags
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/tools-log4j2.properties} \
  -cp '/opt/kafka/libs/*' "$@"
