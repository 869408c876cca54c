#!/usr/bin/env bash
# The queue past one broker, under fire: the compose pipeline on three KRaft brokers (docker-compose.yml with
# docker-compose.cluster.yml: replication factor 3, min.insync.replicas 2), with brokers SIGKILLed while it runs, then
# the soak's oracle. Modelled on Kafka's own replication_test.py (3 brokers, RF 3, min ISR 2, the leader hard-killed
# five times in a row, every acknowledged message consumed). Not part of the default test run.
#
#   scripts/cluster-chaos.sh                      5 kills, each of a partition leader (even kills: the group's
#                                                 coordinator), restarted after 10 s; about 8 minutes
#   scripts/cluster-chaos.sh --group-type share   the same on a share group
#   scripts/cluster-chaos.sh --stay-down 1        then one broker killed for good: the run completes on two
#   scripts/cluster-chaos.sh --stay-down 2        then two killed: puts wait (NOT_ENOUGH_REPLICAS), the producer says so
#                                                 in one line, no put is acknowledged; one is restarted after
#                                                 --down-seconds, and the run completes with the other still down
#   scripts/cluster-chaos.sh --smoke              CI, about 3 minutes: --kills 0 --stay-down 2 on 800 items: a
#                                                 leader killed and restarted while a second broker is down too
#
# Each kill: the victim's container gets SIGKILL (docker kill); the script waits until the controller has moved its
# leaderships and taken it out of every ISR, keeps it down --down-seconds in all, restarts it (docker start: same
# data, same listeners) and waits until no partition of any topic is under-replicated before the next fault.
# Then, as scripts/soak.sh judges its runs:
#   - the soak's oracle (scripts/soak-oracle.sh) on the producer's "Produced" lines and the consumers' "Consumed"
#     lines (ITEM_LOG=each): every acknowledged put applied, "0 lost, 0 applied twice";
#   - create-topic, the producer, every consumer and join exited 0, and join printed its done line for all items;
#   - Kafka's own tool shows LAG 0 on every partition: kafka-consumer-groups.sh --describe, or ShareGroupCommand
#     --describe with --group-type share;
#   - every topic (the queue's, its dead-letter topic, Kafka's own) has replication factor 3, min.insync.replicas 2.
# It prints what it did (t=seconds since up) and what it found, and exits 0 when everything held, 1 when something did
# not (saying what), 2 for bad flags. Everything is removed at the end (`down -v`); the run's files (each container's
# output) are kept when it failed or with --keep.
#
# The services' images are built first, as by scripts/compose-smoke.sh: from the same Dockerfile, so after that script
# (or an earlier run) every layer comes from Docker's cache and the build takes seconds.
# Environment: LOCAL_IMAGES=1 uses the images of scripts/local-images.env (a machine without a registry);
# COMPOSE as in scripts/compose-smoke.sh;
# CHAOS_PROJECT (kqchaos) the compose project; CHAOS_HOST_PORT (29592) kafka's host port, kafka-2 and kafka-3 take
# the next two; CHAOS_TIMEOUT (seconds, default 900; 420 with --smoke) for the whole run after the images are built.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'FLAGS'
Flags:
  --kills N              leader kills, each followed by a restart (default 5; --smoke 0)
  --down-seconds S       how long a killed broker stays down before its restart (default 10)
  --stay-down N          after the kills: 0 (default), 1 broker killed for good, or 2 (one restarted after
                         --down-seconds, the other down for good)
  --group-type TYPE      consumer (default) or share
  --count N              items the producer puts (default 6000; --smoke 800)
  --interval-ms MS       producer pause before each put (default 50; --smoke 100)
  --maxsize M            producer's bound on unfinished items (default 50; --smoke 0, unbounded)
  --work-ms MS           consumers' simulated work per item (default 20)
  --consumers N          consumer containers (default 3)
  --partitions P         partitions of the topic (default 3)
  --smoke                the CI run: --kills 0 --stay-down 2 --count 800 --interval-ms 100
  --keep                 keep the run's files (containers' output, the oracle's inputs)
FLAGS
}

