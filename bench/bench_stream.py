"""Streaming review (engine.stream, issue 14 §1): wall time and peak memory of ``zhunsheng review``
in a fresh process, and whether its folder is byte for byte the whole-batch review's.

    .venv/bin/python bench/bench_stream.py bench/data/penalties_1000000.parquet [--memory 2GiB] [--compare]

``--floor`` also measures issue 14's floor in a fresh process: ``pyarrow.parquet.read_table`` of the input
plus a direct write of the review's output bytes (the folder's files read into memory first, then written
to a new folder: into the page cache, and again fsynced as the review's atomic writer does), and prints the review's wall time as a
multiple of it.  ``--compare`` also runs the whole-batch review of the same code (``--batch-rows`` above the input's
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


_FLOOR = r"""
import os, sys, time, pathlib, pyarrow.parquet as pq
data, folder, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
t = time.perf_counter(); pq.read_table(data); read = time.perf_counter() - t
blobs = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
times = []
for sync in (False, True):
    target = out / ("synced" if sync else "cached")
    target.mkdir(parents=True)
    t = time.perf_counter()
    for name, b in blobs.items():
        with open(target / name, "wb") as f:
            f.write(b)
            if sync:
                f.flush(); os.fsync(f.fileno())
    times.append(time.perf_counter() - t)
print(read, times[0], times[1], sum(map(len, blobs.values())))
"""


def _floor(data: Path, folder: Path) -> dict:
    """Read the input with pyarrow and write the folder's bytes directly, in a fresh process: once into
    the page cache only, once fsynced (the review's atomic writer fsyncs every file before the rename)."""
    res = subprocess.run([sys.executable, "-c", _FLOOR, str(data), str(folder), str(folder.parent / "floor")],
                         capture_output=True, text=True, check=True)
    read, cached, synced, size = res.stdout.split()
    return {"read_s": float(read), "write_s": float(cached), "write_synced_s": float(synced), "bytes": int(size)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--memory", default="2GiB")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--floor", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="zs-stream-"))
    try:
        streamed = run(args.data, tmp / "streamed", "--memory", args.memory)
        print(f"streamed ({args.memory}): {streamed['wall_s']:.1f} s, {streamed['peak_gib']:.2f} GiB  "
              f"[{streamed['timings']}]")
        if args.floor:
            floor = _floor(args.data, tmp / "streamed")
            plain, synced = floor["read_s"] + floor["write_s"], floor["read_s"] + floor["write_synced_s"]
            print(f"floor: read {floor['read_s']:.2f} s + write {floor['write_s']:.2f} s "
                  f"({floor['write_synced_s']:.2f} s fsynced) of {floor['bytes'] / 1e6:.0f} MB; "
                  f"review / floor = {streamed['wall_s'] / plain:.1f} ({streamed['wall_s'] / synced:.1f} against "
                  f"the fsynced floor)")
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
