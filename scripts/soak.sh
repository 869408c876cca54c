#!/usr/bin/env bash
# The soak: the queue under a steady stream and the faults of a working day, judged by an oracle at the end.
# Not part of the default test run.
#
#   scripts/soak.sh                 10 minutes (plus the drain)
#   scripts/soak.sh --minutes 2     shorter
#   scripts/soak.sh --smoke         about 90 s, for CI: a kill every 30 s, one broker pause
#
# Setup, all separate processes on this machine: a single-node KRaft broker from Maven Central's jars; a producer
# putting one item every --interval-ms (20 ms: at most 50 items/s) with --maxsize, stopped gracefully (SIGTERM) once
# the duration is up, after which a second producer with the same --run-id and --count 0 puts the pills; three
# consumers (--work-ms 20, each with its own applied log and static member id soak-<n>); a join --json
# --closed that samples the group's lag every 5 s for the whole run and says done at the end.
# Faults: consumer 1 is SIGKILLed and restarted (same applied log, same instance id) every --kill-every seconds while
# the producer runs; the broker is paused (SIGSTOP) for --pause-seconds once, half-way, between two kills.
#
# Every 10 s it prints lag and each service's used heap (from its /metrics); at the end a table of both, the
# redeliveries, the partition moves, join's result and the oracle's verdict (scripts/soak-oracle.sh), which must
# read "0 lost, 0 applied twice". Exit code 0 when that holds and every service ended well, 1 otherwise, 2 for bad
# flags. The run's files are removed at the end unless it failed or --keep was given.
#
# Environment: SKIP_BUILD=1 uses the jars already built; SOAK_KAFKA_PORT (29492) is the broker's port, the
# controller takes the next one and the services' metrics ports start 10 above it; KAFKA_LIBS as in run-local.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'FLAGS'
Flags:
  --minutes N             producing time in minutes (default 10)
  --smoke                 90 s, a kill every 30 s (overrides --minutes and --kill-every)
  --interval-ms MS        producer pause before each put (default 20, about 50 items/s)
  --maxsize M             producer's bound on unfinished items (default 200)
  --work-ms MS            consumers' simulated work per item (default 20)
  --kill-every S          seconds between SIGKILLs of consumer 1 (default 60)
  --pause-seconds S       how long the broker is paused (default 10)
  --session-timeout-ms MS session.timeout.ms for the consumers, through --command-config (default: the client's)
  --keep                  keep the run's directory (logs, applied logs) at the end
FLAGS
}

bad_flag() { echo "soak.sh: $1 (see --help)" >&2; exit 2; }
need_int() { # FLAG VALUE [LEAST]
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "${3:-1}" ]; then
    bad_flag "$1 must be a whole number >= ${3:-1}, got '${2}'"
  fi
}

MINUTES=10 SMOKE=0 INTERVAL_MS=20 MAXSIZE=200 WORK_MS=20 KILL_EVERY=60 PAUSE_SECONDS=10 SESSION_TIMEOUT_MS="" KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) need_int "$1" "${2:-}"; MINUTES=$2; shift ;;
    --smoke) SMOKE=1 ;;
    --interval-ms | --interval) need_int "$1" "${2:-}"; INTERVAL_MS=$2; shift ;;
    --maxsize) need_int "$1" "${2:-}"; MAXSIZE=$2; shift ;;
    --work-ms) need_int "$1" "${2:-}" 0; WORK_MS=$2; shift ;;
    --kill-every) need_int "$1" "${2:-}" 5; KILL_EVERY=$2; shift ;;
    --pause-seconds) need_int "$1" "${2:-}" 0; PAUSE_SECONDS=$2; shift ;;
    --session-timeout-ms) need_int "$1" "${2:-}" 6000; SESSION_TIMEOUT_MS=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) bad_flag "unknown flag '$1'; allowed: --minutes --smoke --interval-ms --maxsize --work-ms --kill-every --pause-seconds --session-timeout-ms --keep --help" ;;
  esac
  shift
done

