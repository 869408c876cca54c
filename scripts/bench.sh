#!/usr/bin/env bash
# The queue's speed beside Apache Kafka's own tools, on one broker, in one run. Each side is a whole process timed
# from start to exit (JVM start included); runs alternate between the sides, after an untimed warm-up of the broker,
# and the median is reported.
#
#   scripts/bench.sh [--smoke | --full | --long] [--bootstrap-server HOST:PORT] [--runs N] [--count N] [--share]
#                    [--out DIR] [--skip-build] [--only STEP[,STEP...]]
#
# Default mode (about 10 minutes on 2 cores): 1,000,000 records, 3 runs per side; sweeps of the record count
# (1e5, 1e6), partitions x consumers (1x1, 4x1, 4x2, 4x4) and --commit per-record vs batch; end-to-end latency,
# join's delay after the last commit, backpressure overshoot with --maxsize, the consumer's peak RSS and heap.
# --full: 2,000,000 records, 5 runs, and 1e7 in the count sweep. --long: --full with 5e7 in the count sweep too, its
# consumers' RSS sampled every second (flat, or the memory grows with the records); about 25 minutes and 15 GB of
# disk, outside CI. --smoke: 50,000 records, one run of each step, under 3 minutes; it checks that every step ran and
# the table was printed, never a speed.
# --share adds a separate step: Kafka's ShareConsumerPerformance against the consumer with --group-type share, with
# one member, then 4 members on one partition (4 consumers; the tool's --threads 4). --only runs some steps: compare, count, shapes, commit, concurrency, exec, latency,
# share. The exec step times `consumer-service --exec true --concurrency 4` over 10,000 items (1,000 in --smoke)
# against `xargs -P 4 -n 1 true` over as many arguments, alternating, each a whole process.
#
# Without --bootstrap-server a single-node KRaft broker is started from Maven Central's jars
# (scripts/local-broker/broker.sh, shared with run-local.sh). Kafka's tools come from the same jars.
# Results: a table on stdout, and results.md, results.json, sweeps.svg and every process's output under
# target/bench/<time>/ (target/bench/latest points at the last run).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=local-broker/broker.sh
. scripts/local-broker/broker.sh

ARGS="$*"
MODE=default BOOTSTRAP="" RUNS="" COUNT="" SHARE=0 OUT="" SKIP_BUILD=0 ONLY=""
usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) MODE=smoke ;;
    --full) MODE=full ;;
    --long) MODE=long ;;
    --bootstrap-server) BOOTSTRAP=${2:?--bootstrap-server needs HOST:PORT}; shift ;;
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    --count) COUNT=${2:?--count needs a number}; shift ;;
    --share) SHARE=1 ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    --only) ONLY=${2:?--only needs steps}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
  shift
