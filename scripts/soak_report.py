#!/usr/bin/env python3
"""The report of scripts/soak.sh: reads each run's folder (sqlite/, cluster/) under OUT —
loadgen.json (proctor-loadgen --json), loadgen.log (its progress), samples.txt (the sampler's
"t_s pid rss_kb threads fds phase cpu_ticks" lines), stored.json (what the database holds) —
prints the per-minute table, the memory per session, the leak check and the checks, writes
OUT/summary.json, and exits 1 when a run lost, duplicated or failed anything."""
import argparse
import json
import os
import sys
from collections import defaultdict


def load_samples(path):
    """{t_s: {pid: (rss_kb, threads, fds, phase, cpu_ticks)}}, t_s ascending."""
    by_time = defaultdict(dict)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 7:
                continue
            t, pid, rss, threads, fds, phase, cpu = parts[:7]
            by_time[float(t)][pid] = (int(rss), int(threads), int(fds), phase, int(float(cpu)))
    return dict(sorted(by_time.items()))


def totals(sample):
    """Sum over the run's servers: (rss_kb, threads, fds, cpu_ticks)."""
    return (sum(v[0] for v in sample.values()), sum(v[1] for v in sample.values()),
            sum(v[2] for v in sample.values()), sum(v[4] for v in sample.values()))


def slope_per_minute(points):
    """Least-squares slope of (t_s, value) points, per minute; 0 with fewer than 3 points."""
    if len(points) < 3:
        return 0.0
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return 0.0 if den == 0 else 60 * sum((t - mt) * (v - mv) for t, v in points) / den


