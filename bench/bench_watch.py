"""Benchmark of `zhunsheng watch`: replay throughput and live event→card latency.

Budget (watch issue): ≥ 5,000 events/s sustained in replay; p99 event→card ≤ 50 ms live.

    .venv/bin/python bench/bench_watch.py                    # 100,000 events replay + 2,000 live probes
    .venv/bin/python bench/bench_watch.py --events 200000 --probes 5000 --rate 200

Replay: the synthetic log of tests/watch/helpers.synthetic_events (four record kinds in time order,
~400 events a day, 15% of cases never closed) is written to a file and run through the real CLI
`zhunsheng watch --events FILE --replay --out DIR` in a fresh process (SQLite state, commit every
2,000 events or 50 ms).  Reported: wall time of the whole process (start, imports, rules, run) and
the sustained rate = events / time from the first to the last commit, taken from the process's
own stderr timing line (ZHUNSHENG_WATCH_TIMING=1).

Live: `zhunsheng watch --events - --out DIR` (wall clock) reads stdin; the benchmark writes one
`approval.received` event every 1/rate s for a case received on 2024-01-02, whose acceptance
deadline (LIC-32) passed long ago, so processing the event reveals an overdue deadline and a red card
must follow at once (the live red-card trigger: an event whose facts put a deadline in the past).
Latency = time the card line for that case is read from the child's stdout − time the event line was
written; p50/p95/p99/max over all probes.  Yellow/red cards raised by the wall-clock timer are not
probed here (their latency is the timer's, bounded by the 1 s select cap only when idle, and they are
fired when due, not late: the heap gives the exact wait).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def replay(n: int, work: Path) -> dict:
    from tests.watch.helpers import synthetic_events
    log = work / f"events_{n}.jsonl"
    if not log.exists():
        log.write_text("\n".join(synthetic_events(n, seed=5)) + "\n", encoding="utf-8")
    out = work / f"replay_{time.time_ns()}"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "watch", "--events", str(log),
                        "--replay", "--out", str(out)], cwd=ROOT, capture_output=True,
                       env={**os.environ, "ZHUNSHENG_WATCH_TIMING": "1"})
    wall = time.perf_counter() - t0
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    timing = json.loads([x for x in p.stderr.decode().splitlines() if x.startswith("{\"watch_timing\"")][-1])
    cards = (out / "cards.jsonl").read_bytes().count(b"\n")
    t = timing["watch_timing"]
    return {"events": n, "cards": cards, "wall_s": round(wall, 2), "run_s": round(t["run_s"], 2),
            "events_per_s_run": round(n / t["run_s"]), "events_per_s_wall": round(n / wall)}


def live(probes: int, rate: float, work: Path) -> dict:
    out = work / f"live_{time.time_ns()}"
    p = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "watch", "--events", "-",
                          "--out", str(out)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, bufsize=0)
    seen: dict[str, float] = {}

    def reader():
        for line in p.stdout:
            t = time.perf_counter()
            cid = json.loads(line)["case_id"]
            seen.setdefault(cid, t)
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    # warm-up: imports and rule loading happen before the first event is read
    p.stdin.write(b'{"event": "approval.received", "case_id": "WARM", "time": "2024-01-02T09:00:00+08:00"}\n')
    t_wait = time.time()
    while "WARM" not in seen and time.time() - t_wait < 60:
        time.sleep(0.01)
    sent = {}
    gap = 1.0 / rate
    nxt = time.perf_counter()
    for i in range(probes):
        cid = f"L{i:06d}"
        line = json.dumps({"event": "approval.received", "case_id": cid,
                           "time": "2024-01-02T09:00:00+08:00"}).encode() + b"\n"
        while time.perf_counter() < nxt:
            time.sleep(max(0.0, nxt - time.perf_counter() - 0.0005))
        sent[cid] = time.perf_counter()
        p.stdin.write(line)
        nxt += gap
    deadline = time.time() + 10
    while len([c for c in sent if c in seen]) < probes and time.time() < deadline:
        time.sleep(0.01)
    p.stdin.close()
    p.wait(timeout=60)
    lat = sorted((seen[c] - sent[c]) * 1000 for c in sent if c in seen)
    q = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))], 2)  # noqa: E731
    return {"probes": probes, "answered": len(lat), "rate_per_s": rate, "p50_ms": q(0.50), "p95_ms": q(0.95),
            "p99_ms": q(0.99), "max_ms": round(lat[-1], 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=200.0, help="live events per second")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for _ in range(a.runs):
            print(json.dumps({"replay": replay(a.events, work)}), flush=True)
        print(json.dumps({"live": live(a.probes, a.rate, work)}), flush=True)


if __name__ == "__main__":
    main()