done
STEPS="compare count shapes commit concurrency exec latency share"
for step in ${ONLY//,/ }; do
  if [[ " $STEPS " != *" $step "* ]]; then
    echo "bench.sh: unknown step '$step' in --only; steps: ${STEPS// /, }" >&2
    exit 2
  fi
done
step_on() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
if step_on share && [ -n "$ONLY" ]; then SHARE=1; fi
for n in "$RUNS" "$COUNT"; do
  if [ -n "$n" ] && ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "bench.sh: --runs and --count take a positive whole number, got '$n'" >&2
    exit 2
  fi
done

# Sizes per mode. COUNTS: the count sweep; SWEEP_N: records of the partitions x consumers sweep; COMMIT_N: records
# of the per-record/batch comparison; LAT_N: items of the latency run (20 s at 1 ms apart in --full, so that the
# JVMs' first seconds of JIT compiling are not most of it; EndToEndLatency sends as many); JOIN_REPS: runs that time
# join's done line;
# CONC_N: items of 100 ms each that the --concurrency sweep works on one partition, at each of CONCURRENCIES.
# EXEC_N: items of the exec step (a command per item), run R times per side. SHARE_N: records of the share step.
case $MODE in
  smoke)   N=${COUNT:-50000};   R=${RUNS:-1}; COUNTS="$N";                 SWEEP_N=$N;      COMMIT_N=5000
           LAT_N=500;  JOIN_REPS=1; MAXSIZE_N=1000; CONC_N=16;  CONCURRENCIES="1 4"; EXEC_N=1000 ;;
  default) N=${COUNT:-1000000}; R=${RUNS:-3}; COUNTS="100000 $N";          SWEEP_N=500000;  COMMIT_N=20000
           LAT_N=2000; JOIN_REPS=5; MAXSIZE_N=3000; CONC_N=96;  CONCURRENCIES="1 2 4 8 16"; EXEC_N=10000 ;;
  full)    N=${COUNT:-2000000}; R=${RUNS:-5}; COUNTS="100000 1000000 10000000"; SWEEP_N=1000000; COMMIT_N=50000
           LAT_N=20000; JOIN_REPS=10; MAXSIZE_N=5000; CONC_N=320; CONCURRENCIES="1 2 4 8 16"; EXEC_N=10000 ;;
  long)    N=${COUNT:-2000000}; R=${RUNS:-5}; COUNTS="100000 1000000 10000000 50000000"; SWEEP_N=1000000
           COMMIT_N=50000; LAT_N=20000; JOIN_REPS=10; MAXSIZE_N=5000; CONC_N=320; CONCURRENCIES="1 2 4 8 16"
           EXEC_N=10000 ;;
esac
case $MODE in smoke) SHARE_N=5000 ;; default) SHARE_N=100000 ;; *) SHARE_N=200000 ;; esac
SHAPES="1x1 4x1 4x2 4x4"
[ "$MODE" != smoke ] || SHAPES="1x1 4x2"
MAXSIZE=100
IDLE_MS=5000 # how long Kafka's consumers wait for more records when several share a group (subtracted per member)
PORT=${BENCH_KAFKA_PORT:-29292}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-target/bench/$stamp}
mkdir -p "$OUT/logs" "$OUT/classes"
OUT=$(cd "$OUT" && pwd)
LOGS=$OUT/logs
RUNS_FILE=$OUT/runs.jsonl
: > "$RUNS_FILE"
cut -d' ' -f1 /proc/loadavg > "$OUT/load-start" 2>/dev/null || true # other work on the machine shows in the times
ln -sfn "$OUT" target/bench/latest 2>/dev/null || true
H=scripts/bench-helpers
PREFIX=bench-$stamp # topic and group names: a real cluster may hold an earlier run's
started=$(date +%s)