def analyse(run_dir, sessions, ramp_s, ticks):
    with open(os.path.join(run_dir, "loadgen.json")) as f:
        load = json.load(f)
    with open(os.path.join(run_dir, "stored.json")) as f:
        stored = json.load(f)
    # Streaming started setup_s after the sampler's t0: from the report, else (an older
    # proctor-loadgen) estimated as the wall time of the run less the streaming (the close
    # phase, a few seconds, is then counted as setup).
    setup_s = load.get("setup_s")
    if setup_s is None:
        setup_s = 0.0
        t0_file, done_file = os.path.join(run_dir, "t0"), os.path.join(run_dir, "done")
        if os.path.exists(t0_file) and os.path.exists(done_file):
            t0 = float(open(t0_file).read().strip())
            setup_s = max(0.0, os.path.getmtime(done_file) - t0 - load["seconds"])
    samples = load_samples(os.path.join(run_dir, "samples.txt"))
    times = list(samples)
    # Streaming starts about setup_s after the sampler's t0; minute m of the load is
    # [start + 60 m, start + 60 (m + 1)).
    start = setup_s
    idle = totals(samples[times[0]]) if times else (0, 0, 0, 0)
    minutes = []
    for m in load["per_minute"]:
        lo, hi = start + 60 * m["minute"], start + 60 * (m["minute"] + 1)
        inside = [t for t in times if lo <= t < hi]
        rss = threads = fds = None
        if inside:
            rss, threads, fds, _ = totals(samples[inside[-1]])
        minutes.append({**m, "rss_mb": rss / 1024 if rss else None, "threads": threads,
                        "fds": fds})
    end = start + load["seconds"]
    # After the ramp, before the sessions close: every session open, the steady state.
    steady = [t for t in times if start + ramp_s + 10 <= t <= end - 10]
    steady_rss = [totals(samples[t])[0] for t in steady]
    leak = {}
    for name, index in (("rss_kb", 0), ("threads", 1), ("fds", 2)):
        points = [(t, totals(samples[t])[index]) for t in steady]
        mean = sum(v for _, v in points) / len(points) if points else 0
        per_min = slope_per_minute(points)
        leak[name] = {"per_minute": per_min,
                      "percent_per_10_min": 100 * 10 * per_min / mean if mean else 0.0}
    peak_rss = max(steady_rss) if steady_rss else None
    median_rss = sorted(steady_rss)[len(steady_rss) // 2] if steady_rss else None
    in_run = [t for t in times if start <= t <= end]
    cpu_s = ((totals(samples[in_run[-1]])[3] - totals(samples[in_run[0]])[3]) / ticks
             if len(in_run) >= 2 else None)
    lost = max(0, load["acked"] - stored["stored"])
    summary = {
        "sessions": sessions,
        "seconds": load["seconds"],
        "made": load["made"], "acked": load["acked"], "stored": stored["stored"],
        "lost": lost, "duplicated": stored["stored"] - stored["distinct"],
        "stored_not_acked": max(0, stored["stored"] - load["acked"]),
        "resent": load["resent"], "reconnects": load["reconnects"],
        "stream_errors": load["stream_errors"], "close_errors": load["close_errors"],
        "events_per_s": load["events_per_s"],
        "p50_ms": load["p50_ms"], "p99_ms": load["p99_ms"], "p999_ms": load["p999_ms"],
        "max_ms": load["max_ms"],
        "idle_rss_mb": idle[0] / 1024, "steady_rss_mb": median_rss / 1024 if median_rss else None,
        "peak_rss_mb": peak_rss / 1024 if peak_rss else None,
        "rss_kb_per_session": (median_rss - idle[0]) / sessions if median_rss else None,
        "steady_threads": totals(samples[steady[-1]])[1] if steady else None,
        "steady_fds": totals(samples[steady[-1]])[2] if steady else None,
        "server_cpu_s": cpu_s,
        "server_cpu_us_per_event": 1e6 * cpu_s / load["acked"] if cpu_s and load["acked"] else None,
        "wal_bytes_per_event": (stored["wal_bytes"] / stored["stored"]
                                if "wal_bytes" in stored and stored["stored"] else None),
        "db_bytes_per_event": stored["db_bytes"] / stored["stored"] if stored["stored"] else None,
        "leak": leak,
        "per_minute": minutes,
    }
    summary["ok"] = (summary["lost"] == 0 and summary["duplicated"] == 0 and
                     load["acked"] == load["made"] == stored["stored"] and
                     load["stream_errors"] == 0 and load["close_errors"] == 0)
    return summary


def fmt(value, spec="{:.1f}"):
    return "-" if value is None else spec.format(value)


def print_run(name, s):
    print(f"\n## {name}: {s['sessions']} sessions, {s['seconds']:.0f} s")
    print("| minute | acked | p50 ms | p99 ms | p99.9 ms | max ms | RSS MB | threads | files |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in s["per_minute"]:
        print(f"| {m['minute']} | {m['acked']} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | "
              f"{m['p999_ms']:.1f} | {m['max_ms']:.1f} | {fmt(m['rss_mb'])} | "
              f"{fmt(m['threads'], '{}')} | {fmt(m['fds'], '{}')} |")
    print(f"- made {s['made']}, acknowledged {s['acked']}, stored {s['stored']}, lost {s['lost']}, "
          f"duplicated {s['duplicated']}; resent {s['resent']} after {s['reconnects']} "
          f"reconnects; stream errors {s['stream_errors']}, close errors {s['close_errors']}")
    print(f"- {s['events_per_s']:.0f} events/s; ack latency p50 {s['p50_ms']:.1f} ms, p99 "
          f"{s['p99_ms']:.1f} ms, p99.9 {s['p999_ms']:.1f} ms, max {s['max_ms']:.1f} ms")
    print(f"- servers' resident memory: idle {fmt(s['idle_rss_mb'])} MB, steady "
          f"{fmt(s['steady_rss_mb'])} MB (peak {fmt(s['peak_rss_mb'])}): "
          f"{fmt(s['rss_kb_per_session'])} KiB per open session; threads "
          f"{fmt(s['steady_threads'], '{}')}, open files {fmt(s['steady_fds'], '{}')}")
    print(f"- server CPU {fmt(s['server_cpu_s'])} s, {fmt(s['server_cpu_us_per_event'])} us per "
          f"event; WAL {fmt(s['wal_bytes_per_event'], '{:.0f}')} bytes per event; database "
          f"{fmt(s['db_bytes_per_event'], '{:.0f}')} bytes per event")
    leak = s["leak"]
    print("- growth after the ramp (least squares, per 10 min): "
          + ", ".join(f"{k} {v['percent_per_10_min']:+.1f} %" for k, v in leak.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--ramp", type=float, required=True)
    parser.add_argument("--ticks", type=int, default=100)
    args = parser.parse_args()
    runs = {}
    for name in ("sqlite", "cluster"):
        path = os.path.join(args.out, name)
        if os.path.exists(os.path.join(path, "loadgen.json")):
            try:
                runs[name] = analyse(path, args.sessions, args.ramp, args.ticks)
            except (OSError, ValueError, KeyError) as e:
                print(f"soak_report: {name}: cannot read the run: {e}", file=sys.stderr)
                return 1
    if not runs:
        print("soak_report: no run to report (loadgen.json missing)", file=sys.stderr)
        return 1
    titles = {"sqlite": "One proctor-server on SQLite (baseline)",
              "cluster": "2 replicas on the Patroni cluster (synchronous standby)"}
    for name, s in runs.items():
        print_run(titles[name], s)
    if len(runs) == 2:
        c, b = runs["cluster"], runs["sqlite"]
        ratios = {}
        for key in ("p50_ms", "p99_ms", "p999_ms", "rss_kb_per_session",
                    "server_cpu_us_per_event", "db_bytes_per_event"):
            if c.get(key) and b.get(key):
                ratios[key] = c[key] / b[key]
        runs["cluster_over_sqlite"] = ratios
        print("\n## Cluster / SQLite (same run)")
        print(", ".join(f"{k} x{v:.2f}" for k, v in ratios.items()))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(runs, f, indent=2)
    failed = [n for n in ("sqlite", "cluster") if n in runs and not runs[n]["ok"]]
    for n in failed:
        print(f"soak: the {n} run lost, duplicated or failed events (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
