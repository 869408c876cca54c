#!/usr/bin/env bash
# Runs one of Kafka's main classes with the image's jars, as apache/kafka's script of the same name does.
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/tools-log4j2.properties} \
  -cp '/opt/kafka/libs/*' "$@"
