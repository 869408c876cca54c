#!/usr/bin/env bash
# The whole pipeline on this machine, without Docker: a real Apache Kafka broker (KRaft) started from Maven
# Central's jars as a process of its own, consumers and a producer as separate processes, then join.
# Everything is stopped and its files removed at the end; the exit code is non-zero if any part failed.
#
# Settings (environment, with defaults): COUNT=20 MAXSIZE=5 INTERVAL_MS=100 WORK_MS=200 PARTITIONS=3
# CONSUMERS=3 COMMIT=batch TOPIC=jobs GROUP=workers GROUP_TYPE=consumer LOCAL_KAFKA_PORT=39092 JOIN_TIMEOUT=300s
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-20} MAXSIZE=${MAXSIZE:-5} INTERVAL_MS=${INTERVAL_MS:-100} WORK_MS=${WORK_MS:-200}
PARTITIONS=${PARTITIONS:-3} CONSUMERS=${CONSUMERS:-3} COMMIT=${COMMIT:-batch}
TOPIC=${TOPIC:-jobs} GROUP=${GROUP:-workers} GROUP_TYPE=${GROUP_TYPE:-consumer} PORT=${LOCAL_KAFKA_PORT:-39092} JOIN_TIMEOUT=${JOIN_TIMEOUT:-300s}
KAFKA_VERSION=4.3.1
LIBS=${KAFKA_LIBS:-$HOME/.cache/kafka-queue/kafka-$KAFKA_VERSION-libs}

work=$(mktemp -d "${TMPDIR:-/tmp}/kafka-queue-local.XXXXXX")
broker_pid=""
consumer_pids=()
started=$(date +%s)

say() { printf '%-11s| %s\n' "$1" "$2"; }
prefixed() { local name=$1; shift; "$@" 2>"$work/$name.err" | while IFS= read -r line; do say "$name" "$line"; done; return "${PIPESTATUS[0]}"; }

cleanup() {
  local pid
  for pid in "${consumer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${consumer_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$broker_pid" ]; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${SKIP_BUILD:-}" != 1 ]; then
  say build "./mvnw -B -q -DskipTests package"
  ./mvnw -B -q -DskipTests package
fi
if [ ! -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  say build "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS"
  ./mvnw -B -q -f scripts/local-broker/pom.xml dependency:copy-dependencies -DoutputDirectory="$LIBS"
fi

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((PORT + 1))
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$((PORT + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$work/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
java -cp "$LIBS/*" kafka.tools.StorageTool format --ignore-formatted -t "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)" \
  -c "$work/server.properties" > "$work/format.log" 2>&1
java -Xmx512m -cp "$LIBS/*" kafka.Kafka "$work/server.properties" > "$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 60); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker.log"; echo "the broker exited" >&2; exit 1; }
  sleep 1
done
say broker "Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$PORT, pid $broker_pid, up after $(( $(date +%s) - started ))s"

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
