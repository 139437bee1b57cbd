"""Which version of a provision applies to each record: 从旧兼从轻 (行政处罚法 Art. 37).

For every record the version in force on the act's date (its end, for a
continuing act) and the one in force on the decision date are both worked
out, each with its statutory branch and range for this record; the later
version wins only where it is lighter for this record (lower maximum, then
lower minimum) or the act is no longer punishable.  Version selection is its
own stage (OpenFisca's snapshot pattern): the checks only see the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.ruleset.loader import CompiledBranch, CompiledProvision, CompiledVersion


@dataclass
class BranchTable:
    """Every (provision, version, branch) gets an integer key; rows carry keys, not objects."""
    entries: list[tuple[CompiledProvision, CompiledVersion, CompiledBranch]]

    def __init__(self):
        self.entries = []
        self._index = {}

    def key(self, prov, version, branch) -> int:
        k = (prov.id, id(version), id(branch))
        if k not in self._index:
            self._index[k] = len(self.entries)
            self.entries.append((prov, version, branch))
        return self._index[k]


def in_force(v, dates: np.ndarray) -> np.ndarray:
    """Which dates fall in a dated version's validity (provision or deadline versions alike; NaT: none)."""
    lo = np.datetime64(v.valid_from, "D")
    ok = dates >= lo
    if v.valid_to is not None:
        ok &= dates <= np.datetime64(v.valid_to, "D")
    return ok


@dataclass
class VersionResult:
    """Per-row result for the rows of one provision (aligned with the subset passed in)."""
    branch_key: np.ndarray     # -1: no branch (see reason arrays)
    lo: np.ndarray             # statutory minimum in yuan (NaN: no fine lawful)
    hi: np.ndarray
    lo_m: np.ndarray           # the range in the branch's own unit (yuan or multiples)
    hi_m: np.ndarray
    base: np.ndarray           # the base amount (NaN for yuan ranges)
    no_provision: np.ndarray   # not punishable under any version (act before/after validity)
    no_branch: np.ndarray      # in force, but no branch matched the facts
    multi_branch: np.ndarray   # more than one branch matched (rules need lint)
    missing: dict              # row position -> required fields it lacks


def daily_days(sub: pd.DataFrame, per_day, counts_last_day: bool) -> np.ndarray:
    """Days of a 按日连续处罚: from the day after the correction order to the re-inspection, that day
    included or not (parameter); none where the re-inspection is not after the order; NaN where a date
    is blank (the range is then unknown)."""
    start = sub[per_day.order].to_numpy().astype("datetime64[D]")
    end = sub[per_day.until].to_numpy().astype("datetime64[D]")
    days = (end - start).astype("timedelta64[D]").astype(float)
    days[np.isnat(start) | np.isnat(end)] = np.nan
    if not counts_last_day:
        days -= 1
    return np.where(np.isnan(days), days, np.maximum(days, 0))


def branch_ranges(version: CompiledVersion, sub: pd.DataFrame, table: BranchTable, prov,
                  counts_last_day: bool = True):
    n = len(sub)
    key = np.full(n, -1, dtype=np.int64)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    lo_m, hi_m, base = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    matches = np.zeros(n, dtype=np.int64)
    for b in version.branches:
        hit = b.condition.evaluate(sub)
        matches += hit
        first = hit & (key == -1)
        key[first] = table.key(prov, version, b)
        fine = b.model.fine
        if fine is None:
            continue
        if fine.is_multiple:
            bval = sub[fine.base].to_numpy(dtype=float)
            if fine.base_floor is not None:          # 不足X元的，按X元计算
                bval = np.where(np.isnan(bval), bval, np.maximum(bval, float(fine.base_floor)))
            if fine.per_day is not None:             # 按原处罚数额按日连续处罚
                bval = bval * daily_days(sub, fine.per_day, counts_last_day)
            base[first] = bval[first]
        else:
            bval = np.ones(n)
        lo_m[first] = float(fine.lo)
        hi_m[first] = float(fine.hi)
        lo[first] = np.round(float(fine.lo) * bval[first], 2)
        hi[first] = np.round(float(fine.hi) * bval[first], 2)
    return key, lo, hi, lo_m, hi_m, base, matches


