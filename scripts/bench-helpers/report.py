#!/usr/bin/env python3
"""The tables and chart of scripts/bench.sh, from OUT/runs.jsonl and the processes' logs.

Writes OUT/results.md, OUT/results.json and OUT/sweeps.svg, and prints the Markdown to stdout. Every figure is a
median over the runs of a step; ratios are kafka-queue's time over Kafka's tool's time (below 1 is faster).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess


def load(out):
    with open(os.path.join(out, "runs.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pick(runs, **labels):
    return [r for r in runs if all(r.get(k) == v for k, v in labels.items())]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=2, unit=""):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}{unit}"


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def machine():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stderr.strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - a missing tool only leaves a field empty
            return "n/a"
    cpu = "n/a"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "n/a")
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem_gb = int(f.readline().split()[1]) / 1024 / 1024
    except OSError:
        mem_gb = 0
    os_name = platform.platform()
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            os_name = next(line.split("=", 1)[1].strip().strip('"') for line in f if line.startswith("PRETTY_NAME"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1), "os": os_name,
            "kernel": platform.release(), "java": run(["java", "-version"]), "load_1min_end": os.getloadavg()[0]}


def e2e(out):
    """EndToEndLatency's own summary: average and percentiles in ms."""
    try:
        with open(os.path.join(out, "logs", "e2e-kafka.out"), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    avg = re.search(r"Avg latency: ([\d.]+) ms", text)
    pct = re.search(r"Percentiles: 50th = (\d+), 99th = (\d+), 99.9th = (\d+)", text)
    if not pct:
        return None
    return {"mean": float(avg.group(1)) if avg else None, "p50": int(pct.group(1)), "p99": int(pct.group(2)),
            "p999": int(pct.group(3))}


def waited(out, name):
    """The consumer's own line on how long items waited from put to get: p50, p99 and max in ms."""
    try:
        with open(os.path.join(out, "logs", f"{name}.out"), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    m = re.search(r"Waited from put to get: p50 (\d+) ms, p99 (\d+) ms, max (\d+) (ms|s)", text)
    if not m:
        return None
    scale = 1000 if m.group(4) == "s" else 1
    return {"p50": int(m.group(1)), "p99": int(m.group(2)), "max": int(m.group(3)) * scale}


def rss_over_run(out, name):
    """The sampled RSS (one line a second: seconds, kB) at 10, 50 and 90 % of the run, and its peak, in MB."""
    try:
        with open(os.path.join(out, "logs", f"{name}.rss"), encoding="utf-8") as f:
            kb = [int(line.split()[1]) for line in f if len(line.split()) == 2]
    except FileNotFoundError:
        return None
    if len(kb) < 3:
        return None
    at = lambda q: round(kb[min(len(kb) - 1, int(q * len(kb)))] / 1024)
    return {"p10": at(0.1), "p50": at(0.5), "p90": at(0.9), "peak": round(max(kb) / 1024), "samples": len(kb)}


def summarize(runs, args):
    s = {}
    for step in ("produce", "consume"):
        lib, k = pick(runs, step=step, side="library"), pick(runs, step=step, side="kafka")
        ml, mk = median(r["seconds"] for r in lib), median(r["seconds"] for r in k)
        by_run = {r["run"]: r["seconds"] for r in k}
        pairs = [ratio(r["seconds"], by_run[r["run"]]) for r in lib if r["run"] in by_run]
        s["library_" + step] = {"library_s": ml, "kafka_s": mk, "ratio": ratio(ml, mk), "pair_ratios": pairs,
                                "pair_ratio_median": median(pairs), "library_runs": [r["seconds"] for r in lib],
                                "library_rss_mb": max((r["rss_mb"] or 0 for r in lib), default=None)}
    for step in ("produce", "consume"):
        q, k = pick(runs, step=step, side="queue"), pick(runs, step=step, side="kafka")
        mq, mk = median(r["seconds"] for r in q), median(r["seconds"] for r in k)
        n = q[0]["n"] if q else None
        by_run = {r["run"]: r["seconds"] for r in k}
        pairs = [ratio(r["seconds"], by_run[r["run"]]) for r in q if r["run"] in by_run]
        s[step] = {"n": n, "queue_s": mq, "kafka_s": mk, "ratio": ratio(mq, mk),
                   "pair_ratios": pairs, "pair_ratio_median": median(pairs),
                   "queue_runs": [r["seconds"] for r in q], "kafka_runs": [r["seconds"] for r in k],
                   "queue_rate": round(n / mq) if n and mq else None,
                   "kafka_rate": round(n / mk) if n and mk else None,
                   "queue_rss_mb": max((r["rss_mb"] or 0 for r in q), default=None),
                   "kafka_rss_mb": max((r["rss_mb"] or 0 for r in k), default=None),
                   "queue_heap_peak_mb": max((r["heap_peak_mb"] or 0 for r in q), default=None),
                   "kafka_heap_peak_mb": max((r["heap_peak_mb"] or 0 for r in k), default=None)}

    counts = []
    ns = sorted({r["n"] for r in pick(runs, step="sweep-count")} | ({s["consume"]["n"]} if s["consume"]["n"] else set()))
    for n in ns:
        q = pick(runs, step="sweep-count", side="queue", n=n) or pick(runs, step="consume", side="queue", n=n)
        k = pick(runs, step="sweep-count", side="kafka", n=n) or pick(runs, step="consume", side="kafka", n=n)
        mq, mk = median(r["seconds"] for r in q), median(r["seconds"] for r in k)
        counts.append({"n": n, "queue_s": mq, "kafka_s": mk, "ratio": ratio(mq, mk),
                       "queue_us_per_record": round(mq * 1e6 / n, 2) if mq else None,
                       "queue_rss_mb": max((r["rss_mb"] or 0 for r in q), default=None),
                       "queue_heap_peak_mb": max((r["heap_peak_mb"] or 0 for r in q), default=None),
                       "kafka_rss_mb": max((r["rss_mb"] or 0 for r in k), default=None),
                       "queue_rss_over_run_mb": rss_over_run(args.out, f"sweep-n{n}-queue")})
    s["count_sweep"] = counts

    shapes = []
    for r in pick(runs, step="sweep-pc", side="queue"):
        k = pick(runs, step="sweep-pc", side="kafka", p=r["p"], c=r["c"])
        ks = k[0]["seconds"] if k else None
        # Kafka's consumers stop on an idle timeout: if one gave up before the group got going, records were left.
        read = sum(m.get("records") or 0 for m in pick(runs, step="sweep-pc-member", side="kafka", p=r["p"], c=r["c"]))
        if read < r["n"] + r["p"]:
            ks = None
        shapes.append({"shape": f'{r["p"]}x{r["c"]}', "p": r["p"], "c": r["c"], "n": r["n"], "queue_s": r["seconds"],
                       "kafka_s": ks, "ratio": ratio(r["seconds"], ks),
                       "kafka_idle_subtracted_ms": k[0].get("idle_subtracted_ms") if k else None})
    s["shape_sweep"] = shapes

    commit = {}
    for mode in ("batch", "per-record"):
        r = pick(runs, step="commit", commit=mode)
        if not r:
            continue
        c = {}
        try:
            with open(os.path.join(args.out, "logs", f"commit-{mode}.commits.json"), encoding="utf-8") as f:
                c = json.load(f)
        except (OSError, ValueError):
            pass
        commit[mode] = {"n": r[0]["n"], "seconds": r[0]["seconds"],
                        "us_per_record": round(r[0]["seconds"] * 1e6 / r[0]["n"], 1),
                        "commits": c.get("commits"), "commit_gap_ms_p50": c.get("commit_gap_ms_p50")}
    if "batch" in commit and "per-record" in commit:
        commit["per_record_extra_us"] = round(commit["per-record"]["us_per_record"] - commit["batch"]["us_per_record"], 1)
    s["commit"] = commit

    conc = []
    for r in sorted(pick(runs, step="concurrency"), key=lambda r: r["concurrency"]):
        conc.append({"concurrency": r["concurrency"], "n": r["n"], "seconds": r["seconds"]})
    base = next((c["seconds"] for c in conc if c["concurrency"] == 1), None)
    for c in conc:
        c["speedup"] = round(base / c["seconds"], 2) if base and c["seconds"] else None
    s["concurrency"] = conc

    q, x = pick(runs, step="exec", side="queue"), pick(runs, step="exec", side="xargs")
    if q and x:
        by_run = {r["run"]: r["seconds"] for r in x}
        pairs = [ratio(r["seconds"], by_run[r["run"]]) for r in q if r["run"] in by_run]
        mq, mx = median(r["seconds"] for r in q), median(r["seconds"] for r in x)
        s["exec"] = {"n": q[0]["n"], "queue_s": mq, "xargs_s": mx, "ratio": ratio(mq, mx),
                     "queue_runs": [r["seconds"] for r in q], "xargs_runs": [r["seconds"] for r in x],
                     "pair_ratios": pairs, "pair_ratio_median": median(pairs),
                     "queue_records": min((r.get("records") or 0 for r in q), default=None)}

    lat = pick(runs, step="latency")
    lat = [r for r in lat if "latency_ms" in r]
    s["latency"] = {"queue": lat[0]["latency_ms"] if lat else None, "queue_items": lat[0]["items"] if lat else None,
                    "kafka": e2e(args.out), "queue_get": waited(args.out, "latency-consumer")}
    lj = [r for r in pick(runs, step="latency-join") if "latency_ms" in r]
    s["latency_with_join"] = {"queue": lj[0]["latency_ms"], "queue_get": waited(args.out, "latency-join-consumer")} \
        if lj else None
    delays = [r["join_delay_ms"] for r in runs if "join_delay_ms" in r and r.get("step") != "maxsize"]
    s["join_delay"] = {"samples_ms": delays, "median_ms": median(delays), "max_ms": max(delays) if delays else None}
    ms = [r for r in pick(runs, step="maxsize") if "unfinished_max" in r]
    if ms:
        s["maxsize"] = {"maxsize": ms[0]["maxsize"], "items": ms[0]["items"], "unfinished_max": ms[0]["unfinished_max"],
                        "overshoot": max(0, ms[0]["unfinished_max"] - ms[0]["maxsize"])}
    share = []
    for members in sorted({r.get("members", 1) for r in pick(runs, step="share")}):
        q = [r for r in pick(runs, step="share", side="queue") if r.get("members", 1) == members]
        k = [r for r in pick(runs, step="share", side="kafka") if r.get("members", 1) == members]
        n = (k or q)[0]["n"]
        # Kafka's tool stops on its idle timeout when it cannot read every record: such a run has no time to compare
        kt = [r["seconds"] for r in k if (r.get("records") or 0) >= n]
        qt = [r["seconds"] for r in q if r.get("exit", 0) == 0]
        share.append({"members": members, "n": n, "queue": median(qt), "kafka": median(kt), "queue_runs": qt,
                      "kafka_runs": kt, "ratio": ratio(median(qt), median(kt))})
    if share:
        s["share"] = share
    return s


def markdown(s, meta):
    p, c = s["produce"], s["consume"]
    m = meta["machine"]
    load = f'load average (1 min) {m.get("load_1min_start", "n/a")} at the start, {m["load_1min_end"]:.1f} at the end'
    head = [f'Mode `{meta["mode"]}`, {meta["when"]}, `{meta["command"]}`.',
            f'Broker: {meta["broker"]}. Machine: {m["cores"]} cores ({m["cpu"]}), '
            f'{m["memory_gb"]} GB, {m["os"]}, {m["java"]}; {load}.', ""]
    lines = head if not c["n"] else head[:2] + [
             f'Records of {meta["record_size"]} bytes (key + value, the queue\'s envelope); each side a whole process '
             f'from start to exit; median of {len(c["queue_runs"])} run(s), alternating sides, after an untimed warm-up '
             'of the broker; both topics made before the timed runs.', "",
             "| side | Kafka's tool | kafka-queue | ratio |", "|---|---|---|---|",
             f'| produce (acks=all, idempotent) | `ProducerPerformance` {fmt(p["kafka_s"])} s ({fmt(p["kafka_rate"], 0)}/s) '
             f'| `producer-service` {fmt(p["queue_s"])} s ({fmt(p["queue_rate"], 0)}/s) | **{fmt(p["ratio"])}** |',
             f'| consume (batched commits, `--work-ms 0`) | `ConsumerPerformance` {fmt(c["kafka_s"])} s '
             f'({fmt(c["kafka_rate"], 0)}/s) | `consumer-service` {fmt(c["queue_s"])} s ({fmt(c["queue_rate"], 0)}/s) '
             f'| **{fmt(c["ratio"])}** |',
             f'| the library\'s put loop (`putAsync`, then `shutdown()`) | `ProducerPerformance` | `QueueLoop put` '
             f'{fmt(s["library_produce"]["library_s"])} s | **{fmt(s["library_produce"]["ratio"])}** |',
             f'| the library\'s get loop (`get().taskDone()`) | `ConsumerPerformance` | `QueueLoop get` '
             f'{fmt(s["library_consume"]["library_s"])} s | **{fmt(s["library_consume"]["ratio"])}** |', "",
             f'{p["n"]:,} records on one partition. Every run (s): produce queue {p["queue_runs"]}, Kafka {p["kafka_runs"]}; '
             f'consume queue {c["queue_runs"]}, Kafka {c["kafka_runs"]}. '
             f'Each pair\'s ratio: produce {p["pair_ratios"]} (median {fmt(p["pair_ratio_median"])}), '
             f'consume {c["pair_ratios"]} (median {fmt(c["pair_ratio_median"])}); the table\'s ratio is the ratio '
             "of the medians. The library's loops, every run (s): put "
             f'{s["library_produce"]["library_runs"]} (pairs {s["library_produce"]["pair_ratios"]}), get '
             f'{s["library_consume"]["library_runs"]} (pairs {s["library_consume"]["pair_ratios"]}).', "",
             "Peak memory of the consumers (largest over the runs): "
             f'`consumer-service` RSS {fmt(c["queue_rss_mb"], 0)} MB, heap {fmt(c["queue_heap_peak_mb"], 0)} MB; '
             f'`ConsumerPerformance` RSS {fmt(c["kafka_rss_mb"], 0)} MB, heap {fmt(c["kafka_heap_peak_mb"], 0)} MB '
             "(heap: the most in use before a collection, from `-Xlog:gc`; both on the JVM's default maximum).", ""]

    if s["count_sweep"]:
        lines += ["### Record count (one partition, one consumer)", "",
                  "| records | kafka-queue | Kafka's tool | ratio | µs per record, whole process (queue) | queue RSS | queue heap peak | Kafka RSS |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in s["count_sweep"]:
            lines.append(f'| {r["n"]:,} | {fmt(r["queue_s"])} s | {fmt(r["kafka_s"])} s | {fmt(r["ratio"])} | '
                         f'{fmt(r["queue_us_per_record"])} | {fmt(r["queue_rss_mb"], 0)} MB | '
                         f'{fmt(r["queue_heap_peak_mb"], 0)} MB | {fmt(r["kafka_rss_mb"], 0)} MB |')
        over = [r for r in s["count_sweep"] if r.get("queue_rss_over_run_mb")]
        if over:
            lines += ["", "The consumer's RSS over a run, sampled every second (at 10 %, 50 % and 90 % of the run, and "
                          "its peak): flat, or memory grows with the records.", "",
                      "| records | RSS at 10 % | 50 % | 90 % | peak |", "|---|---|---|---|---|"]
            for r in over:
                o = r["queue_rss_over_run_mb"]
                lines.append(f'| {r["n"]:,} | {o["p10"]} MB | {o["p50"]} MB | {o["p90"]} MB | {o["peak"]} MB |')
    if s["shape_sweep"]:
        n = s["shape_sweep"][0]["n"]
        idle = next((r["kafka_idle_subtracted_ms"] for r in s["shape_sweep"] if r["kafka_idle_subtracted_ms"]), 0)
        lines += ["", f"### Partitions x consumers ({n:,} records, consumers started together, first start to last exit)", "",
                  "| partitions x consumers | kafka-queue | Kafka's tool | ratio |", "|---|---|---|---|"]
        for r in s["shape_sweep"]:
            lines.append(f'| {r["shape"]} | {fmt(r["queue_s"])} s | {fmt(r["kafka_s"])} s | {fmt(r["ratio"])} |')
        if any(r["kafka_s"] is None for r in s["shape_sweep"]):
            lines += ["", "n/a: a `ConsumerPerformance` process stopped on its idle timeout before the group handed it "
                          "records, so Kafka's side left records unread; the machine was too busy for that timeout."]
        if idle:
            lines += ["", f"Several `ConsumerPerformance` processes in one group cannot know their share of the records, "
                          f"so each stops after {idle} ms without one (`--timeout {idle}`). Kafka's side is timed to "
                          f"the last record its group read: each member that read records ends {idle} ms before it "
                          "exited, and a member that read none is left out (it idles from its own start, so its exit "
                          "can come before the group's last record)."]
    cm = s["commit"]
    if cm:
        lines += ["", "### task_done: `--commit batch` vs `per-record` (one partition, `--work-ms 0`)", "",
                  "| mode | records | time | µs per record | commits | median gap between commits |", "|---|---|---|---|---|---|"]
        for mode in ("batch", "per-record"):
            if mode in cm:
                r = cm[mode]
                lines.append(f'| `{mode}` | {r["n"]:,} | {fmt(r["seconds"])} s | {fmt(r["us_per_record"], 1)} | '
                             f'{r["commits"] if r["commits"] is not None else "n/a"} | {fmt(r["commit_gap_ms_p50"], 0)} ms |')
        if "per_record_extra_us" in cm:
            lines += ["", f'A commit per record costs {fmt(cm["per_record_extra_us"], 1)} µs more per record than a commit '
                          "per poll: one synchronous commit round trip to the group coordinator."]
    if s.get("concurrency"):
        lines += ["", "### Items in flight: `--concurrency N --ordering unordered` (one partition, 100 ms per item)", "",
                  "| N | items | time, whole process | speed-up over N = 1 |", "|---|---|---|---|"]
        for c in s["concurrency"]:
            lines.append(f'| {c["concurrency"]} | {c["n"]:,} | {fmt(c["seconds"])} s | {fmt(c["speedup"])} |')
        lines += ["", "Each run is a whole process, JVM start and group join included, so the speed-up at large N is "
                      "bounded by that fixed cost as much as by the work."]
    if s.get("exec"):
        e = s["exec"]
        lines += ["", f'### Real work: a command per item ({e["n"]:,} items, 4 at a time)', "",
                  "| side | time, whole process | ratio |", "|---|---|---|",
                  f'| `xargs -P 4 -n 1 true` (`seq {e["n"]}` as input) | {fmt(e["xargs_s"])} s | |',
                  f'| `consumer-service --exec true --concurrency 4 --ordering unordered` (one partition) | '
                  f'{fmt(e["queue_s"])} s | **{fmt(e["ratio"])}** |', "",
                  f'Median of {len(e["queue_runs"])} run(s) per side, alternating. Every run (s): queue {e["queue_runs"]}, '
                  f'xargs {e["xargs_runs"]}; each pair\'s ratio {e["pair_ratios"]} (median {fmt(e["pair_ratio_median"])}). '
                  "The consumer's time includes its JVM start, the group join and the commits; each of its items runs "
                  "`sh -c true` (dash runs `true` as a builtin), xargs runs `true` itself: one exec per item on both "
                  "sides. Goal: at most 1.5."]
    lat = s["latency"]
    if lat["queue"] is None and lat["kafka"] is None:
        return "\n".join(lines + share(s))
    lines += ["", "### Latency, join, backpressure", "", "| measure | kafka-queue | Kafka's tool | goal |", "|---|---|---|---|"]
    q, k = lat["queue"] or {}, lat["kafka"] or {}
    lines.append(f'| end-to-end latency p50 / p99 / max | {q.get("p50", "n/a")} / {q.get("p99", "n/a")} / {q.get("max", "n/a")} ms '
                 f'(put to task_done, {lat["queue_items"] or 0:,} items 1 ms apart) | {k.get("p50", "n/a")} / {k.get("p99", "n/a")} ms, '
                 f'99.9th {k.get("p999", "n/a")} ms (`EndToEndLatency`: send to receive, one at a time) | |')
    g = lat.get("queue_get") or {}
    if g or k:
        goal = f'≤ {fmt(1.5 * k["p99"], 1)} ms p99 (1.5x `EndToEndLatency`)' if k.get("p99") is not None else "≤ 1.5x p99"
        lines.append(f'| put to get p50 / p99 / max | {g.get("p50", "n/a")} / {g.get("p99", "n/a")} / {g.get("max", "n/a")} ms '
                     f'(the consumer\'s own count: CreateTime to the item handed to the work) | {k.get("p50", "n/a")} / '
                     f'{k.get("p99", "n/a")} ms (`EndToEndLatency`) | {goal} |')
    if q or k:
        goal = f'≤ {k["p99"] + 20} ms p99 (`EndToEndLatency` + 20 ms)' if k.get("p99") is not None else "≤ p99 + 20 ms"
        lines.append(f'| put to task_done, goal | {q.get("p99", "n/a")} ms p99 | {k.get("p99", "n/a")} ms p99 | {goal} |')
    lj = s.get("latency_with_join")
    if lj:
        jq, jg = lj["queue"] or {}, lj["queue_get"] or {}
        lines.append(f'| with `join --closed` beside them: put to get, put to task_done p50 / p99 / max | '
                     f'{jg.get("p50", "n/a")} / {jg.get("p99", "n/a")} / {jg.get("max", "n/a")} ms; '
                     f'{jq.get("p50", "n/a")} / {jq.get("p99", "n/a")} / {jq.get("max", "n/a")} ms | | |')
    jd = s["join_delay"]
    lines.append(f'| last commit to join\'s done line, median / max | {fmt(jd["median_ms"], 0)} / {fmt(jd["max_ms"], 0)} ms '
                 f'({len(jd["samples_ms"])} runs: {", ".join(str(round(x)) for x in jd["samples_ms"])}) | | ≤ 100 ms p99 |')
    if "maxsize" in s:
        m = s["maxsize"]
        lines.append(f'| backpressure overshoot, `--maxsize {m["maxsize"]}` | {m["overshoot"]} '
                     f'(at most {m["unfinished_max"]} items put and not committed, {m["items"]:,} items) | | 0 |')
    lines += ["", "Latency is measured from what the broker recorded, not from the services: each item's CreateTime "
                  "(set by the producer in `send()`) to the group coordinator's timestamp of the first commit that covers "
                  "it, read back from `__consumer_offsets`. Join's delay is the time join's done line was read minus that "
                  "last commit. The latency run is the producer and the consumer alone, as `EndToEndLatency` is one "
                  "producer and one consumer; join's delay comes from runs of their own. The overshoot is the most "
                  "items ever put (CreateTime) and not yet committed, checked at every put."]
    return "\n".join(lines + share(s) + ["", "![sweeps](sweeps.svg)", ""])


def share(s):
    """The optional share-group step, a table of its own."""
    if "share" not in s:
        return []
    lines = ["", f'### Share groups ({s["share"][0]["n"]:,} records, one partition)', "",
             "| members | kafka-queue (`--group-type share`) | `ShareConsumerPerformance` | ratio | goal |",
             "|---|---|---|---|---|"]
    for sh in s["share"]:
        procs = "1 process" if sh["members"] == 1 else f'{sh["members"]} processes'
        lines.append(f'| {sh["members"]} | {fmt(sh["queue"])} s ({procs}; runs {sh["queue_runs"]}) | '
                     f'{fmt(sh["kafka"])} s (`--threads {sh["members"]}`; runs {sh["kafka_runs"]}) | '
                     f'**{fmt(sh["ratio"])}** | ≤ 1.0 |')
    return lines + ["", "Each side is timed from its first start to its last exit. Both pay the share group's first "
                        "heartbeat (about 5 s here) before a member gets records."]


def svg(s):
    """Three panels: time vs record count (log-log), partitions x consumers, commit modes."""
    W, H, PW = 960, 340, 290
    colors = {"queue": "#d9480f", "kafka": "#1c7ed6"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']

    def panel(i, title):
        x0 = 20 + i * (PW + 30)
        out.append(f'<text x="{x0 + PW / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>')
        return x0 + 45, 40, PW - 55, H - 110  # plot area x, y, w, h

    def axes(x, y, w, h, ymax, ylabel, ticks=5):
        out.append(f'<line x1="{x}" y1="{y + h}" x2="{x + w}" y2="{y + h}" stroke="black"/>')
        out.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + h}" stroke="black"/>')
        for t in range(ticks + 1):
            v = ymax * t / ticks
            yy = y + h - h * t / ticks
            out.append(f'<line x1="{x - 4}" y1="{yy:.1f}" x2="{x + w}" y2="{yy:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{x - 6}" y="{yy + 4:.1f}" text-anchor="end">{v:.3g}</text>')
        out.append(f'<text x="{x - 38}" y="{y + h / 2}" transform="rotate(-90 {x - 38} {y + h / 2})" '
                   f'text-anchor="middle">{ylabel}</text>')

    def legend(x, y):
        for j, (side, label) in enumerate((("queue", "kafka-queue"), ("kafka", "Kafka's tool"))):
            out.append(f'<rect x="{x + j * 110}" y="{y}" width="12" height="12" fill="{colors[side]}"/>')
            out.append(f'<text x="{x + j * 110 + 16}" y="{y + 10}">{label}</text>')

    # 1. record count: seconds, both sides, log x
    x, y, w, h = panel(0, "Consume time vs records (1 partition)")
    pts = [r for r in s["count_sweep"] if r["queue_s"] and r["kafka_s"]]
    if pts:
        import math
        ymax = max(max(r["queue_s"], r["kafka_s"]) for r in pts) * 1.1
        axes(x, y, w, h, ymax, "seconds")
        lo, hi = math.log10(min(r["n"] for r in pts)), math.log10(max(r["n"] for r in pts))
        span = (hi - lo) or 1
        px = lambda n: x + 10 + (w - 20) * ((math.log10(n) - lo) / span if hi > lo else 0.5)
        py = lambda v: y + h - h * v / ymax
        for side in ("queue", "kafka"):
            path = " ".join(f'{px(r["n"]):.1f},{py(r[side + "_s"]):.1f}' for r in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colors[side]}" stroke-width="2"/>')
            for r in pts:
                out.append(f'<circle cx="{px(r["n"]):.1f}" cy="{py(r[side + "_s"]):.1f}" r="3.5" fill="{colors[side]}"/>')
        for r in pts:
            out.append(f'<text x="{px(r["n"]):.1f}" y="{y + h + 16}" text-anchor="middle">{r["n"]:.0e}</text>')
        out.append(f'<text x="{x + w / 2}" y="{y + h + 32}" text-anchor="middle">records (log scale)</text>')

    # 2. partitions x consumers: grouped bars
    x, y, w, h = panel(1, "Partitions x consumers")
    shapes = [r for r in s["shape_sweep"] if r["queue_s"] is not None]
    if shapes:
        ymax = max(max(r["queue_s"], r["kafka_s"] or 0) for r in shapes) * 1.1
        axes(x, y, w, h, ymax, "seconds")
        slot = w / len(shapes)
        for i, r in enumerate(shapes):
            for j, side in enumerate(("queue", "kafka")):
                v = r[side + "_s"] or 0
                bh = h * v / ymax
                out.append(f'<rect x="{x + i * slot + slot * 0.15 + j * slot * 0.35:.1f}" y="{y + h - bh:.1f}" '
                           f'width="{slot * 0.33:.1f}" height="{bh:.1f}" fill="{colors[side]}"/>')
            out.append(f'<text x="{x + i * slot + slot / 2:.1f}" y="{y + h + 16}" text-anchor="middle">{r["shape"]}</text>')
        out.append(f'<text x="{x + w / 2}" y="{y + h + 32}" text-anchor="middle">partitions x consumers ({shapes[0]["n"]:,} records)</text>')

    # 3. commit modes: seconds for the same records, whole process
    cm = [(m, s["commit"][m]["seconds"]) for m in ("batch", "per-record") if m in s["commit"]]
    x, y, w, h = panel(2, "task_done: batch vs per-record")
    if cm:
        n = next(iter(s["commit"].values()))["n"]
        ymax = max(v for _, v in cm) * 1.15
        axes(x, y, w, h, ymax, "seconds")
        slot = w / len(cm)
        for i, (label, v) in enumerate(cm):
            bh = h * v / ymax
            out.append(f'<rect x="{x + i * slot + slot * 0.2:.1f}" y="{y + h - bh:.1f}" width="{slot * 0.6:.1f}" '
                       f'height="{bh:.1f}" fill="{colors["queue"]}"/>')
            out.append(f'<text x="{x + i * slot + slot / 2:.1f}" y="{y + h - bh - 4:.1f}" text-anchor="middle">{v:g} s</text>')
            out.append(f'<text x="{x + i * slot + slot / 2:.1f}" y="{y + h + 16}" text-anchor="middle">{label}</text>')
        out.append(f'<text x="{x + w / 2}" y="{y + h + 32}" text-anchor="middle">--commit, {n:,} records, 1 partition</text>')
    legend(W / 2 - 110, H - 28)
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--broker", required=True)
    ap.add_argument("--record-size", required=True)
    ap.add_argument("--maxsize", type=int)
    ap.add_argument("--idle-ms", type=int)
    args = ap.parse_args()
    runs = load(args.out)
    import datetime
    try:
        with open(os.path.join(args.out, "load-start"), encoding="utf-8") as f:
            load_start = float(f.read().strip())
    except (OSError, ValueError):
        load_start = None
    meta = {"mode": args.mode, "command": args.command, "broker": args.broker, "record_size": int(args.record_size) if args.record_size else None,
            "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "kafka_tools": "org.apache.kafka:kafka-tools 4.3.1"}
    meta["machine"]["load_1min_start"] = load_start
    try:
        with open(os.path.join(args.out, "load-end"), encoding="utf-8") as f:
            meta["machine"]["load_1min_end"] = float(f.read().strip())
    except (OSError, ValueError):
        pass
    summary = summarize(runs, args)
    md = markdown(summary, meta)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "summary": summary, "runs": runs}, f, indent=2)
    with open(os.path.join(args.out, "sweeps.svg"), "w", encoding="utf-8") as f:
        f.write(svg(summary))
    print(md)


if __name__ == "__main__":
    main()