DURATION=$((MINUTES * 60))
if [ "$SMOKE" = 1 ]; then DURATION=90 KILL_EVERY=30; fi
CONSUMERS=3 PARTITIONS=3 SAMPLE_EVERY=10
# The producer's --count is what the nominal rate puts in the duration. The rate is a ceiling (the producer sleeps
# --interval-ms before each put, and waits at maxsize), so the count is rarely reached: the soak is bounded by time,
# and the producer is stopped with SIGTERM when the duration is up.
COUNT=$((DURATION * 1000 / INTERVAL_MS))
# The dedup window stays above the run's item count, so no applied log is ever compacted during the soak: each log
# then holds every application its consumer made, and the oracle can count them all. (A log is compacted once it
# holds twice the window; the window is the consumer's memory bound, O(window) whatever the stream's length.)
DEDUP_WINDOW=$((COUNT + 1000))
# Half-way, in the middle between two kills, so the pause and a restart never overlap.
PAUSE_AT=$(( (DURATION / 2 / KILL_EVERY) * KILL_EVERY + KILL_EVERY / 2 ))
PORT=${SOAK_KAFKA_PORT:-29492}
METRICS_BASE=$((PORT + 10)) # producer; consumer n at METRICS_BASE + n

# --- the broker: a single-node KRaft broker from Kafka's jars, started as run-local.sh and bench.sh start theirs -----
# shellcheck source=local-broker/broker.sh
. scripts/local-broker/broker.sh

# --- run state ------------------------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/kafka-queue-soak.XXXXXX")
started=$(date +%s)
producer_pid="" join_pid=""
declare -A consumer_pid=() consumer_exit=()
failed=0

say() { printf '%s soak | %s\n' "$(date -u +%H:%M:%S)" "$*"; }

cleanup() {
  local pid
  [ -z "$BROKER_PID" ] || kill -CONT "$BROKER_PID" 2>/dev/null || true # never leave it stopped
  for pid in "${consumer_pid[@]}" $producer_pid $join_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${consumer_pid[@]}" $producer_pid $join_pid; do wait "$pid" 2>/dev/null || true; done
  broker_stop
  if [ "$KEEP" = 1 ] || [ "$failed" != 0 ]; then
    say "files of this run kept in $work (scripts/soak-oracle.sh $work judges it again)"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'failed=130; exit 130' INT TERM

if [ "${SKIP_BUILD:-}" != 1 ]; then
  say "./mvnw -B -q -DskipTests package"
  ./mvnw -B -q -DskipTests package
fi
kafka_libs

RUN_ID="soak-$(date -u +%Y%m%dT%H%M%S)"
TOPIC=$RUN_ID GROUP=$RUN_ID
echo "$RUN_ID" > "$work/run-id"
BOOT=(--bootstrap-servers "127.0.0.1:$PORT" --topic "$TOPIC" --group "$GROUP")
PRODUCER_JAR=producer-service/target/producer-service.jar CONSUMER_JAR=consumer-service/target/consumer-service.jar
CONSUMER_OPTS=()
if [ -n "$SESSION_TIMEOUT_MS" ]; then
  echo "session.timeout.ms=$SESSION_TIMEOUT_MS" > "$work/consumer.properties"
  CONSUMER_OPTS=(--command-config "$work/consumer.properties")
fi

say "run $RUN_ID: $DURATION s at one item per ${INTERVAL_MS} ms ($COUNT items), maxsize $MAXSIZE," \
  "$CONSUMERS consumers on $PARTITIONS partitions with --work-ms $WORK_MS, consumer 1 SIGKILLed every ${KILL_EVERY} s," \
  "broker paused at ${PAUSE_AT} s for ${PAUSE_SECONDS} s, session.timeout.ms ${SESSION_TIMEOUT_MS:-client default}"
broker_start "$work/broker" "$PORT" 384m || { failed=1; exit 1; }
say "broker: Apache Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$PORT, pid $BROKER_PID, -Xmx384m"

# The producer creates the topic with its partitions before the consumers subscribe.
java -Xmx64m -jar "$PRODUCER_JAR" "${BOOT[@]}" --partitions "$PARTITIONS" --count 0 --no-pill \
  > "$work/create.out" 2>&1 || { cat "$work/create.out"; failed=1; exit 1; }

start_consumer() { # N: starts (or restarts) consumer N, appending to its output files
  local n=$1
  java -Xmx64m -jar "$CONSUMER_JAR" "${BOOT[@]}" "${CONSUMER_OPTS[@]}" --work-ms "$WORK_MS" \
    --applied-log "$work/applied-$n.log" --dedup-window "$DEDUP_WINDOW" --instance-id "soak-$n" \
    --metrics-port $((METRICS_BASE + n)) >> "$work/consumer-$n.out" 2>> "$work/consumer-$n.err" &
  consumer_pid[$n]=$!
}

group_members() { # the group's members as Kafka's own tool describes them: instance id, partition count,
  # assignment (its CURRENT-ASSIGNMENT column, "topic:0,1")
  java -Xmx64m -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "127.0.0.1:$PORT" --describe --group "$GROUP" --members --verbose 2>/dev/null \
    | awk -v g="$GROUP" -v t="$TOPIC:" '$1 == g { a = "-"; for (i = 7; i <= NF; i++) if (index($i, t) == 1) { a = $i; break }
                                      print $3, $6, a }' || true
}

