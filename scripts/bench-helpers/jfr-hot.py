#!/usr/bin/env python3
"""Aggregates a JFR recording's samples by stack top, by thread and by first frame of the project's code.

    scripts/bench-helpers/jfr-hot.py RECORDING.jfr [--package dev.kafkaqueue] [--top 25]

Reads `jfr print --json` (JDK 17). Prints, as percentages of the samples:
  execution samples (jdk.ExecutionSample): per thread, per top frame, per top frame of the main thread,
  and per nearest frame in --package (what the project's code called, inclusive);
  native samples (jdk.NativeMethodSample: threads blocked in native code, e.g. socket reads) per thread and top frame;
  allocation samples (jdk.ObjectAllocationSample, weighted by bytes) per class and per allocating frame.
"""
import argparse
import collections
import json
import subprocess
import sys


def events(recording, name):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "256", "--events", name, recording],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def frame_name(frame):
    m = frame["method"]
    return f'{m["type"]["name"]}.{m["name"]}'.replace("/", ".")


def frames(event):
    st = event["values"].get("stackTrace")
    return st["frames"] if st else []


def thread(event, key):
    t = event["values"].get(key)
    return (t.get("javaName") or t.get("osName") or "?") if t else "?"


def table(title, counter, total, top, unit="samples"):
    print(f"\n## {title} ({total} {unit})")
    for key, n in counter.most_common(top):
        print(f"{100.0 * n / total:6.1f}%  {key}")


def nearest_own(fs, package):
    for f in fs:
        if frame_name(f).startswith(package):
            return frame_name(f)
    return "(no project frame)"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("recording")
    p.add_argument("--package", default="dev.kafkaqueue")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--thread", default="main", help="thread for the per-thread tables")
    a = p.parse_args()

    ex = events(a.recording, "jdk.ExecutionSample")
    by_thread = collections.Counter(thread(e, "sampledThread") for e in ex)
    tops = collections.Counter(frame_name(frames(e)[0]) for e in ex if frames(e))
    main_ex = [e for e in ex if thread(e, "sampledThread") == a.thread and frames(e)]
    main_tops = collections.Counter(frame_name(frames(e)[0]) for e in main_ex)
    own = collections.Counter(nearest_own(frames(e), a.package) for e in main_ex)
    inclusive = collections.Counter()
    for e in main_ex:
        seen = set()
        for f in frames(e):
            n = frame_name(f)
            if n not in seen:
                seen.add(n)
                inclusive[n] += 1
    table("Execution samples by thread", by_thread, len(ex), a.top)
    table("Execution samples by top frame, all threads", tops, len(ex), a.top)
    if main_ex:
        table(f"Thread {a.thread}: top frame", main_tops, len(main_ex), a.top)
        table(f"Thread {a.thread}: nearest {a.package} frame (time spent in or under it)", own, len(main_ex), a.top)
        table(f"Thread {a.thread}: inclusive (frame anywhere on the stack)", inclusive, len(main_ex), a.top)

    nat = events(a.recording, "jdk.NativeMethodSample")
    if nat:
        table("Native samples by thread (threads waiting in native code)",
              collections.Counter(thread(e, "sampledThread") for e in nat), len(nat), a.top)
        main_nat = [e for e in nat if thread(e, "sampledThread") == a.thread and frames(e)]
        if main_nat:
            table(f"Thread {a.thread}, native samples: nearest {a.package} frame",
                  collections.Counter(nearest_own(frames(e), a.package) for e in main_nat), len(main_nat), a.top)
            table(f"Thread {a.thread}, native samples: nearest org.apache.kafka frame",
                  collections.Counter(nearest_own(frames(e), "org.apache.kafka") for e in main_nat), len(main_nat),
                  a.top)
        print(f"\nThread {a.thread}: about {len(main_ex) * 10 / 1000:.1f} s running Java (10 ms samples), "
              f"{len(main_nat) * 20 / 1000:.1f} s in native code (20 ms samples), under the profile settings")

    al = events(a.recording, "jdk.ObjectAllocationSample")
    if al:
        weight = lambda e: e["values"].get("weight", 0)
        total = sum(weight(e) for e in al)
        by_class, by_frame, by_own = collections.Counter(), collections.Counter(), collections.Counter()
        for e in al:
            w = weight(e)
            by_class[e["values"]["objectClass"]["name"]] += w
            fs = frames(e)
            if fs:
                by_frame[frame_name(fs[0])] += w
                by_own[nearest_own(fs, a.package)] += w
        mb = total / 1e6
        table("Allocation (sampled bytes) by class", by_class, total, a.top, f"bytes, {mb:.0f} MB weighted")
        table("Allocation by allocating frame", by_frame, total, a.top, "bytes")
        table(f"Allocation by nearest {a.package} frame", by_own, total, a.top, "bytes")


if __name__ == "__main__":
    sys.exit(main())
