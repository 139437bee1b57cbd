"""Several violations in one decision (分别裁量、合并处罚): rows sharing ``decision_no`` are one decision.

Each violation is judged against its own provision, row by row.  The procedure is the decision's: the
simple-procedure limit and the hearing threshold (行政处罚法 Arts. 51, 63) apply to what the decision
imposes in all — its total fine, its total confiscation, every sanction of any of its rows — and the
officers, the deadline and the publication are judged once, on the decision's first row, naming it.
The totals are worked out before evaluation as hidden columns, so that every pass (complete rows and the
alternatives of partial ones, engine.penalty.alternatives) reads the same decision.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HEAD, SIZE, FINE, CONFISCATED, SANCTIONS = ("__decision_head", "__decision_size", "__decision_fine",
                                            "__decision_confiscated", "__decision_sanctions")


def add_decision_columns(frame: pd.DataFrame, rejected: np.ndarray) -> None:
    """The decision's first row, size, total fine and confiscation and all its sanctions, per row (in place);
    a row without ``decision_no`` is a decision of its own.  A decision is its number within its department
    (two departments may number alike).  Its totals count every row (a row rejected for its own reasons was
    still imposed); its first row is the first that can be evaluated (not ``rejected``)."""
    n = len(frame)
    no = frame["decision_no"].astype(object).where(frame["decision_no"].notna(), None)
    dept = frame["department"].astype(object).where(frame["department"].notna(), "")
    key_text = pd.Series([None if x is None else f"{d}\x1f{x}" for d, x in zip(dept.tolist(), no.tolist())],
                         dtype=object)
    codes, _ = pd.factorize(key_text, use_na_sentinel=True)
    fine = np.nan_to_num(frame["fine"].to_numpy(dtype=float))
    conf = np.nan_to_num(frame["confiscated_gain"].to_numpy(dtype=float))
    sanctions = frame["sanctions"]
    if not (codes >= 0).any() or pd.Series(codes[codes >= 0]).is_unique:
        frame[HEAD] = np.ones(n, dtype=bool)
        frame[SIZE] = np.ones(n, dtype=np.int64)
        frame[FINE], frame[CONFISCATED], frame[SANCTIONS] = fine, conf, sanctions
        return
    key = np.where(codes >= 0, codes, -1 - np.arange(n))            # rows without a number: alone
    groups = pd.Series(np.arange(n)).groupby(key)
    usable = pd.Series(np.where(rejected, n, np.arange(n)))
    first = usable.groupby(key).transform("min").to_numpy()
    frame[HEAD] = first == np.arange(n)
    frame[SIZE] = groups.transform("size").to_numpy()
    frame[FINE] = pd.Series(fine).groupby(key).transform("sum").to_numpy()
    frame[CONFISCATED] = pd.Series(conf).groupby(key).transform("sum").to_numpy()
    text = sanctions.astype("string").fillna("")
    union = text.groupby(key).transform(lambda t: _union(t.tolist()))
    frame[SANCTIONS] = pd.Categorical(union.to_numpy(dtype=object))


def _union(lists: list[str]) -> str:
    codes = list(dict.fromkeys(c for t in lists for c in t.split(";") if c))
    return ";" + ";".join(codes) + ";" if codes else ""


def decision_view(ev):
    """(first row of its decision, total fine, total confiscated, size) per row of an evaluation."""
    f = ev.frame
    if HEAD not in f.columns:
        return (np.ones(ev.n, dtype=bool), ev.fine, np.nan_to_num(ev.column("confiscated_gain").astype(float)),
                np.ones(ev.n, dtype=np.int64))
    return (f[HEAD].to_numpy(dtype=bool), f[FINE].to_numpy(dtype=float), f[CONFISCATED].to_numpy(dtype=float),
            f[SIZE].to_numpy())
