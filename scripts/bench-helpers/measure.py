#!/usr/bin/env python3
"""One JSON line for one timed process of scripts/bench.sh.

Reads LOGS/NAME.time (GNU time -v), LOGS/NAME.gc (-Xlog:gc) and LOGS/NAME.out (the process's stdout) and prints
the labels plus: seconds (wall, start to exit), exit, rss_mb (peak resident set), heap_peak_mb (largest heap
occupancy seen before a collection; null when no collection ran), heap_committed_mb, gcs, and what the process
said it did (records: the consumer's "N items processed", the producer's "N items", the Kafka tools' counts).
"""
import argparse
import json
import os
import re


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--labels", required=True, help="a JSON object's members, without braces")
    p.add_argument("--micros", type=int, required=True)
    p.add_argument("--exit", type=int, required=True)
    p.add_argument("--logs", required=True)
    a = p.parse_args()

    rec = json.loads("{" + a.labels + "}")
    rec.update(name=a.name, seconds=round(a.micros / 1e6, 3), exit=a.exit)

    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", read(os.path.join(a.logs, a.name + ".time")))
    rec["rss_mb"] = round(int(m.group(1)) / 1024, 1) if m else None

    before, committed = [], []
    for used_before, _after, total in re.findall(r"(\d+)M->(\d+)M\((\d+)M\)", read(os.path.join(a.logs, a.name + ".gc"))):
        before.append(int(used_before))
        committed.append(int(total))
    rec["heap_peak_mb"] = max(before) if before else None
    rec["heap_committed_mb"] = max(committed) if committed else None
    rec["gcs"] = len(before)

    out = read(os.path.join(a.logs, a.name + ".out"))
    for pattern in (r"Consumer done: (\d+) items processed", r"Producer done: (\d+) items",
                    r"^(\d+) records sent", r"^\S+ \S+, \S+ \S+, [\d.]+, [\d.]+, (\d+),",
                    r"^\S+ \S+, \S+ \S+, [\d.]+, [\d.]+, [\d.]+, (\d+),"):  # ShareConsumerPerformance
        found = re.findall(pattern, out, re.MULTILINE)
        if found:
            rec["records"] = int(found[-1])  # the last: ProducerPerformance prints progress lines first
            break
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
