#!/usr/bin/env bash
# The soak's oracle: from the files a soak run leaves in its work directory, counts the items the producer had
# acknowledged, the items the consumers applied and dead-lettered, and prints the verdict line
#   "<n> lost, <n> applied twice"
# Exit code 0 when both are 0, 1 otherwise. Usable on its own on a run kept with `scripts/soak.sh --keep`:
#   scripts/soak-oracle.sh DIR
#
# Inputs in DIR:
#   producer.out     the producer's stdout with --item-log each: "Produced <id> (partition <p>, offset <o>)", one line
#                    per acknowledged item (printed from the send callback, so only acknowledged items appear)
#   run-id           the producer's --run-id
#   applied-<n>.log  consumer n's applied log (--applied-log), one "<run> <id>" line per item applied. soak.sh keeps
#                    --dedup-window above the item count, so the logs are never compacted and hold every application
#   consumer-<n>.out consumer n's stdout over all its restarts: "Dead-lettered <topic>-<p>@<o> to ...", "Skipped ..."
set -euo pipefail

dir=${1:?usage: scripts/soak-oracle.sh DIR}
run=$(cat "$dir/run-id")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/soak-oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# partition offset id, for every acknowledged item
awk '$1 == "Produced" { p = $4; o = $6; sub(/,$/, "", p); sub(/\)$/, "", o); print p, o, $2 }' \
  "$dir/producer.out" > "$tmp/acked.pos"
awk '{ print $3 }' "$tmp/acked.pos" | sort -n > "$tmp/acked"
# every application of this run's items, by any consumer, duplicates kept
cat "$dir"/applied-*.log 2>/dev/null | awk -v run="$run" '$1 == run { print $2 }' | sort -n > "$tmp/applied.all"
sort -n -u "$tmp/applied.all" > "$tmp/applied"
# dead-lettered records, mapped back to item ids through the producer's partition and offset
cat "$dir"/consumer-*.out 2>/dev/null | awk '$1 == "Dead-lettered" { n = split($2, a, /[-@]/); print a[n - 1], a[n] }' \
  | awk 'NR == FNR { id[$1 " " $2] = $3; next } ($1 " " $2) in id { print id[$1 " " $2] }' "$tmp/acked.pos" - \
  | sort -n -u > "$tmp/dead"
sort -n -u "$tmp/applied" "$tmp/dead" > "$tmp/done"

acked=$(wc -l < "$tmp/acked")
applied=$(wc -l < "$tmp/applied")
applications=$(wc -l < "$tmp/applied.all")
dead=$(wc -l < "$tmp/dead")
lost=$(comm -23 "$tmp/acked" "$tmp/done" | wc -l)
twice=$(uniq -d "$tmp/applied.all" | wc -l)
unacked=$(comm -13 "$tmp/acked" "$tmp/applied" | wc -l)

# Applied twice by whom: the same log twice (a consumer's own dedup failed) or two logs (across consumers).
across=$(for f in "$dir"/applied-*.log; do awk -v run="$run" '$1 == run { print $2 }' "$f" | sort -n -u; done \
  | sort -n | uniq -d | wc -l)
within=$(for f in "$dir"/applied-*.log; do awk -v run="$run" '$1 == run { print $2 }' "$f" | sort -n | uniq -d; done \
  | sort -n -u | wc -l)

echo "oracle: run $run: $acked items acknowledged by the producer, $applied applied ($applications applications)," \
  "$dead dead-lettered"
if [ "$unacked" -gt 0 ]; then
  echo "oracle: $unacked items applied that the producer never saw acknowledged (a send whose ack was lost; not a loss)"
fi
if [ "$lost" -gt 0 ]; then
  echo "oracle: lost (acknowledged, neither applied nor dead-lettered): $(comm -23 "$tmp/acked" "$tmp/done" | head -20 | tr '\n' ' ')"
fi
if [ "$twice" -gt 0 ]; then
  echo "oracle: applied twice: $twice items ($across by two consumers, $within twice by the same one):" \
    "$(uniq -d "$tmp/applied.all" | head -20 | tr '\n' ' ')"
fi
echo "$lost lost, $twice applied twice"
[ "$lost" -eq 0 ] && [ "$twice" -eq 0 ]
