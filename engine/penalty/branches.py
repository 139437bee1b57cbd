"""Rows by the statutory branch applied to them: what both the evaluation (engine.penalty.evaluate)
and the checks (engine.penalty.checks) work per branch with, kept apart so neither imports the other."""
from __future__ import annotations

import numpy as np
import pandas as pd


def narrow(frame: pd.DataFrame, columns, idx: np.ndarray) -> pd.DataFrame:
    """The given rows of only the given columns: conditions read a few fields, copying forty is waste."""
    cols = [c for c in dict.fromkeys(columns) if c in frame.columns]
    # the columns' arrays taken directly: a Series per column and an index alignment cost three times as
    # much, paid per provision and branch
    return pd.DataFrame({c: frame[c].array.take(idx) for c in cols}, index=frame.index[idx], copy=False)


def groups(keys: np.ndarray, rows: np.ndarray | None = None):
    """(key, its row positions ascending) per distinct key, keys ascending: one stable sort, where a pass
    over every row per key would cost rows × keys (two hundred provisions, six hundred branches)."""
    if rows is None:
        rows = np.arange(len(keys))
    else:
        rows = np.asarray(rows)
        keys = keys[rows]
    if not len(rows):
        return
    small = len(keys) > 1024 and -32768 <= keys.min() and keys.max() < 32768
    order = np.argsort(keys.astype(np.int16) if small else keys, kind="stable")     # int16: a radix sort
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    uniq = sorted_keys[starts]
    ends = np.append(starts[1:], len(order))
    for k, a, b in zip(uniq.tolist(), starts.tolist(), ends.tolist()):
        yield k, rows[order[a:b]]


def among(keys: np.ndarray, chosen, size: int) -> np.ndarray:
    """Rows whose key (an index below ``size``, or -1 for none) is one of ``chosen``: a table look-up,
    one pass however many keys are chosen."""
    table = np.zeros(size + 1, dtype=bool)
    table[list(chosen)] = True
    return table[np.where(keys < 0, size, keys)]


def by_branch(ev, rows: np.ndarray):
    """Split row positions by the (provision, version, branch) applied: facts and citations follow the branch."""
    for k, sub in groups(ev.branch_key, rows):
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
