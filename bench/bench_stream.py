"""Streaming review (engine.stream, issue 14 §1): wall time and peak memory of ``zhunsheng review``
in a fresh process, and whether its folder is byte for byte the whole-batch review's.

    .venv/bin/python bench/bench_stream.py bench/data/penalties_1000000.parquet [--memory 2GiB] [--compare]

``--compare`` also runs the whole-batch review of the same code (``--batch-rows`` above the input's
size) and compares every file of the two folders with ``cmp``.  Peak memory is the kernel's maximum
resident set size of the review process (``/usr/bin/time -v``).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("cases.jsonl", "findings.jsonl", "rejected.csv", "summary.json")


def run(data: Path, out: Path, *extra: str) -> dict:
    cmd = ["/usr/bin/time", "-v", sys.executable, "-c", "import cli; cli.entry()", "review", str(data),
           "--out", str(out), "--as-of", "2025-06-30", "--timings", *extra]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stdout + res.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", res.stderr)[1]
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)[1]) * 1024
    timings = re.search(r"timings: (.*)", res.stderr)
    return {"wall_s": seconds, "peak_gib": rss / (1 << 30), "timings": timings[1] if timings else ""}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--memory", default="2GiB")
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="zs-stream-"))
    try:
        streamed = run(args.data, tmp / "streamed", "--memory", args.memory)
        print(f"streamed ({args.memory}): {streamed['wall_s']:.1f} s, {streamed['peak_gib']:.2f} GiB  "
              f"[{streamed['timings']}]")
        if args.compare:
            whole = run(args.data, tmp / "whole", "--batch-rows", str(10 ** 12))
            print(f"whole batch:       {whole['wall_s']:.1f} s, {whole['peak_gib']:.2f} GiB  [{whole['timings']}]")
            for name in FILES:
                same = subprocess.run(["cmp", str(tmp / "whole" / name), str(tmp / "streamed" / name)]).returncode == 0
                print(f"  {name}: {'identical' if same else 'DIFFERENT'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