bad_flag() { echo "cluster-chaos.sh: $1 (see --help)" >&2; exit 2; }
need_int() { # FLAG VALUE [LEAST]
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "${3:-1}" ]; then
    bad_flag "$1 must be a whole number >= ${3:-1}, got '${2}'"
  fi
}

KILLS="" DOWN_SECONDS=10 STAY_DOWN="" GROUP_TYPE=consumer COUNT="" INTERVAL_MS="" MAXSIZE="" WORK_MS=20
CONSUMERS=3 PARTITIONS=3 SMOKE=0 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) need_int "$1" "${2:-}" 0; KILLS=$2; shift ;;
    --down-seconds) need_int "$1" "${2:-}" 1; DOWN_SECONDS=$2; shift ;;
    --stay-down)
      [[ "${2:-}" =~ ^[012]$ ]] || bad_flag "--stay-down must be 0, 1 or 2, got '${2:-}'"
      STAY_DOWN=$2; shift ;;
    --group-type)
      case "${2:-}" in consumer | share) GROUP_TYPE=$2 ;; *) bad_flag "--group-type must be consumer or share, got '${2:-}'" ;; esac
      shift ;;
    --count) need_int "$1" "${2:-}" 1; COUNT=$2; shift ;;
    --interval-ms) need_int "$1" "${2:-}" 0; INTERVAL_MS=$2; shift ;;
    --maxsize) need_int "$1" "${2:-}" 0; MAXSIZE=$2; shift ;;
    --work-ms) need_int "$1" "${2:-}" 0; WORK_MS=$2; shift ;;
    --consumers) need_int "$1" "${2:-}" 1; CONSUMERS=$2; shift ;;
    --partitions) need_int "$1" "${2:-}" 1; PARTITIONS=$2; shift ;;
    --smoke) SMOKE=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) bad_flag "unknown flag '$1'; allowed: --kills --down-seconds --stay-down --group-type --count --interval-ms --maxsize --work-ms --consumers --partitions --smoke --keep --help" ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then
  # Straight to two brokers down, whose first victim is a partition leader, killed and restarted. The puts must still
  # run when the second broker dies: a leader kill before (a restart that waits for every ISR) took 40 s to 130 s
  # here, with the machine's load, and once outlasted 1000 puts. At most 10 puts a second, 800 items leave a
  # minute or more after the second kill.
  KILLS=${KILLS:-0} STAY_DOWN=${STAY_DOWN:-2} COUNT=${COUNT:-800} INTERVAL_MS=${INTERVAL_MS:-100}
  # Unbounded, so that a put is in flight when the second broker dies. With --maxsize 50 a CI run had the producer
  # held by the consumers' commits (the first kill moved their coordinator) from 209 puts on: no send waited on the
  # replicas, and the producer rightly never said that puts wait.
  MAXSIZE=${MAXSIZE:-0}
fi
MAXSIZE=${MAXSIZE:-50}
# At most 20 puts a second: 6000 items keep the producer busy for 5 minutes or more, enough for 5 kills.
KILLS=${KILLS:-5} STAY_DOWN=${STAY_DOWN:-0} COUNT=${COUNT:-6000} INTERVAL_MS=${INTERVAL_MS:-50}
timeout_s=${CHAOS_TIMEOUT:-$([ "$SMOKE" = 1 ] && echo 420 || echo 900)}
need_int CHAOS_TIMEOUT "$timeout_s" 60

if [ "${LOCAL_IMAGES:-}" = 1 ]; then
  set -a
  # shellcheck source=scripts/local-images.env
  . scripts/local-images.env
  set +a
fi
host_port=${CHAOS_HOST_PORT:-29592}
need_int CHAOS_HOST_PORT "$host_port" 1024
# The settings docker-compose.yml and docker-compose.cluster.yml read.
export COUNT MAXSIZE INTERVAL_MS WORK_MS PARTITIONS GROUP_TYPE ITEM_LOG=each COMMIT=batch CONCURRENCY=1
export TOPIC=jobs GROUP=workers JOIN_TIMEOUT=${JOIN_TIMEOUT:-300s}
export KAFKA_HOST_PORT=$host_port KAFKA_2_HOST_PORT=$((host_port + 1)) KAFKA_3_HOST_PORT=$((host_port + 2))
project=${CHAOS_PROJECT:-kqchaos}

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<< "$COMPOSE"
elif docker compose version > /dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi
compose_version=$("${compose[@]}" version --short 2>/dev/null || echo '?')
compose+=(-p "$project" -f docker-compose.yml -f docker-compose.cluster.yml)
dc() { "${compose[@]}" "$@"; }

