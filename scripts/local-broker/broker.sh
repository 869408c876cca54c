# shellcheck shell=bash
# Functions to start and stop a single-node Apache Kafka broker (KRaft) from Maven Central's jars, without Docker.
# Sourced by scripts/run-local.sh, scripts/bench.sh and scripts/soak.sh; run from the repository root.
#
#   kafka_libs                      resolves Kafka's jars (broker and tools) into $KAFKA_LIBS once
#   broker_start DIR PORT [HEAP]    formats DIR and starts a broker on 127.0.0.1:PORT (controller on PORT+1);
#                                   sets BROKER_PID; returns non-zero (saying why on stderr) if the port is taken
#                                   or the broker does not listen within BROKER_START_TIMEOUT seconds (60)
#   broker_stop                     SIGTERM, up to 30 s, then SIGKILL
KAFKA_VERSION=$(scripts/kafka-version.sh)
KAFKA_LIBS=${KAFKA_LIBS:-$HOME/.cache/kafka-queue/kafka-$KAFKA_VERSION-libs}
BROKER_START_TIMEOUT=${BROKER_START_TIMEOUT:-60}
BROKER_PID=""

kafka_libs() {
  if [ ! -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    echo "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIBS" >&2
    ./mvnw -B -q -f scripts/local-broker/pom.xml validate dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS"
  fi
}

broker_start() {
  local dir=$1 port=$2 heap=${3:-512m} p
  # Callers' default ports lie below Linux's ephemeral range (32768-60999 by default): a port in that range can be
  # held for a moment by any client connection's local end, and the broker's bind then fails.
  for p in "$port" "$((port + 1))"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "127.0.0.1:$p is taken by another process: stop it, or choose another port" >&2
      return 1
    fi
  done
  mkdir -p "$dir"
  # The one single-node KRaft config, plus what differs per run.
  {
    cat docker/kafka/config/kraft-single-node.properties
    echo "controller.quorum.voters=1@127.0.0.1:$((port + 1))"
    echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    echo "log.dirs=$dir/data"
  } > "$dir/server.properties"
  java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format --ignore-formatted \
    -t "$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid)" \
    -c "$dir/server.properties" > "$dir/format.log" 2>&1
  # The JVM options Kafka's own kafka-server-start.sh and kafka-run-class.sh give a broker (a heap at its full size
  # from the start, G1 with 20 ms pauses), with the heap size given here.
  java "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/broker.log" 2>&1 &
  BROKER_PID=$!
  local _
  for _ in $(seq 1 "$BROKER_START_TIMEOUT"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
      echo "the broker exited before it listened on 127.0.0.1:$port; its log: $dir/broker.log" >&2
      return 1
    fi
    sleep 1
  done
  echo "the broker did not listen on 127.0.0.1:$port within ${BROKER_START_TIMEOUT}s (BROKER_START_TIMEOUT);" \
    "its log: $dir/broker.log" >&2
  return 1
}

broker_stop() {
  [ -n "$BROKER_PID" ] || return 0
  kill -TERM "$BROKER_PID" 2>/dev/null || true
  local _
  for _ in $(seq 1 30); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 1; done
  kill -KILL "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}
