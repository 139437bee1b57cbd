"""Rows by the statutory branch applied to them: what both the evaluation (engine.penalty.evaluate)
and the checks (engine.penalty.checks) work per branch with, kept apart so neither imports the other."""
from __future__ import annotations

import numpy as np
import pandas as pd


def narrow(frame: pd.DataFrame, columns, idx: np.ndarray) -> pd.DataFrame:
    """The given rows of only the given columns: conditions read a few fields, copying forty is waste."""
    cols = [c for c in dict.fromkeys(columns) if c in frame.columns]
    return pd.DataFrame({c: frame[c].iloc[idx] for c in cols}, index=frame.index[idx])


def by_branch(ev, rows: np.ndarray):
    """Split row positions by the (provision, version, branch) applied: facts and citations follow the branch."""
    keys = ev.branch_key[rows]
    for k in np.unique(keys):
        sub = rows[keys == k]
        yield (ev.table.entries[k] if k >= 0 else None), sub


def branch_fields(entry, *more: str) -> list[str]:
    """The record fields a branch reads (its condition and base amount), then ``more``."""
    names = ["violation_code"]
    if entry is not None:
        cp, v, b = entry
        names += [f for f in b.condition.fields if f not in names]
        if b.model.fine is not None and b.model.fine.base and b.model.fine.base not in names:
            names.append(b.model.fine.base)
    return names + [m for m in more if m not in names]


def label(entry) -> str:
    cp, v, b = entry
    refers = "".join(f"，依照{c.short()}" for c in b.referred)
    return f"{cp.id} ({b.citation.short()}{refers}, {v.valid_from.isoformat()}起)"