BROKERS=(kafka kafka-2 kafka-3) # node ids 1, 2, 3
work=$(mktemp -d "${TMPDIR:-/tmp}/cluster-chaos.XXXXXX")
started=$(date +%s) up_started="" up_pid="" failed="" result=1
elapsed() { echo "$(( $(date +%s) - started ))s"; }
t() { echo "t=$(( $(date +%s) - ${up_started:-$started} ))s"; }
say() { echo "cluster-chaos: $*"; }
fail() { failed="$*"; echo "cluster-chaos: FAILED: $*" >&2; exit 1; }

cleanup() {
  local code=$?
  [ -z "$up_pid" ] || kill "$up_pid" 2>/dev/null || true
  if [ "$code" -ne 0 ]; then
    echo "cluster-chaos: the last lines of each container's log:" >&2
    dc logs --no-color --tail=15 >&2 2>&1 || true
    dc logs --no-color > "$work/all-containers.log" 2>&1 || true
  fi
  dc down -v --remove-orphans > /dev/null 2>&1 || true
  if [ "$KEEP" = 1 ] || [ "$code" -ne 0 ]; then
    say "files of this run kept in $work (scripts/soak-oracle.sh $work/oracle judges it again)"
  else
    rm -rf "$work"
  fi
  if [ "$code" -ne 0 ]; then
    echo "cluster-chaos: FAILED after $(elapsed)${failed:+: $failed}" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'failed="interrupted"; exit 130' INT TERM

# --- the containers and Kafka's own tools ---------------------------------------------------------------------------
ids() { dc ps -a -q "$1"; }
cid() { dc ps -a -q "$1" | head -1; }
running() { [ "$(docker inspect -f '{{.State.Running}}' "$(cid "$1")" 2>/dev/null)" = true ]; }
node_service() { echo "${BROKERS[$(($1 - 1))]}"; }
live_broker() { # a broker whose container runs, for the tools to talk to
  local b
  for b in "${BROKERS[@]}"; do
    if running "$b"; then echo "$b"; return 0; fi
  done
  return 1
}
tool() { # ARGS...: a Kafka tool run inside a live broker's container, against that broker, with a small heap
  local b
  b=$(live_broker) || { echo "no broker runs" >&2; return 1; }
  docker exec "$(cid "$b")" env KAFKA_HEAP_OPTS=-Xmx128m "$@" 2>/dev/null
}
topics() { tool /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 "$@"; }
# "partition leader isr" for each partition of the queue's topic (leader "none" or -1 when there is none)
partitions() {
  topics --describe --topic "$TOPIC" | awk '{
      p = ""; l = ""; r = ""
      for (i = 1; i < NF; i++) {
        if ($i == "Partition:") p = $(i + 1)
        if ($i == "Leader:") l = $(i + 1)
        if ($i == "Isr:") r = $(i + 1)
      }
      if (r ~ /:$/) r = "-"
      if (p != "") print p, l, r
    }'
}
group_tool() { # ARGS...: Kafka's group tool for this run's group type
  if [ "$GROUP_TYPE" = share ]; then
    tool java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp '/opt/kafka/libs/*' \
      org.apache.kafka.tools.consumer.group.ShareGroupCommand \
      --bootstrap-server localhost:9092 --group "$GROUP" "$@"
  else
    tool /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --group "$GROUP" "$@"
  fi
}
coordinator() { # the node id of the group's coordinator, from the group tool's COORDINATOR (ID) column
  group_tool --describe --state | awk -v g="$GROUP" '$1 == g { for (i = 2; i <= NF; i++) if ($i ~ /^\([0-9]+\)$/) {
    gsub(/[()]/, "", $i); print $i; exit } }'
}
roles() { # NODE [COORDINATOR]: what the node leads now, in words
  local led
  led=$(awk -v n="$1" -v t="$TOPIC" '$2 == n { printf "%s%s-%s", (c++ ? ", " : ""), t, $1 }' "$work/partitions")
  echo "leader of ${led:-no partition of $TOPIC}$([ "${2:-}" = "$1" ] && echo "; the group's coordinator")"
}
produced() { docker logs "$(cid producer)" 2>/dev/null | grep -c '^Produced ' || true; }
producer_says() { docker logs "$(cid producer)" 2>&1 >/dev/null | grep -E "ReplicaWatch - $1" || true; }

