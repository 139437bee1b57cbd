"""Generate N penalty records over every shipped provision (issue 12: the benchmark regenerated over all
provisions), from the hand-worked cases beside the rules.

Each record is one case of a ``rules/penalty/**/*.cases.yaml`` file (its defaults plus its input), so every
provision appears with the facts its own cases use — each branch, boundary and finding the cases exercise.
Cases without a finding are drawn 9 times in 10, as the 10-provision benchmark has findings in ~10% of
its records.  Only the case id, the party id and the decision number change from copy to copy (so no two
copies are the same act fined twice or one decision).  The records are normalized once here and written with native Parquet
types (numbers, dates, flags), so the benchmark measures review, not text parsing, as ``gen_penalties.py``
does.  Usage:

    python bench/gen_all_provisions.py 1000000 bench/data/all_provisions_1000000.parquet [--with-blanks]

By default only the cases judged without alternatives (complete records) are used, as in gen_penalties.py;
``--with-blanks`` keeps the cases that leave facts open too (a heavier load: each such record is judged over
its alternatives).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
sys.path.insert(0, str(ROOT))

from engine.records.frame import normalize          # noqa: E402
from engine.ruleset.loader import load_rules        # noqa: E402
from engine.testing import load_cases               # noqa: E402


def templates(complete_only: bool = True) -> pd.DataFrame:
    """One typed row per hand-worked case of a provision (procedure cases left out).  ``complete_only``: only
    the cases whose record leaves no fact open (judged without alternatives) and is not rejected — the load
    the 10-provision benchmark measures; the cases that test blank facts are a load of their own."""
    rows = []
    for case in load_cases(RULES):
        if "penalty" not in case.file.parts:
            continue
        rows.append({k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in case.record.items()})
    raw = pd.DataFrame(rows).astype(object)
    raw = raw.where(pd.notna(raw), None)
    schema = load_rules(RULES).penalty_schema
    records = normalize(raw, schema)
    keep = ~records.rejections.mask                     # cases that expect a rejection are not review load
    if complete_only:
        import datetime as dt

        from engine.calendar import default_calendar
        from engine.review import review_frame
        ev = review_frame(raw, load_rules(RULES), dt.date(2025, 6, 30), default_calendar())
        partial = ev.partial if ev.partial is not None else np.zeros(len(raw), dtype=bool)
        keep &= ~partial & ~ev.records.rejections.mask
        found = np.zeros(len(raw), dtype=bool)
        for b in ev.findings.batches:
            found[b.rows] = True
    else:
        found = np.zeros(len(raw), dtype=bool)
    frame = records.frame.loc[keep].reset_index(drop=True)
    frame["__finding"] = found[keep]
    return frame[[c for c in frame.columns if not c.startswith("__") or c == "__finding"]]


def generate(n: int, seed: int = 20261202, complete_only: bool = True) -> pd.DataFrame:
    base = templates(complete_only)
    rng = np.random.default_rng(seed)
    # most cases are written to show a finding; the 10-provision benchmark has ~10% of records with one,
    # so the clean cases are drawn 9 times in 10 (each provision's own clean cases where it has them)
    found = base.pop("__finding").to_numpy()
    clean, flagged = np.flatnonzero(~found), np.flatnonzero(found)
    take_clean = rng.random(n) < (0.9 if len(flagged) else 1.0)
    pick = np.where(take_clean, clean[rng.integers(0, len(clean), size=n)],
                    flagged[rng.integers(0, max(len(flagged), 1), size=n)] if len(flagged) else 0)
    df = base.take(pick).reset_index(drop=True)
    df["case_id"] = np.char.add("ALL-", np.arange(n).astype(str))
    df["party_id"] = np.char.add("P", np.arange(n).astype(str))
    # a decision number names one decision: a copy of a case is a decision of its own (a number shared by
    # thousands of copies would make them one decision, judged as a whole)
    no = df["decision_no"].astype(object).to_numpy(copy=True)
    numbered = pd.notna(no)
    no[numbered] = [f"{v}-{i}" for v, i in zip(no[numbered].tolist(), np.flatnonzero(numbered).tolist())]
    df["decision_no"] = no
    for c in df.columns:                 # lists were joined as ";a;b;" text: keep them as text
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df


if __name__ == "__main__":
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    df = generate(n, complete_only="--with-blanks" not in sys.argv[3:])
    df.to_parquet(out, index=False)
    print(f"{len(df):,} records over {df['violation_code'].nunique()} violation codes → {out}")
