#!/usr/bin/env bash
# CI check of docker-compose.yml: runs the whole pipeline (broker, topic, producer, CONSUMERS consumers, join) and
# checks that it did the work:
#   - create-topic, the producer, every consumer and join exited 0 (and there were CONSUMERS consumers);
#   - join printed its done line for all COUNT items, and the consumers consumed every id 0..COUNT-1;
#   - Kafka's own group tool inside the broker shows LAG 0 on every partition of the group:
#     `kafka-consumer-groups.sh --describe`, or `ShareGroupCommand --describe` with GROUP_TYPE=share.
# Everything is removed at the end (`down -v`), whatever happened. Exits non-zero, saying what failed, otherwise.
#
#   scripts/compose-smoke.sh                 # images from the environment (KAFKA_IMAGE, BUILD_IMAGE, RUNTIME_IMAGE)
#   LOCAL_IMAGES=1 scripts/compose-smoke.sh  # the locally built images of scripts/local-images.env (no registry)
# When an image variable names a kafka-queue/* image, scripts/build-local-images.sh builds what is missing first.
#
# Settings (environment): CONSUMERS=3 COUNT=20 PARTITIONS=3 MAXSIZE=5 INTERVAL_MS=100 WORK_MS=200 COMMIT=batch
# GROUP_TYPE=consumer (or share) CONCURRENCY=1
# TOPIC=jobs GROUP=workers JOIN_TIMEOUT=180s, SMOKE_TIMEOUT=240 (seconds for up + join), KAFKA_HOST_PORT=29192,
# COMPOSE (default: `docker compose` when Compose v2 is there, else `docker-compose`), SMOKE_PROJECT=kqsmoke.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LOCAL_IMAGES:-}" = 1 ]; then
  set -a
  # shellcheck source=scripts/local-images.env
  . scripts/local-images.env
  set +a
fi
export CONSUMERS=${CONSUMERS:-3} COUNT=${COUNT:-20} PARTITIONS=${PARTITIONS:-3} MAXSIZE=${MAXSIZE:-5}
export INTERVAL_MS=${INTERVAL_MS:-100} WORK_MS=${WORK_MS:-200} COMMIT=${COMMIT:-batch}
export TOPIC=${TOPIC:-jobs} GROUP=${GROUP:-workers} JOIN_TIMEOUT=${JOIN_TIMEOUT:-180s}
export GROUP_TYPE=${GROUP_TYPE:-consumer} CONCURRENCY=${CONCURRENCY:-1}
export KAFKA_HOST_PORT=${KAFKA_HOST_PORT:-29192}
timeout_s=${SMOKE_TIMEOUT:-240}
project=${SMOKE_PROJECT:-kqsmoke}

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<< "$COMPOSE"
elif docker compose version > /dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi
compose_version=$("${compose[@]}" version --short 2>/dev/null || echo '?')
compose+=(-p "$project" -f docker-compose.yml)
dc() { "${compose[@]}" "$@"; }

started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }
say() { echo "compose-smoke: $*"; }
log=$(mktemp "${TMPDIR:-/tmp}/compose-smoke.XXXXXX")
failed=""
fail() { failed="$*"; echo "compose-smoke: FAILED: $*" >&2; exit 1; }

cleanup() {
  local code=$?
  if [ "$code" -ne 0 ]; then
    echo "compose-smoke: the compose commands' output:" >&2
    tail -40 "$log" >&2 || true
    echo "compose-smoke: the last lines of each container's log:" >&2
    dc logs --no-color --tail=25 >&2 2>&1 || true
  fi
  dc down -v --remove-orphans > /dev/null 2>&1 || true
  rm -f "$log"
  if [ "$code" -ne 0 ]; then
    echo "compose-smoke: FAILED after $(elapsed)${failed:+: $failed}" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'failed="interrupted"; exit 130' INT TERM

# docker-compose.yml cannot read the pom: its default broker image must carry the pom's Kafka version.
kafka_version=$(scripts/kafka-version.sh)
defaults=$(grep -c "KAFKA_IMAGE:-apache/kafka:$kafka_version}" docker-compose.yml || true)
[ "$defaults" -eq 2 ] || fail "docker-compose.yml's default KAFKA_IMAGE is not apache/kafka:$kafka_version" \
  "(pom.xml's kafka.version) in both places"
say "${compose[*]} ($compose_version), images:" \
    "KAFKA_IMAGE=${KAFKA_IMAGE:-apache/kafka:$kafka_version} BUILD_IMAGE=${BUILD_IMAGE:-maven:3.9-eclipse-temurin-17}" \
    "RUNTIME_IMAGE=${RUNTIME_IMAGE:-eclipse-temurin:17-jre}"
case " ${KAFKA_IMAGE:-} ${BUILD_IMAGE:-} ${RUNTIME_IMAGE:-} " in
  *" kafka-queue/"*) scripts/build-local-images.sh ;;
esac

