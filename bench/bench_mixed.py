"""Benchmark of ``zhunsheng review`` on a mixed batch of the deadline kinds and penalties (issue 4 §4).

1,000,000 records (40% licensing applications, 20% disclosure requests, 20% complaints/reports,
20% penalty decisions, interleaved; ``bench/gen_mixed.py``), from Parquet, reviewed against the
bundled catalogue (audited first) and power list, in fresh processes timed by wall clock.

    .venv/bin/python bench/bench_mixed.py            # 1,000,000 records
    .venv/bin/python bench/bench_mixed.py 200000     # smaller
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_review import end_to_end, ensure_data  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = ensure_data(n, "mixed")
    cases = HERE.parent / "cases"
    result = end_to_end(path, HERE / "data" / "out_mixed", runs=4, as_of=dt.date(2025, 12, 31),
                        extra=("--catalog", str(cases / "catalog.csv"), "--powers", str(cases / "powers.csv")))
    summary = json.loads((HERE / "data" / "out_mixed" / "summary.json").read_text(encoding="utf-8"))
    result["by_kind"] = summary["by_kind"]
    print(json.dumps({"records": n, **result}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
