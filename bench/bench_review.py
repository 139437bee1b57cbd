"""Benchmark of ``zhunsheng review`` (issue 3 §6).

1. End to end: ``zhunsheng review`` on N synthetic records from Parquet, in a fresh process, timed by
   wall clock, peak RSS from the kernel's accounting of the child (ru_maxrss).
2. Ratio, in one run on the same records: the column-wise evaluation against the same rules evaluated
   record by record in Python (``bench/baseline.py``), after checking both give the same codes.  The
   record-by-record side starts from already-parsed records, so two ratios are given: against the
   column-wise path including validation/parsing, and against its evaluation alone.

    .venv/bin/python bench/bench_review.py               # 1,000,000 records, 200,000 for the ratio
    .venv/bin/python bench/bench_review.py 200000 20000  # smaller
"""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

AS_OF = dt.date(2025, 6, 30)


def ensure_data(n: int) -> Path:
    path = HERE / "data" / f"penalties_{n}.parquet"
    if not path.exists():
        from gen_penalties import generate
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(n).to_parquet(path, index=False)
    return path


def end_to_end(path: Path, out: Path, runs: int = 4, extra: tuple = (), as_of: dt.date = AS_OF) -> dict:
    """``runs`` fresh ``zhunsheng review`` processes, the first unsampled ones timed for wall clock;
    peak memory two ways: the largest single process (kernel ru_maxrss) and, in a last sampled run,
    the sum of RSS over the process and its forked report writer (shared copy-on-write pages
    counted twice: an upper bound)."""
    import psutil

    cmd = [sys.executable, "-c", "from cli import entry; entry()", "review", str(path),
           "--out", str(out), "--as-of", as_of.isoformat(), "--timings", *extra]
    walls, tree_peak, phases = [], 0, []
    for run in range(runs):
        sampled = run == runs - 1
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ps = psutil.Process(proc.pid)
        while sampled and proc.poll() is None:
            try:
                total = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                tree_peak = max(tree_peak, total)
            except psutil.Error:
                pass
            time.sleep(0.02)
        _, err = proc.communicate()
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(err)
        if not sampled:
            walls.append(round(wall, 2))
            phases.append(err.strip().splitlines()[-1])
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {"wall_s_each_run": walls, "wall_s_best": min(walls), "phases_each_run": phases,
            "peak_rss_largest_process_gib": round(rss, 2), "peak_rss_process_tree_gib": round(tree_peak / 2**30, 2),
            "findings": summary["findings"], "cases_with_findings": summary["cases_with_findings"],
            "input_rows": summary["input_rows"]}


def ratio(path: Path, n: int) -> dict:
    import pandas as pd

    from baseline import COVERED, RecordByRecord, records_from_frame
    from engine.calendar import default_calendar
    from engine.review import review_frame
    from engine.ruleset.loader import load_rules

    from engine.evaluate import evaluate
    from engine.records.frame import normalize

    rs, cal = load_rules(), default_calendar()
    frame = pd.read_parquet(path).head(n)
    t = time.perf_counter()
    ev = review_frame(frame, rs, AS_OF, cal)
    vec = time.perf_counter() - t
    records_frame = normalize(frame)
    t = time.perf_counter()
    evaluate(records_frame, rs, AS_OF, cal)
    vec_eval = time.perf_counter() - t
    records = records_from_frame(frame)
    base = RecordByRecord(rs, cal, AS_OF)
    t = time.perf_counter()
    slow = [base.evaluate(r) for r in records]
    per_record = time.perf_counter() - t
    fast = ev.findings.codes_per_row(len(records))
    differ = sum(set(f) & COVERED != s for f, s in zip(fast, slow))
    return {"records": n, "record_by_record_s": round(per_record, 3),
            "columnar_validate_and_evaluate_s": round(vec, 3), "ratio_including_validation": round(per_record / vec, 1),
            "columnar_evaluate_s": round(vec_eval, 3), "ratio_evaluation_only": round(per_record / vec_eval, 1),
            "records_whose_codes_differ": differ}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_ratio = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    path = ensure_data(n)
    out = HERE / "out" / f"review_{n}"
    result = {"machine": f"{os.cpu_count()} cores", "n": n, "end_to_end": end_to_end(path, out),
              "ratio": ratio(path, n_ratio)}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
