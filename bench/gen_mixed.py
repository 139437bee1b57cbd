"""Generate N synthetic records of the deadline kinds plus penalties, mixed in one file (issue 4 benchmark).

Shares: 40% licensing applications, 20% disclosure requests, 20% complaints and reports, 20% penalty
decisions (from gen_penalties).  Dates fall across 2023–2025 (so every holiday and 调休 day of those
years is crossed); about 10% of cases are late or still open.  Items come from the bundled catalogue
(cases/catalog.csv), departments from the bundled power list.  Deterministic (numpy seed), native Parquet
types.  Usage:

    python bench/gen_mixed.py 1000000 bench/data/mixed_1m.parquet
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_penalties import generate as generate_penalties  # noqa: E402

ITEMS = [("XK-001", "市场监管局"), ("XK-002", "市场监管局"), ("XK-003", "自然资源局"), ("XK-008", "应急管理局"),
         ("XK-001", "市场监管局"), ("SP-009", "住房城乡建设局")]   # one unlisted item in six: overreach findings
PENALTY_DEPTS = {"市场监督管理局": "示例区市场监督管理局", "公安交通管理大队": "示例区公安交通管理大队",
                 "应急管理局": "示例区应急管理局"}   # as in the bundled power list
DAY = np.timedelta64(1, "D")


def _dates(rng, n):
    return np.datetime64("2023-01-02") + rng.integers(0, 1000, size=n) * DAY


def _maybe(rng, dates, p_missing):
    out = dates.copy()
    out[rng.random(len(dates)) < p_missing] = np.datetime64("NaT")
    return out


def generate(n: int, seed: int = 20261123) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_app, n_dis, n_cmp = int(n * 0.4), int(n * 0.2), int(n * 0.2)
    n_pen = n - n_app - n_dis - n_cmp
    frames = []

    item = rng.integers(0, len(ITEMS), size=n_app)
    received = _dates(rng, n_app)
    accepted = received + rng.integers(0, 8, size=n_app) * DAY
    decided = accepted + rng.integers(5, 40, size=n_app) * DAY
    frames.append(pd.DataFrame({
        "record_kind": "approval",
        "case_id": np.char.add("APP-", np.arange(n_app).astype(str)),
        "department": np.array([d for _, d in ITEMS])[item],
        "officers": np.char.add("A", rng.integers(100, 400, size=n_app).astype(str)),
        "item_code": np.array([i for i, _ in ITEMS])[item],
        "received_date": received,
        "accepted_date": _maybe(rng, accepted, 0.01),
        "decided_date": _maybe(rng, np.minimum(decided, accepted + rng.integers(5, 30, size=n_app) * DAY), 0.01),
        "extension_approved": rng.random(n_app) < 0.1,
        "excluded_days": np.where(rng.random(n_app) < 0.05, 5.0, 0.0),
        "preconditions": np.where(item == 0, np.where(rng.random(n_app) < 0.05, "QZ-001;QZ-002", "QZ-001"), ""),
        "fee_charged": np.where(rng.random(n_app) < 0.02, 200.0, 0.0),
    }))

    received = _dates(rng, n_dis)
    frames.append(pd.DataFrame({
        "record_kind": "disclosure",
        "case_id": np.char.add("DIS-", np.arange(n_dis).astype(str)),
        "department": "示例区政府办公室",
        "officers": np.char.add("D", rng.integers(100, 200, size=n_dis).astype(str)),
        "received_date": received,
        "replied_date": _maybe(rng, received + rng.integers(1, 35, size=n_dis) * DAY, 0.03),
        "extension_approved": rng.random(n_dis) < 0.1,
    }))

    received = _dates(rng, n_cmp)
    kind = np.where(rng.random(n_cmp) < 0.6, "投诉", "举报")
    frames.append(pd.DataFrame({
        "record_kind": "complaint",
        "case_id": np.char.add("CMP-", np.arange(n_cmp).astype(str)),
        "department": "示例区市场监督管理局",
        "officers": np.char.add("C", rng.integers(100, 300, size=n_cmp).astype(str)),
        "kind": kind,
        "received_date": received,
        "accepted_date": np.where(kind == "投诉", _maybe(rng, received + rng.integers(0, 12, size=n_cmp) * DAY, 0.02),
                                  np.datetime64("NaT")),
        "verified_date": np.where(kind == "举报", _maybe(rng, received + rng.integers(0, 25, size=n_cmp) * DAY, 0.02),
                                  np.datetime64("NaT")),
        "handled_date": _maybe(rng, received + rng.integers(10, 60, size=n_cmp) * DAY, 0.03),
        "extension_approved": rng.random(n_cmp) < 0.05,
    }))

    pen = generate_penalties(n_pen, seed)
    pen.insert(0, "record_kind", "penalty")
    pen["department"] = pen["department"].str.replace(r"^.+?区", "", regex=True).map(PENALTY_DEPTS)
    frames.append(pen)
    out = pd.concat(frames, ignore_index=True, sort=False)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)   # kinds interleaved, as in real exports


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"bench/data/mixed_{n}.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(n).to_parquet(path, index=False)
    print(path)


if __name__ == "__main__":
    main()
