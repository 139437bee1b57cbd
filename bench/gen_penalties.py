"""Generate N synthetic penalty records across all shipped provisions (realistic mix, ~10% with findings).

Deterministic (numpy seed), native Parquet types (float64 amounts, datetime dates, bool flags),
so the benchmark measures review, not text parsing.  Usage:

    python bench/gen_penalties.py 1000000 bench/data/penalties_1m.parquet
    python bench/gen_penalties.py 30000000 bench/data/penalties_30000000.parquet 1000000   # in 1M chunks
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

MIX = {  # provision: share of records
    "FSL-124-1": 0.20, "FSL-122-1": 0.06, "FSL-125-1": 0.14, "FSL-125-2": 0.05, "FSL-126-1": 0.10,
    "ADL-55-1": 0.10, "PVR-7": 0.10, "RTSL-90": 0.15, "WSL-95": 0.04, "WSL-114": 0.06,
}
DEPTS = {"FSL": "市场监督管理局", "ADL": "市场监督管理局", "PVR": "市场监督管理局", "RTSL": "公安交通管理大队",
         "WSL": "应急管理局"}
DISTRICTS = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "顺义区"]


def generate(n: int, seed: int = 20241123, start: int = 0, parties: int | None = None) -> pd.DataFrame:
    """``start``: the first case number (a chunk of a larger file); ``parties``: how many party ids to
    draw from (three per record of the whole file, so a chunked file repeats parties as a whole one does)."""
    rng = np.random.default_rng(seed)
    prov = rng.choice(list(MIX), size=n, p=list(MIX.values()))
    df = pd.DataFrame({"case_id": np.char.add("BENCH-", np.arange(start, start + n).astype(str)), "violation_code": prov})
    prefix = np.array([p.split("-")[0] for p in prov])
    district = rng.choice(DISTRICTS, size=n)
    df["department"] = np.char.add(district.astype(str), np.vectorize(DEPTS.get)(prefix).astype(str))
    officers = rng.integers(1000, 1400, size=(n, 2)).astype(str)
    df["officers"] = np.char.add(np.char.add(officers[:, 0], ";"), officers[:, 1])
    one_officer = rng.random(n) < 0.01
    df.loc[one_officer, "officers"] = officers[one_officer, 0]
    traffic = prov == "RTSL-90"
    df.loc[traffic, "officers"] = officers[traffic, 0]
    individual = (prov == "RTSL-90") | (prov == "WSL-95") | (rng.random(n) < 0.15)
    df["party_type"] = np.where(individual, "individual", "organization")
    df["party_id"] = np.char.add("P", rng.integers(0, parties or n * 3, size=n).astype(str))
    day0 = np.datetime64("2022-01-01")
    vdate = day0 + rng.integers(0, 900, size=n).astype("timedelta64[D]")
    df["violation_date"] = vdate
    df["discovered_date"] = vdate + rng.integers(0, 30, size=n).astype("timedelta64[D]")
    df["filed_date"] = df["discovered_date"] + rng.integers(0, 5, size=n).astype("timedelta64[D]")
    df["decision_date"] = df["filed_date"] + rng.integers(1, 80, size=n).astype("timedelta64[D]")
    late = rng.random(n) < 0.01
    df.loc[late, "decision_date"] = df.loc[late, "filed_date"] + np.timedelta64(120, "D")
    df["publicized_date"] = df["decision_date"] + rng.integers(1, 20, size=n).astype("timedelta64[D]")
    df["extension_approved"] = False     # a department's own file records whether the deadline was extended
    df["procedure"] = np.where(traffic, "simple", "ordinary")
    goods = np.round(rng.lognormal(8.8, 1.0, size=n), 2)
    df["goods_value"] = goods
    gain = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.lognormal(8.5, 1.0, size=n), 2))
    df["illegal_gain"] = gain
    df["confiscated_gain"] = gain
    ad_fee = np.round(rng.lognormal(10.5, 0.8, size=n), 2)
    df["ad_fee"] = ad_fee
    df["ad_fee_uncomputable"] = rng.random(n) < 0.1
    df["prior_violations_2y"] = rng.integers(0, 4, size=n).astype(float)
    df["prior_year_income"] = np.round(rng.uniform(1e5, 1e6, size=n), 2)
    df["accident_level"] = rng.choice(["一般", "较大", "重大", "特别重大"], size=n, p=[0.7, 0.2, 0.08, 0.02])
    df["refused_correction"] = rng.random(n) < 0.6
    df["serious"] = rng.random(n) < 0.05
    df["harm"] = rng.choice(["none", "minor", "general", "serious"], size=n)
    df["hearing_notified"] = rng.random(n) < 0.98
    df["sanctions"] = ""
    df["factors"] = ""
    # the lawful fine for the record: the middle of its 一般 tier, worked from the rule numbers
    lo, hi = _statutory(df)
    fine = lo + 0.5 * (hi - lo)
    noisy = rng.random(n) < 0.04                      # ~4% off-range or off-tier decisions
    fine = np.where(noisy, fine * rng.choice([0.5, 1.3, 2.5], size=n), fine)
    df["fine"] = np.round(np.nan_to_num(fine), 2)
    food = np.isin(prov, ["FSL-122-1", "FSL-124-1", "FSL-125-1"])
    df.loc[food, "sanctions"] = "confiscate_goods"
    warn = (prov == "FSL-126-1") & ~df["refused_correction"].to_numpy()
    df.loc[warn, "sanctions"] = "warning"
    df.loc[warn, "fine"] = 0.0
    mit = rng.random(n) < 0.05
    df.loc[mit, "factors"] = "eliminated_harm"
    df["hearing_notified"] = df["hearing_notified"] | (df["fine"] >= 10000)
    df.loc[rng.random(n) < 0.01, "hearing_notified"] = False
    return df


def _statutory(df):
    """Statutory [L, U] per record from the statute numbers (independent of the engine's rule files)."""
    n = len(df)
    lo, hi = np.zeros(n), np.zeros(n)
    p = df["violation_code"].to_numpy()
    g, gain, fee = df["goods_value"].to_numpy(), df["illegal_gain"].to_numpy(), df["ad_fee"].to_numpy()
    under = g < 10000
    for code, (a, b, m1, m2) in {"FSL-124-1": (5e4, 1e5, 10, 20), "FSL-122-1": (5e4, 1e5, 10, 20),
                                 "FSL-125-1": (5e3, 5e4, 5, 10)}.items():
        m = p == code
        lo[m] = np.where(under[m], a, m1 * g[m])
        hi[m] = np.where(under[m], b, m2 * g[m])
    m = p == "FSL-125-2"
    refused = df["refused_correction"].to_numpy()
    hi[m] = np.where(refused[m], 2000, 0)
    m = p == "FSL-126-1"
    lo[m], hi[m] = np.where(refused[m], 5000, 0), np.where(refused[m], 50000, 0)
    m = p == "ADL-55-1"
    agg = (df["prior_violations_2y"].to_numpy() >= 3) | df["serious"].to_numpy()
    unc = df["ad_fee_uncomputable"].to_numpy()
    lo[m] = np.select([agg[m] & unc[m], agg[m], unc[m]], [1e6, 5 * fee[m], 2e5], 3 * fee[m])
    hi[m] = np.select([agg[m] & unc[m], agg[m], unc[m]], [2e6, 10 * fee[m], 1e6], 5 * fee[m])
    m = p == "PVR-7"
    indiv = df["party_type"].to_numpy() == "individual"
    lo[m] = np.where(gain[m] > 0, 0, np.where(indiv[m], 0, 5e4))
    hi[m] = np.where(gain[m] > 0, 5 * gain[m], np.where(indiv[m], 1e5, 5e5))
    m = p == "RTSL-90"
    lo[m], hi[m] = 20, 200
    lvl = df["accident_level"].to_numpy()
    new = df["violation_date"].to_numpy() >= np.datetime64("2021-09-01")
    share = {"一般": 0.4, "较大": 0.6, "重大": 0.8, "特别重大": 1.0}
    m = p == "WSL-95"
    s = np.vectorize(share.get)(lvl[m])
    lo[m] = hi[m] = s * df["prior_year_income"].to_numpy()[m]
    m = p == "WSL-114"
    rng114 = {"一般": (3e5, 1e6), "较大": (1e6, 2e6), "重大": (2e6, 1e7), "特别重大": (1e7, 2e7)}
    a = np.vectorize(lambda l: rng114[l][0])(lvl[m])
    b = np.vectorize(lambda l: rng114[l][1])(lvl[m])
    ser = df["serious"].to_numpy()[m]
    lo[m], hi[m] = np.where(ser, 2 * a, a), np.where(ser, 5 * b, b)
    del new
    return lo, hi


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = Path(sys.argv[2] if len(sys.argv) > 2 else f"bench/data/penalties_{n}.parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if not chunk or chunk >= n:
        generate(n).to_parquet(out, index=False)
    else:        # 30M records do not fit in memory at once: one row group per chunk, each its own seed
        import pyarrow as pa
        import pyarrow.parquet as pq
        writer = None
        for i, a in enumerate(range(0, n, chunk)):
            table = pa.Table.from_pandas(generate(min(chunk, n - a), 20241123 + i, a, n * 3), preserve_index=False)
            writer = writer or pq.ParquetWriter(out, table.schema)
            writer.write_table(table)
        writer.close()
    print(f"wrote {n} records to {out}")
