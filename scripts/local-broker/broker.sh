# shellcheck shell=bash
# Functions to start and stop a single-node Apache Kafka broker (KRaft) from Maven Central's jars, without Docker.
# Sourced by scripts/run-local.sh and scripts/bench.sh; run from the repository root.
#
#   kafka_libs                      resolves Kafka's jars (broker and tools) into $KAFKA_LIBS once
#   broker_start DIR PORT [HEAP]    formats DIR and starts a broker on 127.0.0.1:PORT (controller on PORT+1);
#                                   sets BROKER_PID; returns non-zero (log on stderr) if it does not come up
#   broker_stop                     SIGTERM, up to 30 s, then SIGKILL
KAFKA_VERSION=4.3.1
KAFKA_LIBS=${KAFKA_LIBS:-$HOME/.cache/kafka-queue/kafka-$KAFKA_VERSION-libs}
BROKER_PID=""

kafka_libs() {
  if [ ! -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    echo "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIBS" >&2
    ./mvnw -B -q -f scripts/local-broker/pom.xml dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS"
  fi
}

broker_start() {
  local dir=$1 port=$2 heap=${3:-512m}
  mkdir -p "$dir"
  # One broker: every internal topic (offsets, transactions, share-group state) has one replica.
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((port + 1))
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format --ignore-formatted \
    -t "$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid)" \
    -c "$dir/server.properties" > "$dir/format.log" 2>&1
  java "-Xmx$heap" -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" > "$dir/broker.log" 2>&1 &
  BROKER_PID=$!
  local _
  for _ in $(seq 1 60); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
      cat "$dir/broker.log" >&2
      echo "the broker exited" >&2
      return 1
    fi
    sleep 1
  done
  echo "the broker did not listen on 127.0.0.1:$port within 60 s" >&2
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
