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
PERSONS = "__decision_persons"      # bits: the 双罚制 duties (persons_duties) the decision fulfils


def add_decision_columns(frame: pd.DataFrame, rejected: np.ndarray, provision_idx: np.ndarray | None = None,
                         duties: list | None = None) -> None:
    """The decision's first row, size, total fine and confiscation, all its sanctions and the persons it
    punishes, per row (in place); a row without ``decision_no`` is a decision of its own.  A decision is its
    number within its department (two departments may number alike).  Its totals count every row (a row
    rejected for its own reasons was still imposed); its first row is the first that can be evaluated (not
    ``rejected``).  ``duties``: the (provision index, subject) pairs of 双罚制 (``persons_duties``); bit i of
    ``PERSONS`` says the decision punishes duty i's subject under its provision.  Column-wise throughout:
    a batch may hold a million decisions."""
    n = len(frame)
    numbered = frame["decision_no"].notna().to_numpy()
    codes = np.full(n, -1, dtype=np.int64)
    if numbered.any():
        pair = pd.DataFrame({"d": frame["department"].astype(object).where(frame["department"].notna(), "")[numbered],
                             "x": frame["decision_no"].astype(object)[numbered]})
        codes[numbered] = pair.groupby(["d", "x"], sort=False).ngroup().to_numpy()
    fine = np.nan_to_num(frame["fine"].to_numpy(dtype=float))
    conf = np.nan_to_num(frame["confiscated_gain"].to_numpy(dtype=float))
    sanctions = frame["sanctions"]
    persons = _person_bits(frame, provision_idx, duties or [])
    if not (codes >= 0).any() or pd.Series(codes[codes >= 0]).is_unique:
        frame[HEAD] = np.ones(n, dtype=bool)
        frame[SIZE] = np.ones(n, dtype=np.int64)
        frame[FINE], frame[CONFISCATED], frame[SANCTIONS] = fine, conf, sanctions
        frame[PERSONS] = persons
        return
    key = np.where(codes >= 0, codes, -1 - np.arange(n))            # rows without a number: alone
    groups = pd.Series(np.arange(n)).groupby(key)
    usable = pd.Series(np.where(rejected, n, np.arange(n)))
    first = usable.groupby(key).transform("min").to_numpy()
    frame[HEAD] = first == np.arange(n)
    frame[SIZE] = groups.transform("size").to_numpy()
    frame[FINE] = pd.Series(fine).groupby(key).transform("sum").to_numpy()
    frame[CONFISCATED] = pd.Series(conf).groupby(key).transform("sum").to_numpy()
    frame[PERSONS] = _or_by_group(persons, key)
    frame[SANCTIONS] = _sanction_union(sanctions, key)


def persons_duties(ruleset, pids: list) -> list[tuple[int, str]]:
    """Every (provision index, subject) a provision's 双罚制 duty names, in a fixed order."""
    return [(k, who) for k, pid in enumerate(pids) for who in ruleset.provisions[pid].persons]


def _person_bits(frame: pd.DataFrame, provision_idx, duties: list) -> np.ndarray:
    """Per row, bit i set where the row punishes duty i's subject under duty i's provision (a blank subject is
    the party addressed, never a person)."""
    bits = np.zeros(len(frame), dtype=np.int64)
    if provision_idx is None or not duties:
        return bits
    if len(duties) > 63:
        raise ValueError("more than 63 双罚制 duties: widen engine.penalty.decisions.PERSONS")
    at = np.flatnonzero(np.isin(provision_idx, [k for k, _ in duties]))
    if not len(at):
        return bits
    subject, pidx = frame["subject"].astype(object).to_numpy()[at], provision_idx[at]
    for i, (k, who) in enumerate(duties):
        bits[at] |= np.where((pidx == k) & (subject == who), np.int64(1) << i, 0)
    return bits


def _or_by_group(bits: np.ndarray, key: np.ndarray) -> np.ndarray:
    _, inv = np.unique(key, return_inverse=True)
    out = np.zeros(inv.max() + 1 if len(inv) else 0, dtype=np.int64)
    np.bitwise_or.at(out, inv, bits)
    return out[inv]


def _sanction_union(sanctions: pd.Series, key: np.ndarray) -> pd.Categorical:
    """Every sanction any row of the decision imposes, as a ``;code;`` list per row (codes in the order they
    first appear in the batch: the list is read by code, never by position)."""
    text = sanctions.astype("string").fillna("")
    codes, uniq = pd.factorize(text)
    names: list[str] = []
    table = []
    for u in uniq.tolist():
        mask = 0
        for c in (x for x in str(u).split(";") if x):
            if c not in names:
                names.append(c)
            mask |= 1 << names.index(c)
        table.append(mask)
    if len(names) > 63:
        raise ValueError("more than 63 sanction codes in one batch")
    bits = np.array(table, dtype=np.int64)[codes] if len(uniq) else np.zeros(len(text), dtype=np.int64)
    union = _or_by_group(bits, key)
    values, inverse = np.unique(union, return_inverse=True)
    words = [";" + ";".join(c for i, c in enumerate(names) if v >> i & 1) + ";" if v else "" for v in values.tolist()]
    return pd.Categorical.from_codes(inverse.astype(np.int64), categories=pd.Index(words, dtype=object))


def decision_view(ev):
    """(first row of its decision, total fine, total confiscated, size) per row of an evaluation."""
    f = ev.frame
    if HEAD not in f.columns:
        return (np.ones(ev.n, dtype=bool), ev.fine, np.nan_to_num(ev.column("confiscated_gain").astype(float)),
                np.ones(ev.n, dtype=np.int64))
    return (f[HEAD].to_numpy(dtype=bool), f[FINE].to_numpy(dtype=float), f[CONFISCATED].to_numpy(dtype=float),
            f[SIZE].to_numpy())