wait_out() { # NODE: until the controller has moved the node's leaderships and taken it out of every ISR
  local node=$1 deadline=$(( $(date +%s) + 90 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if partitions > "$work/partitions" && [ -s "$work/partitions" ] && ! awk -v n="$node" '
        $2 == n { bad = 1 } { k = split($3, r, ","); for (i = 1; i <= k; i++) if (r[i] == n) bad = 1 }
        END { exit !bad }' "$work/partitions"; then
      return 0
    fi
    sleep 1
  done
  fail "node $node still leads a partition of $TOPIC, or is in its ISR, 90 s after it was killed: $(cat "$work/partitions")"
}
wait_replicated() { # until no partition of any topic is under-replicated (every replica back in its ISR)
  local deadline=$(( $(date +%s) + 180 )) out
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if out=$(topics --describe --under-replicated-partitions) && [ -z "$out" ]; then return 0; fi
    sleep 2
  done
  fail "partitions still under-replicated 180 s after the restart: $(head -5 <<< "$out")"
}
isr_summary() { awk -v t="$TOPIC" '{ printf "%s%s-%s leader %s isr [%s]", (c++ ? ", " : ""), t, $1, $2, $3 }' "$work/partitions"; }
kill_broker() { # SERVICE
  docker kill -s KILL "$(cid "$1")" > /dev/null
}

# --- start ----------------------------------------------------------------------------------------------------------
kafka_version=$(scripts/kafka-version.sh)
for f in docker-compose.yml docker-compose.cluster.yml; do
  others=$(grep -o 'KAFKA_IMAGE:-apache/kafka:[^}]*}' "$f" | grep -v -c "apache/kafka:$kafka_version}" || true)
  [ "$others" -eq 0 ] || fail "$f's default KAFKA_IMAGE is not apache/kafka:$kafka_version (pom.xml's kafka.version)"
done
case " ${KAFKA_IMAGE:-} ${BUILD_IMAGE:-} ${RUNTIME_IMAGE:-} " in
  *" kafka-queue/"*) scripts/build-local-images.sh ;;
esac
say "${compose[*]} ($compose_version); KAFKA_IMAGE=${KAFKA_IMAGE:-apache/kafka:$kafka_version}"
dc down -v --remove-orphans > /dev/null 2>&1 || true # what an interrupted run may have left
say "building the services' images"
dc build > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "building the services' images"; }
say "images built after $(elapsed)"
if [ "$KILLS" -gt 0 ]; then plan="$KILLS leader kill(s), down ${DOWN_SECONDS} s each"; else plan="no leader kills"; fi
case "$STAY_DOWN" in
  1) plan="$plan, then one broker killed for good" ;;
  2) plan="$plan, then two brokers killed, one restarted after ${DOWN_SECONDS} s and the other down for good" ;;
esac
say "plan: $GROUP_TYPE group, $CONSUMERS consumers, $PARTITIONS partitions, $COUNT items one per ${INTERVAL_MS} ms" \
  "(maxsize $MAXSIZE, work ${WORK_MS} ms); $plan"

up_started=$(date +%s)
deadline=$((up_started + timeout_s))
# up -d returns only once the producer has completed (join depends on it): it runs beside the faults.
"${compose[@]}" up -d --scale "consumer=$CONSUMERS" > "$work/up.log" 2>&1 &
up_pid=$!
until [ "$(produced)" -ge 1 ]; do
  kill -0 "$up_pid" 2>/dev/null || { wait "$up_pid" || true; up_pid=""; [ "$(produced)" -ge 1 ] && break
    tail -20 "$work/up.log" >&2; fail "up ended before the producer put anything"; }
  [ "$(date +%s)" -lt "$deadline" ] || fail "no item put within ${timeout_s} s of up"
  sleep 2