for n in $(seq 1 $CONSUMERS); do start_consumer "$n"; done
# Items start only once every consumer holds its partitions, so the start-up rebalances move no work. The group is
# asked, not the consumers' logs: with cooperative rebalancing a consumer logs what it gains, never what it gives up.
settled=0
for _ in $(seq 1 60); do
  group_members > "$work/members"
  if [ "$(wc -l < "$work/members")" -eq "$CONSUMERS" ] && ! awk '$2 < 1 || $3 == "-"' "$work/members" | grep -q . \
    && [ "$(awk '{ s += $2 } END { print s + 0 }' "$work/members")" -eq "$PARTITIONS" ]; then
    settled=1
    break
  fi
  sleep 2
done
[ "$settled" = 1 ] || { say "the consumers did not settle on one partition each: $(cat "$work/members")"; failed=1; exit 1; }
# consumer, its "Assigned" lines so far, its partitions as the consumers log them (topic-p): later lines are the
# assignments made during the run
for n in $(seq 1 $CONSUMERS); do
  echo "$n $(grep -c 'Assigned \[' "$work/consumer-$n.err" || true) $(awk -v id="soak-$n" '$1 == id { print $3 }' \
    "$work/members" | sed -E 's/^(.*):([0-9,]*)$/\1 \2/' | awk '{ n = split($2, p, ","); for (i = 1; i <= n; i++) printf "%s-%s ", $1, p[i] }')"
done > "$work/initial-assignment"
say "consumers settled: $(awk '{ printf "consumer-%s %s ", $1, $3 }' "$work/initial-assignment")"

t0=$(date +%s)
java -Xmx64m -jar "$PRODUCER_JAR" "${BOOT[@]}" --count "$COUNT" --maxsize "$MAXSIZE" --interval-ms "$INTERVAL_MS" \
  --item-log each --run-id "$RUN_ID" --timeout 120s --metrics-port "$METRICS_BASE" \
  > "$work/producer.out" 2> "$work/producer.err" &
producer_pid=$!
# Lag over the whole run, and the final verdict that all the work is done.
java -Xmx64m -jar "$PRODUCER_JAR" join "${BOOT[@]}" --json --closed --interval 5s \
  --timeout "$((DURATION * 2 + 300))s" > "$work/join.out" 2> "$work/join.err" &
join_pid=$!

