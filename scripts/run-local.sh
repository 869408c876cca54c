#!/usr/bin/env bash
# The whole pipeline on this machine, without Docker: a real Apache Kafka broker (KRaft) started from Maven
# Central's jars as a process of its own, consumers and a producer as separate processes, then join.
# Everything is stopped at the end. The exit code is non-zero if any part failed (the broker too: it must answer
# within BROKER_START_TIMEOUT seconds); then the run's files (the broker's log, each process's standard error) are
# kept and their path and last lines printed; after a run that succeeded they are removed.
#
# Settings (environment, with defaults): COUNT=20 MAXSIZE=5 INTERVAL_MS=100 WORK_MS=200 PARTITIONS=3
# CONSUMERS=3 COMMIT=batch TOPIC=jobs GROUP=workers GROUP_TYPE=consumer LOCAL_KAFKA_PORT=29092 JOIN_TIMEOUT=300s BROKER_START_TIMEOUT=60
# Kafka's version is the parent pom's <kafka.version> (scripts/kafka-version.sh); the broker's settings are
# docker/kafka/config/kraft-single-node.properties plus this run's listeners and log directory.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-20} MAXSIZE=${MAXSIZE:-5} INTERVAL_MS=${INTERVAL_MS:-100} WORK_MS=${WORK_MS:-200}
PARTITIONS=${PARTITIONS:-3} CONSUMERS=${CONSUMERS:-3} COMMIT=${COMMIT:-batch}
TOPIC=${TOPIC:-jobs} GROUP=${GROUP:-workers} GROUP_TYPE=${GROUP_TYPE:-consumer} PORT=${LOCAL_KAFKA_PORT:-29092} JOIN_TIMEOUT=${JOIN_TIMEOUT:-300s}
# shellcheck source=local-broker/broker.sh
. scripts/local-broker/broker.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/kafka-queue-local.XXXXXX")
consumer_pids=()
started=$(date +%s)

say() { printf '%-11s| %s\n' "$1" "$2"; }
prefixed() { local name=$1; shift; "$@" 2>"$work/$name.err" | while IFS= read -r line; do say "$name" "$line"; done; return "${PIPESTATUS[0]}"; }

# The end of each file the run wrote, for a run that failed; false if it wrote none.
show_files() {
  local file shown=false
  for file in "$work"/broker.log "$work"/format.log "$work"/*.err; do
    [ -s "$file" ] || continue
    echo "--- last lines of $file" >&2
    tail -20 "$file" >&2
    shown=true
  done
  [ "$shown" = true ]
}

cleanup() {
  local code=$? pid
  for pid in "${consumer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${consumer_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  broker_stop
  if [ "$code" -ne 0 ] && show_files; then
    echo "run-local: failed (exit $code); the broker's log and each process's standard error are kept in $work" >&2
  else
    rm -rf "$work"
    [ "$code" -eq 0 ] || echo "run-local: failed (exit $code)" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${SKIP_BUILD:-}" != 1 ]; then
  say build "./mvnw -B -q -DskipTests package"
  ./mvnw -B -q -DskipTests package
fi
kafka_libs
broker_start "$work" "$PORT" 512m || exit 1
say broker "Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$PORT, pid $BROKER_PID, up after $(( $(date +%s) - started ))s"

BOOT=(--bootstrap-servers "127.0.0.1:$PORT" --topic "$TOPIC" --group "$GROUP" --group-type "$GROUP_TYPE")
# The producer creates the topic with its partitions before the consumers subscribe.
prefixed producer java -Xmx256m -jar producer-service/target/producer-service.jar "${BOOT[@]}" \
  --partitions "$PARTITIONS" --count 0 --no-pill > /dev/null
for i in $(seq 1 "$CONSUMERS"); do
  prefixed "consumer-$i" java -Xmx256m -jar consumer-service/target/consumer-service.jar "${BOOT[@]}" \
    --work-ms "$WORK_MS" --commit "$COMMIT" &
  consumer_pids+=($!)
done

status=0
prefixed producer java -Xmx256m -jar producer-service/target/producer-service.jar "${BOOT[@]}" \
  --count "$COUNT" --maxsize "$MAXSIZE" --interval-ms "$INTERVAL_MS" --timeout "$JOIN_TIMEOUT" || status=$?
say producer "exited $status"
[ "$status" -eq 0 ] || exit "$status"

join_status=0
prefixed join java -Xmx256m -jar producer-service/target/producer-service.jar join "${BOOT[@]}" \
  --timeout "$JOIN_TIMEOUT" --count "$COUNT" --closed || join_status=$?
say join "exited $join_status after $(( $(date +%s) - started ))s"

failed=$join_status
for i in "${!consumer_pids[@]}"; do
  code=0
  wait "${consumer_pids[$i]}" || code=$?
  say "consumer-$((i + 1))" "exited $code"
  [ "$code" -eq 0 ] || failed=$code
done
consumer_pids=()
exit "$failed"