done
say "$(t) first put acknowledged: the pipeline runs on $(for b in "${BROKERS[@]}"; do running "$b" && printf '%s ' "$b"; done)"

# --- the faults -----------------------------------------------------------------------------------------------------
kills_during_puts=0
for k in $(seq 1 "$KILLS"); do
  partitions > "$work/partitions" || fail "kafka-topics --describe failed"
  coord="" # asked only when it is the target: each of Kafka's tools takes seconds on a busy machine
  if [ $((k % 2)) = 0 ]; then
    coord=$(coordinator || true)
    node=$coord what="the group's coordinator"
  else
    p=$(( (k - 1) / 2 % PARTITIONS ))
    node=$(awk -v p="$p" '$1 == p { print $2 }' "$work/partitions") what="the leader of $TOPIC-$p"
  fi
  [[ "$node" =~ ^[123]$ ]] || fail "kill $k: cannot tell $what (got '${node}')"
  victim=$(node_service "$node")
  before=$(produced)
  running producer && kills_during_puts=$((kills_during_puts + 1))
  say "$(t) kill $k/$KILLS: SIGKILL to $victim (node $node), $what: $(roles "$node" "$coord"); $before items acknowledged so far"
  killed_at=$(date +%s)
  kill_broker "$victim"
  wait_out "$node"
  say "$(t)   out after $(( $(date +%s) - killed_at )) s: $(isr_summary)"
  left=$(( killed_at + DOWN_SECONDS - $(date +%s) ))
  [ "$left" -le 0 ] || sleep "$left"
  docker start "$(cid "$victim")" > /dev/null
  restarted_at=$(date +%s)
  wait_replicated
  say "$(t)   $victim restarted after $(( restarted_at - killed_at )) s, back in every ISR $(( $(date +%s) - restarted_at )) s" \
    "later; $(( $(produced) - before )) items acknowledged since the kill"
  echo "$k $victim $node $what" >> "$work/kills"
done

down_for_good=""
if [ "$STAY_DOWN" -ge 1 ]; then
  partitions > "$work/partitions" || fail "kafka-topics --describe failed"
  node=$(awk '$1 == 0 { print $2 }' "$work/partitions")
  first=$(node_service "$node")
  running producer || fail "the producer finished before the stay-down faults: nothing left to put (raise --count)"
  say "$(t) stay-down: SIGKILL to $first (node $node), $(roles "$node")"
  killed_at=$(date +%s)
  kill_broker "$first"
  wait_out "$node"
  say "$(t)   out after $(( $(date +%s) - killed_at )) s: $(isr_summary)"
  down_for_good=$first
  if [ "$STAY_DOWN" = 2 ]; then
    node2=$(awk '$1 == 0 { print $2 }' "$work/partitions")
    second=$(node_service "$node2")
    running producer || fail "the producer finished before the second broker's kill: nothing left to put (raise --count)"
    say "$(t) stay-down: SIGKILL to $second (node $node2), $(roles "$node2"): one broker left," \
      "below min.insync.replicas 2"
    killed_at=$(date +%s)
    kill_broker "$second"
    wait_out "$node2"
    say "$(t)   out after $(( $(date +%s) - killed_at )) s: $(isr_summary)"
    line_deadline=$(( $(date +%s) + 60 ))
    until [ -n "$(producer_says 'Puts wait')" ]; do
      [ "$(date +%s)" -lt "$line_deadline" ] || fail "the producer did not say that puts wait within 60 s of one in-sync replica"
      sleep 1
    done
    acked_at_line=$(produced)
    say "$(t)   the producer says: $(producer_says 'Puts wait' | tail -1 | sed 's/^.*ReplicaWatch - //')"
    sleep "$DOWN_SECONDS"
    partitions > "$work/partitions" || fail "kafka-topics --describe failed"
    acked_after=$(produced)
    [ "$acked_after" -eq "$acked_at_line" ] \
      || fail "$((acked_after - acked_at_line)) puts were acknowledged with one in-sync replica ($(isr_summary))"
    running producer || fail "the producer ended while two brokers were down: $(docker logs "$(cid producer)" 2>/dev/null | tail -1)"
    say "$(t)   ${DOWN_SECONDS} s later: $acked_after items acknowledged, none since the line; the producer still waits;" \
      "$(isr_summary)"
    docker start "$(cid "$first")" > /dev/null
    restarted_at=$(date +%s)
    line_deadline=$(( restarted_at + 180 ))
    # Said at the first check that finds enough replicas, or as the producer ends if its last puts went through
    # between two checks.
    until [ -n "$(producer_says 'Puts go on')" ] || ! running producer; do
      [ "$(date +%s)" -lt "$line_deadline" ] || fail "the producer did not say that puts go on within 180 s of $first's restart"
      sleep 1
    done
    [ -n "$(producer_says 'Puts go on')" ] \
      || fail "the producer ended without saying that puts go on: $(docker logs "$(cid producer)" 2>/dev/null | tail -1)"
    say "$(t)   $first restarted $(( $(date +%s) - restarted_at )) s ago; $(( $(produced) - acked_after )) items acknowledged" \
      "since; the producer says: $(producer_says 'Puts go on' | tail -1 | sed 's/^.*ReplicaWatch - //')"
    down_for_good=$second
  fi
  say "$(t) $down_for_good stays down until the end"
