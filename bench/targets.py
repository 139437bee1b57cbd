"""Benchmark (issue 15): 10,000,000 entities, 1,000,000 review findings (on 1,000,000 penalty cases) and
1,000,000 complaints classified by ``zhunsheng targets`` — budget ≤ 60 s and ≤ 4 GiB on the project
machine.  Not collected by pytest (the name does not start with ``test_``).

    .venv/bin/python bench/targets.py                       # 10M (data cached in /tmp)
    .venv/bin/python bench/targets.py --entities 1000000 --records 100000

The register is bench/bench_draw.py's synthetic one (valid codes, 5 industries, 95% active); every
review case and complaint names a random entity of it, dated in the two years before as-of; half the
complaints are verified.  The whole command runs in a fresh process; memory is sampled as in
bench_draw.py.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

AS_OF = dt.date(2026, 7, 15)


def make_related(d: Path, ent_path: Path, m: int) -> dict:
    import orjson
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.io.outset import OutputSet
    ids = pd.read_parquet(ent_path, columns=["entity_id"])["entity_id"].to_numpy()
    rng = np.random.default_rng(15)
    rv = d / f"review_{len(ids)}_{m}"
    comp = d / f"complaints_{len(ids)}_{m}.parquet"
    days = np.datetime64(AS_OF) - rng.integers(0, 730, m).astype("timedelta64[D]")
    if not (rv / "summary.json").exists():
        who = ids[rng.integers(0, len(ids), m)]
        fines = rng.choice([0, 5000, 50000, 150000], m)
        cats = np.array(["overreach", "leniency", "procedure", "inaction"])[rng.integers(0, 4, m)]
        with OutputSet(rv, ("cases.jsonl", "findings.jsonl", "summary.json")) as outs:
            with open(outs.path("cases.jsonl"), "wb") as fh:
                for i in range(m):
                    fh.write(orjson.dumps({"case_id": f"C{i}", "status": "evaluated", "record_kind": "penalty",
                                           "event_date": str(days[i]), "party_id": who[i], "fine": int(fines[i]),
                                           "provision": "FSL-124-1", "department": "基准局", "row": i + 2,
                                           "extra": {}}) + b"\n")
            with open(outs.path("findings.jsonl"), "wb") as fh:
                for i in range(m):
                    fh.write(orjson.dumps({"case_id": f"C{i}", "code": "penalty.outside_tier", "category": cats[i],
                                           "severity": "medium", "event_date": str(days[i]), "row": i + 2,
                                           "record_kind": "penalty", "facts": {"fine": int(fines[i])}}) + b"\n")
            outs.commit({"input_rows": m})
    if not comp.exists():
        pq.write_table(pa.table({"complaint_id": [f"T{i}" for i in range(m)],
                                 "entity_id": ids[rng.integers(0, len(ids), m)],
                                 "date": days.astype(str), "verified": np.where(rng.random(m) < 0.5, "是", "否"),
                                 "item_id": np.array(["FOOD-01", "", "ADV-01"])[rng.integers(0, 3, m)]}), comp)
    return {"review": rv, "complaints": comp}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=10_000_000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "zhunsheng-bench-draw")
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    args = ap.parse_args()
    from bench_draw import make_data, measure
    paths = make_data(args.data, args.entities)
    rel = make_related(args.data, paths["entities"], args.records)
    out = Path(tempfile.mkdtemp(prefix="bench-targets-"))
    cmd = [str(Path(sys.executable).parent / "zhunsheng"), "targets", str(paths["entities"]), "--as-of",
           str(AS_OF), "--out", str(out / "o"), "--reviews", str(rel["review"]),
           "--complaints", str(rel["complaints"])]
    r = measure(cmd, dict(os.environ), sample_memory=True)
    print(r["output"])
    print(f"targets: {args.entities:,} entities, {args.records:,} findings, {args.records:,} complaints: "
          f"{r['wall_s']:.1f} s wall, peak {r['peak_tree_pss'] / 2**30:.2f} GiB (max RSS "
          f"{r['max_single_rss'] / 2**30:.2f} GiB), cpu user {r['cpu'][0]:.1f} s sys {r['cpu'][1]:.1f} s, rc {r['rc']}")
    if not args.keep:
        import shutil
        shutil.rmtree(out, ignore_errors=True)
    return 0 if r["rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