def _nothing(n: int) -> tuple:
    """``branch_ranges`` of a version that applies to no row."""
    return (np.full(n, -1, dtype=np.int64), *(np.full(n, np.nan) for _ in range(5)), np.zeros(n, dtype=np.int64))


def select(prov: CompiledProvision, sub: pd.DataFrame, act_dates: np.ndarray,
           decision_dates: np.ndarray, table: BranchTable, counts_last_day: bool = True) -> VersionResult:
    n = len(sub)
    act_v = np.full(n, -1)
    dec_v = np.full(n, -1)
    for vi, v in enumerate(prov.versions):
        act_v[in_force(v, act_dates) & (act_v == -1)] = vi
        dec_v[in_force(v, decision_dates) & (dec_v == -1)] = vi
    used = set(np.unique(act_v).tolist()) | set(np.unique(dec_v).tolist())
    per_version = []
    for vi, v in enumerate(prov.versions):
        if vi in used:
            per_version.append(branch_ranges(v, sub, table, prov, counts_last_day))
        else:       # in force for none of these rows: its branches keep their keys, nothing is evaluated
            for b in v.branches:
                table.key(prov, v, b)
            per_version.append(_nothing(n))
    no_provision = (act_v == -1) | (dec_v == -1)
    chosen = act_v.copy()
    differs = ~no_provision & (act_v != dec_v)
    if differs.any():
        idx = np.arange(n)
        def pick(arr_i, vsel):
            stacked = np.stack([pv[arr_i] for pv in per_version])
            return stacked[np.clip(vsel, 0, None), idx]
        hi_a, hi_d = np.nan_to_num(pick(2, act_v)), np.nan_to_num(pick(2, dec_v))
        lo_a, lo_d = np.nan_to_num(pick(1, act_v)), np.nan_to_num(pick(1, dec_v))
        lighter = (hi_d < hi_a) | ((hi_d == hi_a) & (lo_d < lo_a))
        chosen = np.where(differs & lighter, dec_v, act_v)
    out = [np.full(n, -1, dtype=np.int64)] + [np.full(n, np.nan) for _ in range(5)] + [np.zeros(n, np.int64)]
    for vi, arrays in enumerate(per_version):
        m = chosen == vi
        for target, src in zip(out, arrays):
            target[m] = src[m]
    key, lo, hi, lo_m, hi_m, base, matches = out
    missing: dict[int, list[str]] = {}
    for vi, v in enumerate(prov.versions):
        m = (chosen == vi) & ~no_provision
        for fname in v.model.requires:
            col = sub[fname]
            miss = (np.isnat(col.to_numpy()) if col.dtype.kind == "M" else col.isna().to_numpy()) & m
            for i in np.flatnonzero(miss):
                missing.setdefault(int(i), []).append(fname)
        # a multiple of a missing base amount is no range
        for b in v.branches:
            if b.model.fine is not None and b.model.fine.is_multiple:
                bk = table.key(prov, v, b)
                miss = m & (key == bk) & np.isnan(base)
                fine = b.model.fine
                names = [fine.base] + ([fine.per_day.order, fine.per_day.until] if fine.per_day else [])
                for i in np.flatnonzero(miss):
                    lst = missing.setdefault(int(i), [])
                    for name in names:
                        if name not in lst and pd.isna(sub[name].iloc[i]):
                            lst.append(name)
    key[no_provision] = -1
    no_branch = ~no_provision & (matches == 0)
    multi = ~no_provision & (matches > 1)
    return VersionResult(key, lo, hi, lo_m, hi_m, base, no_provision, no_branch, multi, missing)