fi

# --- the end of the run ---------------------------------------------------------------------------------------------
left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || left=1
timeout "$left" bash -c "while kill -0 $up_pid 2>/dev/null; do sleep 1; done" || fail "up did not return within ${timeout_s} s"
up_exit=0
wait "$up_pid" || up_exit=$?
up_pid=""
join_id=$(cid join)
[ -n "$join_id" ] || { tail -20 "$work/up.log" >&2; fail "no join container (up exited $up_exit): the producer did not complete"; }
left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || left=1
timeout "$left" docker wait "$join_id" > /dev/null || fail "join did not finish within ${timeout_s} s of up"
say "$(t) join finished"

exit_deadline=$(( $(date +%s) + 60 ))
for svc in create-topic producer join consumer; do
  for id in $(ids "$svc"); do
    left=$(( exit_deadline - $(date +%s) ))
    if [ "$left" -gt 0 ]; then timeout "$left" docker wait "$id" > /dev/null 2>&1 || true; fi
    state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")
    [ "$state" = "exited 0" ] || fail "$svc container ${id:0:12} is '$state', expected 'exited 0'"
  done
done
consumers=$(ids consumer | wc -l)
[ "$consumers" -eq "$CONSUMERS" ] || fail "expected $CONSUMERS consumer containers, found $consumers"
say "create-topic, the producer, join and $consumers consumers exited 0"

producer_out=$(docker logs "$(cid producer)" 2>/dev/null)
done_line=$(grep '^Producer done: ' <<< "$producer_out" || true)
[ -n "$done_line" ] || fail "the producer printed no done line: $(tail -2 <<< "$producer_out")"
run_id=$(sed -nE 's/.*\(run ([^)]+)\)$/\1/p' <<< "$done_line")
say "producer: $done_line"
join_out=$(docker logs "$join_id" 2>/dev/null)
join_line=$(grep -E "^join: done, lag 0 on all $PARTITIONS partitions of $TOPIC for group $GROUP.*all $COUNT items done" \
              <<< "$join_out" || true)
[ -n "$join_line" ] || fail "join printed no done line for $COUNT items: $(tail -3 <<< "$join_out")"
say "join: ${join_line#join: }"
say "the producer said 'Puts wait' $(producer_says 'Puts wait' | grep -c . || true) time(s) and 'Puts go on'" \
  "$(producer_says 'Puts go on' | grep -c . || true) time(s)"

# The oracle's inputs, as scripts/soak.sh leaves them: the producer's stdout, the run id, and for each consumer its
# stdout and an applied log ("<run> <id>" per item applied: a "Consumed" line is printed once the item is applied).
mkdir -p "$work/oracle"
echo "$run_id" > "$work/oracle/run-id"
echo "$producer_out" > "$work/oracle/producer.out"
n=0
for id in $(ids consumer); do
  n=$((n + 1))
  docker logs "$id" > "$work/oracle/consumer-$n.out" 2> "$work/consumer-$n.err"
  awk -v run="$run_id" '$1 == "Consumed" { print run, $2 }' "$work/oracle/consumer-$n.out" > "$work/oracle/applied-$n.log"