say() { printf 'bench +%4ss | %s\n' "$(( $(date +%s) - started ))" "$*"; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
die() { say "FAILED: $*"; exit 1; }

cleanup() {
  local pid
  for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  broker_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build, jars, broker -------------------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  say "build: ./mvnw -B -q -DskipTests package"
  ./mvnw -B -q -DskipTests package
fi
kafka_libs
CP="$KAFKA_LIBS/*"
javac -d "$OUT/classes" -cp "$CP" "$H/Probe.java"
javac -d "$OUT/classes" -cp consumer-service/target/consumer-service.jar "$H/QueueLoop.java"
probe() { java -Xmx256m -cp "$OUT/classes:$CP" Probe "$@"; }
kafka_tool() { local tool=$1; shift; java -cp "$CP" "org.apache.kafka.tools.$tool" "$@"; }

if [ -z "$BOOTSTRAP" ]; then
  say "broker: Apache Kafka $KAFKA_VERSION (KRaft) from Maven Central's jars on 127.0.0.1:$PORT, -Xmx512m"
  broker_start "$OUT/broker" "$PORT" 512m || die "the broker did not start"
  BOOTSTRAP=127.0.0.1:$PORT
  BROKER_DESC="local single-node KRaft broker, Apache Kafka $KAFKA_VERSION from Maven Central, -Xmx512m"
else
  BROKER_DESC="$BOOTSTRAP (given with --bootstrap-server)"
fi

# --- measuring ------------------------------------------------------------------------------------------------------
# timed NAME LABELS CMD...: runs CMD under /usr/bin/time -v, appends one JSON line to runs.jsonl with LABELS (a JSON
# fragment), the wall seconds, the exit code, the peak RSS and, for JVMs given $(gclog NAME), the peak heap.
gclog() { echo "-Xlog:gc:file=$LOGS/$1.gc"; }
# With RSS_EVERY=1 the process's RSS is also sampled every second into $LOGS/NAME.rss ("seconds kB" lines).
timed() {
  local name=$1 labels=$2; shift 2
  local t0 t1 code=0 tpid spid=""
  t0=$(now_us)
  /usr/bin/time -v -o "$LOGS/$name.time" "$@" > "$LOGS/$name.out" 2> "$LOGS/$name.err" &
  tpid=$!
  if [ "${RSS_EVERY:-0}" = 1 ]; then sample_rss "$tpid" "$LOGS/$name.rss" & spid=$!; fi
  wait "$tpid" || code=$?
  if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  t1=$(now_us)
  python3 "$H/measure.py" --name "$name" --labels "$labels" --micros $(( t1 - t0 )) --exit "$code" \
    --logs "$LOGS" >> "$RUNS_FILE"
  return "$code"
}
# sample_rss PID FILE: the RSS of PID's child (the JVM under /usr/bin/time) every second while PID runs
sample_rss() {
  local parent=$1 file=$2 child="" start kb
  start=$(date +%s)
  : > "$file"
  while kill -0 "$parent" 2>/dev/null; do
    [ -n "$child" ] || child=$(pgrep -P "$parent" | head -1)
    if [ -n "$child" ]; then
      kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$child/status" 2>/dev/null) || kb=""
      [ -z "$kb" ] || echo "$(( $(date +%s) - start )) $kb" >> "$file"
    fi
    sleep 1
  done
}
# group NAME LABELS: the wall time of several processes started together, from the first start to the last exit
group_record() {
  local labels=$1 micros=$2 code=$3 extra=${4:-}
  printf '{%s,"seconds":%s,"exit":%s%s}\n' "$labels" "$(python3 -c "print(round($micros/1e6, 3))")" "$code" \
    "$extra" >> "$RUNS_FILE"
}
must() { "$@" || die "$1 exited non-zero (see $LOGS)"; }
# ended FILE CMD...: runs CMD, then writes the time it ended (now_us) to FILE; returns CMD's exit code
ended() { local file=$1 code=0; shift; "$@" || code=$?; now_us > "$file"; return "$code"; }
# kafka_group_micros SHAPE MEMBERS T0: when the last record of a group of ConsumerPerformance processes was read,
# in microseconds from T0. A member that stopped on its idle timeout read its last record IDLE_MS before it ended;
# a member that read nothing did no work, and its end says nothing (it idles from its own start, and can end before
# another member has read the last record: then the last exit minus IDLE_MS undercounted the group's time by
# seconds). Fails when no member read a record.
kafka_group_micros() {
  local shape=$1 c=$2 t0=$3 i base end records last=""
  for i in $(seq 1 "$c"); do
    base=$LOGS/sweep-$shape-kafka-$i
    records=$(awk -F', ' 'NF >= 5 && $5 ~ /^[0-9]+$/ {n = $5} END {print n + 0}' "$base.out")
    [ "$records" -gt 0 ] || continue
    end=$(( $(cat "$base.end") - t0 ))
    if grep -q 'timeout ([0-9]* ms) exceeded' "$base.out" "$base.err"; then end=$(( end - IDLE_MS * 1000 )); fi
    if [ -z "$last" ] || [ "$end" -gt "$last" ]; then last=$end; fi
  done
  [ -n "$last" ] && echo "$last"
}

# The services keep their default heap, as a user runs them.
queue_producer() { # NAME LABELS TOPIC PARTITIONS COUNT [GROUP [more flags]]
  local name=$1 labels=$2 topic=$3 partitions=$4 count=$5 group=${6:-$3-nobody}; shift 5; shift $(( $# > 0 ))
  timed "$name" "$labels" java "$(gclog "$name")" -jar producer-service/target/producer-service.jar \
    --bootstrap-servers "$BOOTSTRAP" --topic "$topic" --group "$group" --partitions "$partitions" \
    --count "$count" --item-log summary "$@"
}
queue_consumer() { # NAME LABELS TOPIC GROUP [more flags]
  local name=$1 labels=$2 topic=$3 group=$4; shift 4
  timed "$name" "$labels" java "$(gclog "$name")" -jar consumer-service/target/consumer-service.jar \
    --bootstrap-servers "$BOOTSTRAP" --topic "$topic" --group "$group" --work-ms "${WORK_MS:-0}" --item-log summary "$@"
}
# The library's own put and get loops (scripts/bench-helpers/QueueLoop.java), on the consumer's jar's class path.
library_loop() { # NAME LABELS MODE TOPIC GROUP COUNT
  timed "$1" "$2" java "$(gclog "$1")" -cp "$OUT/classes:consumer-service/target/consumer-service.jar" QueueLoop \
    "$3" "$BOOTSTRAP" "$4" "$5" "$6"
}
kafka_producer() { # NAME LABELS TOPIC COUNT RECORD_SIZE
  timed "$1" "$2" java "$(gclog "$1")" -cp "$CP" org.apache.kafka.tools.ProducerPerformance \
    --bootstrap-server "$BOOTSTRAP" --topic "$3" --num-records "$4" --record-size "$5" --throughput -1 \
    --command-property acks=all enable.idempotence=true
}
kafka_consumer() { # NAME LABELS TOPIC GROUP RECORDS [more flags]
  local name=$1 labels=$2 topic=$3 group=$4 records=$5; shift 5
  # read_committed as the queue's consumer reads
  timed "$name" "$labels" java "$(gclog "$name")" -cp "$CP" org.apache.kafka.tools.ConsumerPerformance \
    --bootstrap-server "$BOOTSTRAP" --topic "$topic" --group "$group" --num-records "$records" \
    --command-property isolation.level=read_committed "$@"
}
wait_assigned() { # ERRFILE PID: until the consumer logs a non-empty assignment
  local _
  for _ in $(seq 1 300); do
    grep -q 'Assigned \[[^]]' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
lab() { # key=value ... -> JSON fragment; numbers stay numbers
  local out="" kv k v
  for kv in "$@"; do
    k=${kv%%=*} v=${kv#*=}
    if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then out+="\"$k\":$v,"; else out+="\"$k\":\"$v\","; fi
  done
  echo "${out%,}"
}

# --- 1. produce and consume, alternating A/B ---------------------------------------------------------------------
say "mode $MODE: $N records, $R run(s) per side; logs in $LOGS"
SIZE=""
if step_on compare; then
# An untimed warm-up first: a freshly started broker is slow until it has taken a few million records (here, five
# runs of 2,000,000 in a row took 12.0, 9.0, 7.4, 7.1 and 7.2 s), and whichever side ran first paid for it. So each
# side puts N records once, and Kafka's consumer reads them, before anything is timed. The warm-up also measures the
# record size Kafka's tools are given.
wt=$PREFIX-warm-up
probe create-topic "$BOOTSTRAP" "$wt" 1
say "warm-up (untimed): $N records put by each producer, read back by ConsumerPerformance"
must queue_producer warm-up-produce-queue '"step":"warm-up"' "$wt" 1 "$N"
SIZE=$(probe record-size "$BOOTSTRAP" "$wt")
must kafka_producer warm-up-produce-kafka '"step":"warm-up"' "$wt" "$N" "$SIZE"
must kafka_consumer warm-up-consume '"step":"warm-up"' "$wt" "$PREFIX-warm-up" $(( 2 * N + 1 ))
for run in $(seq 1 "$R"); do
  qt=$PREFIX-q$run kt=$PREFIX-k$run lt=$PREFIX-l$run
  # Every topic exists before the timed runs: Kafka's tool cannot create one itself (only the broker's
  # auto-create can), so the producer's own topic creation stays out of the comparison on every side.
  probe create-topic "$BOOTSTRAP" "$kt" 1
  probe create-topic "$BOOTSTRAP" "$qt" 1
  probe create-topic "$BOOTSTRAP" "$lt" 1
  produce_queue() { must queue_producer "produce-queue-$run" "$(lab step=produce side=queue n="$N" run="$run")" "$qt" 1 "$N"; }
  produce_kafka() { must kafka_producer "produce-kafka-$run" "$(lab step=produce side=kafka n="$N" run="$run")" "$kt" "$N" "$SIZE"; }
  produce_library() { must library_loop "produce-library-$run" "$(lab step=produce side=library n="$N" run="$run")" put "$lt" "$PREFIX-nobody" "$N"; }
  if (( run % 2 == 1 )); then produce_queue; produce_kafka; produce_library; else produce_library; produce_kafka; produce_queue; fi
  say "run $run: produced $N records each side (record ${SIZE} bytes, key + value)"
  consume_queue() { must queue_consumer "consume-queue-$run" "$(lab step=consume side=queue n="$N" run="$run")" "$qt" "$PREFIX-cq$run"; }
  consume_kafka() { must kafka_consumer "consume-kafka-$run" "$(lab step=consume side=kafka n="$N" run="$run")" "$qt" "$PREFIX-ck$run" $(( N + 1 )); }
  consume_library() { must library_loop "consume-library-$run" "$(lab step=consume side=library n="$N" run="$run")" get "$qt" "$PREFIX-cl$run" "$N"; }
  if (( run % 2 == 1 )); then consume_queue; consume_kafka; consume_library; else consume_library; consume_kafka; consume_queue; fi
  say "run $run: consumed the queue's topic with the three consumers"
done
fi

# --- 2. sweeps -----------------------------------------------------------------------------------------------------
if step_on count; then
for n in $COUNTS; do
  if [ "$n" = "$N" ]; then continue; fi # the runs above are this point
  t=$PREFIX-n$n
  must queue_producer "sweep-n$n-produce" "$(lab step=sweep-count-produce side=queue n="$n")" "$t" 1 "$n"
  sample=0; (( n < 10000000 )) || sample=1 # RSS over the run, at 1e7 and more: flat, or memory grows with records
  RSS_EVERY=$sample must queue_consumer "sweep-n$n-queue" "$(lab step=sweep-count side=queue n="$n")" "$t" "$PREFIX-nq$n"
  RSS_EVERY=$sample must kafka_consumer "sweep-n$n-kafka" "$(lab step=sweep-count side=kafka n="$n")" "$t" "$PREFIX-nk$n" $(( n + 1 ))
  say "count sweep: $n records"
done
fi

# The items and their pills are put first, as Kafka's side finds its records there; the queue's consumers are told
# the run (--run-id), so that a member that starts after the others drained the topic ends at its pills too (by
# default a consumer ends at pills put after it started, or of a run it read items of). Both sides are timed from the
# first start to the last exit.
if step_on shapes; then
for shape in $SHAPES; do
  p=${shape%x*} c=${shape#*x} t=$PREFIX-pc$shape run_id=$PREFIX-pc$shape
  must queue_producer "sweep-$shape-produce" "$(lab step=sweep-pc-produce side=queue n="$SWEEP_N" p="$p" c="$c")" \
    "$t" "$p" "$SWEEP_N" "$t-nobody" --run-id "$run_id"
  for side in queue kafka; do
    pids=() t0=$(now_us)
    for i in $(seq 1 "$c"); do
      labels=$(lab step=sweep-pc-member side=$side n="$SWEEP_N" p="$p" c="$c" member="$i")
      if [ "$side" = queue ]; then
        queue_consumer "sweep-$shape-queue-$i" "$labels" "$t" "$PREFIX-pcq$shape" --run-id "$run_id" &
      elif [ "$c" = 1 ]; then
        kafka_consumer "sweep-$shape-kafka-$i" "$labels" "$t" "$PREFIX-pck$shape" $(( SWEEP_N + p )) &
      else
        # Several of Kafka's consumers in one group cannot know their share: each stops after IDLE_MS without records.
        ended "$LOGS/sweep-$shape-kafka-$i.end" kafka_consumer "sweep-$shape-kafka-$i" "$labels" "$t" "$PREFIX-pck$shape" \
          $(( SWEEP_N + p )) --timeout "$IDLE_MS" &
      fi
      pids+=($!)
    done
    code=0
    for pid in "${pids[@]}"; do wait "$pid" || code=$?; done
    micros=$(( $(now_us) - t0 ))
    idle=0
    if [ "$side" = kafka ] && [ "$c" != 1 ]; then
      idle=$IDLE_MS
      micros=$(kafka_group_micros "$shape" "$c" "$t0") || micros=$(( micros - idle * 1000 ))
    fi
    group_record "$(lab step=sweep-pc side=$side n="$SWEEP_N" p="$p" c="$c")" "$micros" "$code" \
      ",\"idle_subtracted_ms\":$idle"
    [ "$code" = 0 ] || die "a $side consumer of the $shape sweep exited $code (see $LOGS/sweep-$shape-$side-*)"
  done
  say "partitions x consumers sweep: $shape"
done
fi

if step_on commit; then
for mode in batch per-record; do
  t=$PREFIX-commit-$mode
  must queue_producer "commit-$mode-produce" "$(lab step=commit-produce side=queue n="$COMMIT_N" commit="$mode")" "$t" 1 "$COMMIT_N"
  must queue_consumer "commit-$mode" "$(lab step=commit side=queue n="$COMMIT_N" commit="$mode")" "$t" "$PREFIX-cm$mode" --commit "$mode"
  probe commits "$BOOTSTRAP" "$t" "$PREFIX-cm$mode" > "$LOGS/commit-$mode.commits.json"
  say "commit sweep: --commit $mode, $COMMIT_N records"
done
fi

# Items in flight per consumer (--concurrency N, --ordering unordered) on one partition, at 100 ms of work per item:
# the speed-up over N = 1 (each consumer in its own group, reading the same run from the start).
if step_on concurrency; then
t=$PREFIX-concurrency
must queue_producer "conc-produce" "$(lab step=conc-produce side=queue n="$CONC_N")" "$t" 1 "$CONC_N"
for n in $CONCURRENCIES; do
  WORK_MS=100 must queue_consumer "conc-$n" "$(lab step=concurrency side=queue n="$CONC_N" concurrency="$n")" "$t" \
    "$PREFIX-conc$n" --concurrency "$n" --ordering unordered
  say "concurrency sweep: --concurrency $n, $CONC_N items of 100 ms on one partition"
done
fi

# Real work: a command per item. The consumer runs `sh -c true` per item (--exec true), 4 at a time on one partition
# (--ordering unordered), against xargs running `true` per argument, 4 at a time: both start a process per item, on
# the same machine, alternating. The items are put once, untimed; each consumer run has a group of its own.
if step_on exec; then
t=$PREFIX-exec
must queue_producer "exec-produce" "$(lab step=exec-produce side=queue n="$EXEC_N")" "$t" 1 "$EXEC_N"
for run in $(seq 1 "$R"); do
  exec_queue() { must queue_consumer "exec-queue-$run" "$(lab step=exec side=queue n="$EXEC_N" run="$run")" "$t" \
    "$PREFIX-exec$run" --exec true --concurrency 4 --ordering unordered; }
  exec_xargs() { must timed "exec-xargs-$run" "$(lab step=exec side=xargs n="$EXEC_N" run="$run")" \
    sh -c "seq $EXEC_N | xargs -P 4 -n 1 true"; }
  if (( run % 2 == 1 )); then exec_queue; exec_xargs; else exec_xargs; exec_queue; fi
  say "exec run $run: --exec true and xargs -P 4 -n 1 true over $EXEC_N items each"
done
fi

# --- 3. latency, join's delay, backpressure ------------------------------------------------------------------------
# One pipeline: a consumer that holds the partition, a producer putting at a steady pace, and join --closed (JOIN=0:
# no join). Latency per item is the broker's commit time of the commit covering it minus its CreateTime (set in
# send()); join's delay is join's done line minus the last commit.
pipeline() { # NAME COUNT INTERVAL_MS [producer flags]; the consumer works WORK_MS per item
  local name=$1 count=$2 interval=$3; shift 3
  local t=$PREFIX-$name g=$PREFIX-$name-g cpid jpid="" code=0
  probe create-topic "$BOOTSTRAP" "$t" 1
  queue_consumer "$name-consumer" "$(lab step="$name" part=consumer)" "$t" "$g" &
  cpid=$!
  wait_assigned "$LOGS/$name-consumer.err" "$cpid" || die "$name: the consumer exited or never got its partition (see $LOGS/$name-consumer.err)"
  if [ "${JOIN:-1}" = 1 ]; then
    # join prints each line as it comes; each gets the time it was read, in microseconds
    java -jar producer-service/target/producer-service.jar join --bootstrap-servers "$BOOTSTRAP" --topic "$t" \
      --group "$g" --closed --count "$count" --timeout 300s 2> "$LOGS/$name-join.err" \
      | while IFS= read -r line; do printf '%s %s\n' "$(now_us)" "$line"; done > "$LOGS/$name-join.out" &
    jpid=$!
  fi
  queue_producer "$name-producer" "$(lab step="$name" part=producer)" "$t" 1 "$count" "$g" \
    --interval-ms "$interval" "$@" || code=$?
  wait "$cpid" || code=$?
  [ -z "$jpid" ] || wait "$jpid" || code=$?
  [ "$code" = 0 ] || die "$name: a process exited $code (see $LOGS/$name-*)"
  probe commits "$BOOTSTRAP" "$t" "$g" "${MAXSIZE_FLAG:-0}" > "$LOGS/$name.commits.json"
  local done_us=""
  if [ -n "$jpid" ]; then
    done_us=$(awk '/join: done/ {print $1; exit}' "$LOGS/$name-join.out")
    [ -n "$done_us" ] || die "$name: join printed no done line (see $LOGS/$name-join.out)"
  fi
  python3 - "$LOGS/$name.commits.json" "$done_us" "$name" >> "$RUNS_FILE" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(step=sys.argv[3])
if sys.argv[2]:
    c["join_done_ms"] = int(sys.argv[2]) / 1000.0
    c["join_delay_ms"] = round(c["join_done_ms"] - c["last_commit_ms"], 1)
print(json.dumps(c))
PY
}

if step_on latency; then
# The latency run is the producer and the consumer alone, as EndToEndLatency is a producer and a consumer alone.
# --full and --long run it again with join --closed beside them, as a user watching the run would.
JOIN=0 pipeline latency "$LAT_N" 1
[ "$MODE" = smoke ] || [ "$MODE" = default ] || pipeline latency-join "$LAT_N" 1
[ -n "$SIZE" ] || SIZE=$(probe record-size "$BOOTSTRAP" "$PREFIX-latency")
kafka_latency() {
  probe create-topic "$BOOTSTRAP" "$PREFIX-e2e" 1
  timed e2e-kafka "$(lab step=e2e side=kafka n="$LAT_N")" java -cp "$CP" org.apache.kafka.tools.EndToEndLatency \
    "$BOOTSTRAP" "$PREFIX-e2e" "$LAT_N" all "$SIZE"
}
must kafka_latency
say "latency: $LAT_N items put 1 ms apart, and Kafka's EndToEndLatency"
for i in $(seq 1 "$JOIN_REPS"); do
  pipeline "join$i" 1000 0
done
say "join's delay: $JOIN_REPS run(s)"
WORK_MS=1 MAXSIZE_FLAG=$MAXSIZE
pipeline maxsize "$MAXSIZE_N" 0 --maxsize "$MAXSIZE"
say "backpressure: --maxsize $MAXSIZE over $MAXSIZE_N items, consumer at 1 ms per item"
WORK_MS=0 MAXSIZE_FLAG=0
fi

# --- 4. share groups (optional) ------------------------------------------------------------------------------------
# SHARE_N records on one partition, read by one member, then by 4: Kafka's ShareConsumerPerformance (--threads 4, one
# process) against the consumer with --group-type share (4 processes, told the run so that each ends at its pill).
# Each run has a group of its own, set to start at the earliest offset; the sides alternate.
if [ "$SHARE" = 1 ]; then
  t=$PREFIX-share run_id=$PREFIX-share
  must queue_producer share-produce "$(lab step=share-produce side=queue n="$SHARE_N")" "$t" 1 "$SHARE_N" \
    "$t-nobody" --run-id "$run_id"
  SR=$(( R < 3 ? R : 3 ))
  for members in 1 4; do
    for run in $(seq 1 "$SR"); do
      share_kafka() {
        local g=$PREFIX-shk$members-$run
        probe group-config "$BOOTSTRAP" "$g" share.auto.offset.reset=earliest
        must timed "share-kafka-$members-$run" "$(lab step=share side=kafka n="$SHARE_N" members="$members" run="$run")" \
          java "$(gclog "share-kafka-$members-$run")" -cp "$CP" org.apache.kafka.tools.ShareConsumerPerformance \
          --bootstrap-server "$BOOTSTRAP" --topic "$t" --group "$g" --num-records $(( SHARE_N + 1 )) --threads "$members"
      }
      share_queue() {
        local g=$PREFIX-shq$members-$run i pids=() code=0 t0
        probe group-config "$BOOTSTRAP" "$g" share.auto.offset.reset=earliest
        t0=$(now_us)
        for i in $(seq 1 "$members"); do
          queue_consumer "share-queue-$members-$run-$i" "$(lab step=share-member side=queue members="$members" member="$i")" \
            "$t" "$g" --group-type share --run-id "$run_id" &
          pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i" || code=$?; done
        group_record "$(lab step=share side=queue n="$SHARE_N" members="$members" run="$run")" $(( $(now_us) - t0 )) "$code"
        [ "$code" = 0 ] || die "a share consumer exited $code (see $LOGS/share-queue-$members-$run-*)"
      }
      if (( run % 2 == 1 )); then share_queue; share_kafka; else share_kafka; share_queue; fi
    done
    say "share groups: $SHARE_N records, $members member(s), $SR run(s) per side"
  done
fi

# --- 5. report ------------------------------------------------------------------------------------------------------
python3 "$H/report.py" --out "$OUT" --mode "$MODE" --command "scripts/bench.sh${ARGS:+ $ARGS}" --broker "$BROKER_DESC" \
  --record-size "$SIZE" --maxsize "$MAXSIZE" --idle-ms "$IDLE_MS"
if step_on compare; then
  grep -q '^| consume ' "$OUT/results.md" || die "no table in $OUT/results.md"
fi
say "done in $(( $(date +%s) - started ))s: $OUT/results.md, results.json, sweeps.svg"
