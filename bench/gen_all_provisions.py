"""Generate N penalty records over every shipped provision (issue 12: the benchmark regenerated over all
provisions), from the hand-worked cases beside the rules.

Each record is one case of a ``rules/penalty/**/*.cases.yaml`` file (its defaults plus its input), so every
provision appears with the facts its own cases use — each branch, boundary and finding the cases exercise —
in the proportion of its cases.  Only the case id and the party id change from copy to copy (so no two
copies are the same act fined twice).  The records are normalized once here and written with native Parquet
types (numbers, dates, flags), so the benchmark measures review, not text parsing, as ``gen_penalties.py``
does.  Usage:

    python bench/gen_all_provisions.py 1000000 bench/data/all_provisions_1000000.parquet
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.records.frame import normalize          # noqa: E402
from engine.ruleset.loader import load_rules        # noqa: E402
from engine.testing import load_cases               # noqa: E402


def templates() -> pd.DataFrame:
    """One typed row per hand-worked case of a provision (procedure cases left out)."""
    rows = []
    for case in load_cases(ROOT / "rules"):
        if "penalty" not in case.file.parts:
            continue
        rows.append({k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in case.record.items()})
    raw = pd.DataFrame(rows).astype(object)
    raw = raw.where(pd.notna(raw), None)
    schema = load_rules(ROOT / "rules").penalty_schema
    records = normalize(raw, schema)
    keep = ~records.rejections.mask                     # cases that expect a rejection are not review load
    frame = records.frame.loc[keep].reset_index(drop=True)
    return frame[[c for c in frame.columns if not c.startswith("__")]]


def generate(n: int, seed: int = 20261202) -> pd.DataFrame:
    base = templates()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base), size=n)
    df = base.take(pick).reset_index(drop=True)
    df["case_id"] = np.char.add("ALL-", np.arange(n).astype(str))
    df["party_id"] = np.char.add("P", np.arange(n).astype(str))
    for c in df.columns:                 # lists were joined as ";a;b;" text: keep them as text
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df


if __name__ == "__main__":
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    df = generate(n)
    df.to_parquet(out, index=False)
    print(f"{len(df):,} records over {df['violation_code'].nunique()} violation codes → {out}")