done
redelivered=$(cat "$work"/oracle/consumer-*.out | grep -c '^Skipped' || true)
oracle_exit=0
scripts/soak-oracle.sh "$work/oracle" > "$work/oracle.txt" || oracle_exit=$?
sed 's/^/cluster-chaos: /' "$work/oracle.txt"
say "redeliveries skipped as already applied: $redelivered; commits refused and made again later:" \
  "$(cat "$work"/consumer-*.err | grep -c -e 'will retry with the next one' -e 'not accepted, their records will be' || true)"

# Kafka's own view: lag, replication factors and min.insync.replicas.
if [ "$GROUP_TYPE" = share ]; then gtool="ShareGroupCommand"; else gtool="kafka-consumer-groups.sh"; fi
describe=$(group_tool --describe) || fail "$gtool --describe failed"
lags=$(awk -v group="$GROUP" -v topic="$TOPIC" '
  $1 == "GROUP" { for (i = 1; i <= NF; i++) { if ($i == "LAG") lag = i; if ($i == "PARTITION") part = i } next }
  lag && $1 == group && $2 == topic { print $part, $lag }' <<< "$describe")
rows=$(grep -c . <<< "$lags" || true)
[ "$rows" -eq "$PARTITIONS" ] || fail "$gtool --describe shows $rows partitions, expected $PARTITIONS: $describe"
nonzero=$(awk '$2 != "0"' <<< "$lags")
[ -z "$nonzero" ] || fail "LAG is not 0 on every partition (partition lag): $nonzero"
say "$gtool --describe: LAG 0 on all $rows partitions of $TOPIC for group $GROUP"

# Every topic of the cluster: the queue's, its dead-letter topic when the consumers made it, and Kafka's own.
topics --describe | awk '$1 == "Topic:" && $3 == "TopicId:" {
    for (i = 4; i < NF; i++) if ($i == "ReplicationFactor:") print $2, $(i + 1) }' | LC_ALL=C sort > "$work/rf"
tool /opt/kafka/bin/kafka-configs.sh --bootstrap-server localhost:9092 --describe --all --entity-type topics \
  | awk '/^All configs for topic / { t = $5 } /^ *min\.insync\.replicas=/ { split($1, a, "="); print t, a[2] }' \
  | LC_ALL=C sort > "$work/min-isr"
replication=$(LC_ALL=C join -a 1 -e '?' -o 0,1.2,2.2 "$work/rf" "$work/min-isr")
grep -q "^$TOPIC " <<< "$replication" || fail "kafka-topics --describe does not list $TOPIC: $(cat "$work/rf")"
wrong=$(awk '$2 != 3 || $3 != 2' <<< "$replication")
[ -z "$wrong" ] || fail "topics without replication factor 3 and min.insync.replicas 2 (topic rf min-isr): $wrong"
say "replication factor 3 and min.insync.replicas 2 on every topic: $(awk '{ print $1 }' <<< "$replication" | xargs)"

[ "$oracle_exit" = 0 ] || fail "the oracle: $(tail -1 "$work/oracle.txt")"
[ "$kills_during_puts" -eq "$KILLS" ] || say "only $kills_during_puts of the $KILLS kills came while the producer put items:" \
  "raise --count to have them all land during the puts"
faults=""
[ "$KILLS" = 0 ] || faults="$KILLS broker kill(s) and restart(s) ($kills_during_puts during the puts)"
case "$STAY_DOWN" in
  1) faults="${faults:+$faults, }one broker killed for good ($down_for_good)" ;;
  2) faults="${faults:+$faults, }two brokers down, puts waiting, one restarted ($down_for_good down for good)" ;;
esac
say "found: ${faults:-no faults}; $(tail -1 "$work/oracle.txt"); join done; LAG 0 by $gtool"
say "OK after $(elapsed)"