dc down -v --remove-orphans > /dev/null 2>&1 || true   # what an interrupted run may have left
say "building the services' images"
dc build >> "$log" 2>&1 || fail "building the services' images (docker-compose.yml, Dockerfile)." \
  "Without an image registry, LOCAL_IMAGES=1 uses the images scripts/build-local-images.sh builds."
say "images built after $(elapsed); up with $CONSUMERS consumers ($GROUP_TYPE group, concurrency $CONCURRENCY)," \
    "$COUNT items, $PARTITIONS partitions"
up_started=$(date +%s)
# up -d returns once the producer has completed (join depends on it) and join has started.
timeout "$timeout_s" "${compose[@]}" up -d --scale "consumer=$CONSUMERS" >> "$log" 2>&1 \
  || fail "up did not complete within ${timeout_s}s (or a dependency failed): see the output above"

ids() { dc ps -a -q "$1"; }
join_id=$(ids join)
[ -n "$join_id" ] || fail "no join container"
remaining=$(( timeout_s - ($(date +%s) - up_started) ))
[ "$remaining" -gt 0 ] || remaining=1
timeout "$remaining" docker wait "$join_id" > /dev/null || fail "join did not finish within ${timeout_s}s of up"
up_to_join=$(( $(date +%s) - up_started ))
say "join finished ${up_to_join}s after up"

exit_code() { docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$1"; }
exit_deadline=$(( $(date +%s) + 60 ))
expect_exited_0() {
  local svc=$1 id state left
  for id in $(ids "$svc"); do
    # A consumer leaves after join saw lag 0: give them all together a minute at most to close their partitions.
    left=$(( exit_deadline - $(date +%s) ))
    if [ "$left" -gt 0 ]; then timeout "$left" docker wait "$id" > /dev/null 2>&1 || true; fi
    state=$(exit_code "$id")
    [ "$state" = "exited 0" ] || fail "$svc container ${id:0:12} is '$state', expected 'exited 0'"
  done
}
[ "$(ids producer | wc -l)" -eq 1 ] || fail "expected one producer container"
consumers=$(ids consumer | wc -l)
[ "$consumers" -eq "$CONSUMERS" ] || fail "expected $CONSUMERS consumer containers, found $consumers"
for svc in create-topic producer join consumer; do expect_exited_0 "$svc"; done
say "create-topic, producer, join and $consumers consumers exited 0"

join_out=$(docker logs "$join_id" 2>/dev/null)
done_line=$(grep -E "^join: done, lag 0 on all [0-9]+ partitions of $TOPIC for group $GROUP.*all $COUNT items done" \
              <<< "$join_out" || true)
[ -n "$done_line" ] || fail "join's output has no done line for $COUNT items; its last lines: $(tail -5 <<< "$join_out")"
say "join: ${done_line#join: }"

grep -q "^Producer done: $COUNT items" <<< "$(docker logs "$(ids producer)" 2>/dev/null)" \
  || fail "the producer did not print 'Producer done: $COUNT items ...'"
consumed=$(for id in $(ids consumer); do docker logs "$id" 2>/dev/null; done \
           | sed -nE 's/^Consumed ([0-9]+) .*/\1/p' | sort -un | wc -l)
[ "$consumed" -eq "$COUNT" ] || fail "the consumers consumed $consumed distinct ids, expected all $COUNT"
say "the consumers consumed all $COUNT ids"

if [ "$GROUP_TYPE" = share ]; then
  tool="ShareGroupCommand"
  describe=$(dc exec -T kafka bash -c "java -cp '/opt/kafka/libs/*' \
               org.apache.kafka.tools.consumer.group.ShareGroupCommand --bootstrap-server localhost:9092 \
               --describe --group $GROUP" 2>/dev/null) || fail "ShareGroupCommand --describe failed"
else
  tool="kafka-consumer-groups.sh"
  describe=$(dc exec -T kafka /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 \
               --describe --group "$GROUP" 2>/dev/null) || fail "kafka-consumer-groups.sh --describe failed"
fi
# The LAG column, found by its header, for each of the group's rows on the topic.
lags=$(awk -v group="$GROUP" -v topic="$TOPIC" '
  $1 == "GROUP" { for (i = 1; i <= NF; i++) { if ($i == "LAG") lag = i; if ($i == "PARTITION") part = i } next }
  lag && $1 == group && $2 == topic { print $part, $lag }' <<< "$describe")
rows=$(grep -c . <<< "$lags" || true)
[ "$rows" -eq "$PARTITIONS" ] || fail "$tool --describe shows $rows partitions, expected $PARTITIONS: $describe"
nonzero=$(awk '$2 != "0"' <<< "$lags")
[ -z "$nonzero" ] || fail "LAG is not 0 on every partition (partition lag): $nonzero"
say "$tool --describe: LAG 0 on all $rows partitions of $TOPIC for group $GROUP"

say "OK after $(elapsed) (up -> join done in ${up_to_join}s)"