heap_mb() { # PORT: used heap and old generation in MB, "used/old", or "-" when the service does not answer
  { curl -s -m 2 "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } | awk '
    /^jvm_memory_used_bytes\{/ && /area="heap"/ { used += $NF; if ($0 ~ /Old Gen|Tenured/) old += $NF; seen = 1 }
    END { if (seen) printf "%.0f/%.0f", used / 1048576, old / 1048576; else printf "-" }'
}

lags() { # FILE: the total lag of each of join's snapshots (the first "lag" of a line; the partitions' follow it)
  sed -n 's/^{"event":"lag",.*"topicExists":[a-z]*,"lag":\([0-9]*\),.*/\1/p' "$1" 2>/dev/null || true
}
last_lag() { # the latest snapshot's lag, or "?" when join took none since the last call (broker paused or slow)
  local n
  n=$(lags "$work/join.out" | wc -l)
  if [ "$n" -gt "${lag_lines:-0}" ]; then lags "$work/join.out" | tail -1; else echo "?"; fi
  lag_lines=$n
}

printf 't_s\tlag\tproducer\tconsumer-1\tconsumer-2\tconsumer-3\tapplied\tskipped\tevent\n' > "$work/samples.tsv"
sample() { # T EVENT
  local lag applied skipped heaps=() n
  last_lag > "$work/lag-now" # not in $(...): last_lag keeps its count in this shell
  lag=$(cat "$work/lag-now")
  heaps+=("$(heap_mb "$METRICS_BASE")")
  for n in $(seq 1 $CONSUMERS); do heaps+=("$(heap_mb $((METRICS_BASE + n)))"); done
  applied=$({ cat "$work"/applied-*.log 2>/dev/null || true; } | wc -l)
  skipped=$(cat "$work"/consumer-*.out 2>/dev/null | grep -c '^Skipped' || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "${lag:--}" "${heaps[@]}" "$applied" "$skipped" "$2" \
    >> "$work/samples.tsv"
  say "t=${1}s lag ${lag:--}; heap used/old MB: producer ${heaps[0]}, consumers ${heaps[1]} ${heaps[2]} ${heaps[3]};" \
    "applied $applied, redelivered and skipped $skipped${2:+; $2}"
}

kills=0 next_kill=$KILL_EVERY next_sample=0 paused_until="" pause_done=0 producer_exit="" events="" stopped=0
pills_exit=""
deadline=$((t0 + DURATION * 2 + 420))
while true; do
  now=$(date +%s) t=$(( $(date +%s) - t0 ))
  if [ -z "$producer_exit" ] && [ "$stopped" = 0 ] && [ "$t" -ge "$DURATION" ]; then
    kill -TERM "$producer_pid" 2>/dev/null || true
    stopped=1
    say "producer stopped (SIGTERM) at t=${t}s: the duration is up"
  fi
  if [ -z "$producer_exit" ] && ! kill -0 "$producer_pid" 2>/dev/null; then
    producer_exit=0
    wait "$producer_pid" || producer_exit=$?
    events="${events:+$events, }producer exited $producer_exit"
    # Assignments after this point come from consumers leaving once their pills are done: no work moves then.
    for n in $(seq 1 $CONSUMERS); do echo "$n $(grep -c 'Assigned \[' "$work/consumer-$n.err" || true)"; done \
      > "$work/assignment-count-at-pills"
    say "producer exited $producer_exit after ${t}s: $(grep -E '^Producer (done|failed|stopped)' "$work/producer.out" || true)"
    if [ "$stopped" = 1 ] && [ "$producer_exit" = 1 ] && grep -q '^Producer stopped by signal' "$work/producer.out"; then
      # Stopped between items, as asked: the run's pills come from a producer with the same run id and no items.
      pills_exit=0
      java -Xmx64m -jar "$PRODUCER_JAR" "${BOOT[@]}" --count 0 --run-id "$RUN_ID" --timeout 120s \
        > "$work/pills.out" 2> "$work/pills.err" || pills_exit=$?
      say "pills: $(grep '^Producer done' "$work/pills.out" || echo "none: exit $pills_exit")"
    fi
  fi
  if [ -n "$paused_until" ] && [ "$now" -ge "$paused_until" ]; then
    kill -CONT "$BROKER_PID" || true
    paused_until="" pause_done=1
    events="${events:+$events, }broker resumed"
    say "broker resumed (SIGCONT) at t=${t}s"
  elif [ "$pause_done" = 0 ] && [ -z "$paused_until" ] && [ -z "$producer_exit" ] && [ "$t" -ge "$PAUSE_AT" ]; then
    kill -STOP "$BROKER_PID" || true
    paused_until=$((now + PAUSE_SECONDS))
    events="${events:+$events, }broker paused"
    say "broker paused (SIGSTOP) at t=${t}s for ${PAUSE_SECONDS}s"
  fi
  if [ -z "$producer_exit" ] && [ "$t" -lt "$DURATION" ] && [ "$t" -ge "$next_kill" ] && [ -z "$paused_until" ]; then
    kill -KILL "${consumer_pid[1]}" 2>/dev/null || true
    wait "${consumer_pid[1]}" 2>/dev/null || true
    kills=$((kills + 1))
    echo "$t $(grep -c '^Skipped' "$work/consumer-1.out" || true) $(date +%H:%M:%S.%3N)" >> "$work/kills"
    start_consumer 1
    next_kill=$((next_kill + KILL_EVERY))
    events="${events:+$events, }consumer-1 SIGKILLed and restarted"
    say "consumer-1 SIGKILLed at t=${t}s and restarted (kill $kills), pid ${consumer_pid[1]}"
  fi
  if [ "$t" -ge "$next_sample" ]; then
    sample "$t" "$events"
    events="" next_sample=$((next_sample + SAMPLE_EVERY))
  fi
  if [ -n "$producer_exit" ]; then
    for n in $(seq 1 $CONSUMERS); do
      if [ -z "${consumer_exit[$n]:-}" ] && ! kill -0 "${consumer_pid[$n]}" 2>/dev/null; then
        code=0
        wait "${consumer_pid[$n]}" || code=$?
        consumer_exit[$n]=$code
        say "consumer-$n exited $code: $(grep '^Consumer done' "$work/consumer-$n.out" | tail -1 || true)"
      fi
    done
    if [ "${#consumer_exit[@]}" -eq "$CONSUMERS" ] && ! kill -0 "$join_pid" 2>/dev/null; then break; fi
    if [ "$producer_exit" != 0 ] && [ "${pills_exit:-1}" != 0 ] && [ "${#consumer_exit[@]}" -lt "$CONSUMERS" ] \
      && [ "$t" -gt "$((DURATION + 120))" ]; then
      say "the producer failed, so the consumers get no pills: stopping them"
      break
    fi
  fi
  if [ "$now" -ge "$deadline" ]; then say "the run did not end within $((deadline - t0)) s"; failed=1; break; fi
  sleep 1
done
t_end=$(( $(date +%s) - t0 ))
sample "$t_end" "end"
join_exit=0
if kill -0 "$join_pid" 2>/dev/null; then kill -TERM "$join_pid"; join_exit=1; fi
wait "$join_pid" || join_exit=$?
join_pid=""

# --- report ---------------------------------------------------------------------------------------------------------
echo
say "timeline (heap: used/old generation MB, from each service's /metrics, '-' while it was not up; lag '?': join took no snapshot since the line before)"
column -t -s $'\t' "$work/samples.tsv" | sed 's/^/    /'

lags "$work/join.out" > "$work/lags"
max_lag=$(sort -n "$work/lags" | tail -1)
say "lag: $(wc -l < "$work/lags") samples (every 5 s), max ${max_lag:--}, median $(sort -n "$work/lags" \
  | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'), last $(tail -1 "$work/lags");" \
  "bound: maxsize + pills = $((MAXSIZE + PARTITIONS))"

heap_summary() { # COLUMN NAME: first and last minute's peaks of used heap and of the old generation
  awk -F'\t' -v c="$1" -v name="$2" -v total="$t_end" 'NR > 1 && $c != "-" {
      split($c, h, "/"); if (h[1] > max) max = h[1]
      if ($1 <= 60) { if (h[1] > fu) fu = h[1]; if (h[2] > fo) fo = h[2] }
      if ($1 >= total - 60) { if (h[1] > lu) lu = h[1]; if (h[2] > lo) lo = h[2] }
    } END { printf "%s: used heap peak %d MB (first minute %d, last minute %d), old generation peak first minute %d MB, last minute %d MB\n",
      name, max, fu, lu, fo, lo }' "$work/samples.tsv"
}
say "heap (-Xmx64m each): $(heap_summary 3 producer)"
for n in $(seq 1 $CONSUMERS); do say "heap (-Xmx64m each): $(heap_summary $((n + 3)) "consumer-$n")"; done

skipped_total=$(cat "$work"/consumer-*.out | grep -c '^Skipped' || true)
say "redeliveries (skipped as already applied): $skipped_total in all;" \
  "$(for n in $(seq 1 $CONSUMERS); do printf 'consumer-%s %s ' "$n" "$(grep -c '^Skipped' "$work/consumer-$n.out" || true)"; done)"
if [ -f "$work/kills" ]; then
  say "consumer-1 kills: $kills; redeliveries it skipped after each restart:" \
    "$(awk -v total="$(grep -c '^Skipped' "$work/consumer-1.out" || true)" '
        { if (NR > 1) printf "%d ", $2 - prev; prev = $2 } END { if (NR) printf "%d", total - prev }' "$work/kills")" \
    "(one commit interval of work, 1 s at --work-ms $WORK_MS, is $((1000 / (WORK_MS > 0 ? WORK_MS : 1))) items)"
  # From each SIGKILL to the restarted consumer's first "Assigned" line, and from the new JVM's first log line to it
  # (what the group protocol takes once the process is up). Times are local, as the services log them.
  awk 'function sec(x, a) { split(x, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    NR == FNR { kill[++k] = sec($3); next }
    / INFO ServiceMetrics - Metrics at / { up[++u] = sec($1) }
    / INFO Rebalance - Assigned / { got[++g] = sec($1) }
    END {
      for (i = 1; i <= k; i++) {
        for (x = 1; x <= u && up[x] < kill[i]; x++) {}
        for (y = 1; y <= g && got[y] < kill[i]; y++) {}
        for (z = 1; z <= g && x <= u && got[z] < up[x]; z++) {}
        total = total (y <= g ? sprintf("%.1f ", got[y] - kill[i]) : "- ")
        protocol = protocol (x <= u && z <= g ? sprintf("%.1f ", got[z] - up[x]) : "- ")
      }
      print total; print protocol
    }' "$work/kills" "$work/consumer-1.err" > "$work/restart-times"
  say "consumer-1 from SIGKILL to its partition back, s: $(sed -n 1p "$work/restart-times")"
  say "consumer-1 from the restarted JVM's first log line to its partition back, s: $(sed -n 2p "$work/restart-times")"
fi
moves=0
for n in $(seq 1 $CONSUMERS); do
  before=$(awk -v n="$n" '$1 == n { print $2 }' "$work/initial-assignment")
  until=$(awk -v n="$n" '$1 == n { print $2 }' "$work/assignment-count-at-pills" 2>/dev/null || true)
  initial=$(awk -v n="$n" '$1 == n { $1 = ""; $2 = ""; print }' "$work/initial-assignment" | xargs)
  { grep -o 'Assigned \[.*\]' "$work/consumer-$n.err" || true; } | head -n "${until:-1000000}" \
    | tail -n "+$((before + 1))" | tr -d '[],' | sed 's/^Assigned //' > "$work/assignments-$n"
  after=$({ grep -o 'Assigned \[.*\]' "$work/consumer-$n.err" || true; } | tail -n "+$((${until:-1000000} + 1))" \
    | sed 's/^Assigned //' | xargs)
  later=$(sort "$work/assignments-$n" | uniq -c | awk '{ c = $1; $1 = ""; printf "%dx [%s] ", c, substr($0, 2) }')
  other=$(awk -v i="$initial" '$0 != i' "$work/assignments-$n" | sort -u | xargs)
  [ -z "$other" ] || moves=$((moves + 1))
  say "consumer-$n: held $initial when items started; assignments while items flowed: ${later:-none}${other:+;" \
    "MOVED: held $other}${after:+; after the producer ended: $after}"
done
rejected=$(cat "$work"/consumer-*.err | grep -c 'Commit rejected after a rebalance' || true)
# Consumers 2..N are never killed: a partition they gain while items flow comes from a rebalance (a restart with the
# same instance id causes none). With cooperative rebalancing one that gives everyone back the same partitions logs
# nothing, so this counts gains, not rebalances.
gains=$(for n in $(seq 2 $CONSUMERS); do cat "$work/assignments-$n"; done | wc -w)
say "partition moves while items flowed: $moves consumers gained another's partition; partitions gained by the" \
  "consumers never killed: $gains; commits rejected after a rebalance: $rejected"
put=$(grep -c '^Produced' "$work/producer.out" || true)
say "producer: $put items acknowledged in ${DURATION} s ($((put / DURATION))/s);" \
  "$(grep -o 'Backpressure: .*' "$work/producer.err" || echo 'no backpressure line')"
say "join: $(tail -1 "$work/join.out") (exit $join_exit)"

# Kafka's own view of the group at the end, for the record.
java -Xmx64m -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
  --bootstrap-server "127.0.0.1:$PORT" --describe --group "$GROUP" 2>/dev/null | sed 's/^/    /' || true

echo
oracle_exit=0
scripts/soak-oracle.sh "$work" | sed "s/^/$(date -u +%H:%M:%S) soak | /" || oracle_exit=$? # pipefail: the oracle's

if [ "${producer_exit:-1}" != 0 ] && [ "${pills_exit:-1}" != 0 ]; then
  say "FAIL: the producer exited ${producer_exit:-?} and no pills were put after it (${pills_exit:-not tried})"
  failed=1
fi
for n in $(seq 1 $CONSUMERS); do
  [ "${consumer_exit[$n]:-1}" = 0 ] || { say "FAIL: consumer-$n exited ${consumer_exit[$n]:-?}"; failed=1; }
done
[ "$join_exit" = 0 ] || { say "FAIL: join exited $join_exit"; failed=1; }
[ "${max_lag:-0}" -le $((MAXSIZE + PARTITIONS)) ] || { say "FAIL: lag $max_lag above maxsize + pills"; failed=1; }
[ "$oracle_exit" = 0 ] || failed=1
say "ended after $(( $(date +%s) - started )) s: $([ "$failed" = 0 ] && echo PASS || echo FAIL)"
exit "$failed"
