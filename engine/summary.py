"""summary.json: counts by code, category, severity, department and record kind.

``findings`` and every count by code, category, severity and department are of *definite* findings;
*possible* ones (a blank fact leaves them open) are counted apart in ``possible_findings``,
``possible_by_code`` and ``cases_with_possible_findings``.

The one invariant every review keeps is checked here: evaluated + rejected == input rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.findings import CODES


MISSING_DEPARTMENT = "(未填)"


def _parts(review) -> list:
    return review.parts if hasattr(review, "parts") else [review]


def _empty_dept() -> dict:
    return {"evaluated": 0, "rejected": 0, "findings": 0, "cases_with_findings": 0, "by_code": {}, "by_category": {}}


def _add(counter: dict, key, n: int):
    counter[key] = counter.get(key, 0) + int(n)


def summary(review, input_rows: int) -> dict:
    """Counts by code, category, severity, department and record kind; evaluated + rejected == input rows."""
    counts = Counts()
    for ev in _parts(review):
        counts.add(ev)
    return counts.result(input_rows, _parts(review)[0].as_of, _parts(review)[0].ruleset.root,
                         getattr(review, "inputs", None))


class Counts:
    """The summary as a sum over the parts of a review, added in input order (a streamed review adds
    each batch's parts as it goes, engine.stream): departments keep the order of first appearance."""

    def __init__(self):
        self.by_code: dict[str, int] = {}
        self.by_cat: dict[str, int] = {}
        self.by_sev: dict[str, int] = {}
        self.by_kind: dict[str, dict] = {}
        self.per_dept: dict[str, dict] = {}
        self.evaluated = self.rejected = self.with_findings = self.findings = 0
        self.possible, self.possible_by_code, self.with_possible = 0, {}, 0

    def add(self, ev) -> None:
        by_code, by_cat, by_sev, per_dept, possible_by_code = (self.by_code, self.by_cat, self.by_sev,
                                                               self.per_dept, self.possible_by_code)
        ok = ev.evaluated
        dept_codes, dept_names = pd.factorize(ev.frame["department"], use_na_sentinel=True)
        names = [str(d) for d in dept_names]
        if (dept_codes < 0).any():           # no department recorded
            dept_codes = np.where(dept_codes < 0, len(names), dept_codes)
            names.append(MISSING_DEPARTMENT)
        for d in names:
            per_dept.setdefault(d, _empty_dept())
        for d, e, r in zip(names, np.bincount(dept_codes[ok], minlength=len(names)).tolist(),
                           np.bincount(dept_codes[~ok], minlength=len(names)).tolist()):
            per_dept[d]["evaluated"] += e
            per_dept[d]["rejected"] += r
        all_rows, possible_rows = [], []
        for b in ev.findings.batches:
            code = CODES[b.code]
            if b.certainty == "possible":    # counted apart: the record's blank facts leave it open
                self.possible += len(b)
                _add(possible_by_code, b.code, len(b))
                possible_rows.append(b.rows)
                continue
            cats = b.category if b.category is not None else np.full(len(b), code.category)
            _add(by_code, b.code, len(b))
            _add(by_sev, code.severity, len(b))
            d = dept_codes[b.rows]
            for cat in np.unique(cats):
                m = cats == cat
                _add(by_cat, str(cat), m.sum())
                for di, cnt in zip(*np.unique(d[m], return_counts=True)):
                    _add(per_dept[names[di]]["by_category"], str(cat), cnt)
            for di, cnt in zip(*np.unique(d, return_counts=True)):
                e = per_dept[names[di]]
                e["findings"] += int(cnt)
                _add(e["by_code"], b.code, cnt)
            all_rows.append(b.rows)
        rows_with = np.unique(np.concatenate(all_rows)) if all_rows else np.array([], dtype=np.int64)
        for di, cnt in zip(*np.unique(dept_codes[rows_with], return_counts=True)):
            per_dept[names[di]]["cases_with_findings"] += int(cnt)
        self.with_possible += int(len(np.unique(np.concatenate(possible_rows)))) if possible_rows else 0
        e, r = int(ok.sum()), int((~ok).sum())
        f = sum(len(b) for b in ev.findings.batches if b.certainty == "definite")
        k = self.by_kind.setdefault(ev.kind, {"input_rows": 0, "evaluated": 0, "rejected": 0, "findings": 0,
                                              "cases_with_findings": 0})
        k["input_rows"] += ev.n
        k["evaluated"] += e
        k["rejected"] += r
        k["findings"] += f
        k["cases_with_findings"] += int(len(rows_with))
        self.evaluated, self.rejected, self.findings = self.evaluated + e, self.rejected + r, self.findings + f
        self.with_findings += int(len(rows_with))

    def result(self, input_rows: int, as_of, rules, inputs=None) -> dict:
        assert self.evaluated + self.rejected == input_rows, "every input row is evaluated or rejected"
        per_dept = {d: {**v, "by_code": dict(v["by_code"]), "by_category": dict(v["by_category"])}
                    for d, v in self.per_dept.items()}
        if MISSING_DEPARTMENT in per_dept:    # last, whichever part of the batch (kind, row chunk) first lacked one
            per_dept[MISSING_DEPARTMENT] = per_dept.pop(MISSING_DEPARTMENT)
        for d in per_dept.values():           # departments in order of first appearance; their counts sorted
            d["by_code"] = dict(sorted(d["by_code"].items()))
            d["by_category"] = dict(sorted(d["by_category"].items()))
        out = {
            "input_rows": input_rows,
            "evaluated": self.evaluated,
            "rejected": self.rejected,
            "cases_with_findings": self.with_findings,
            "findings": self.findings,
            "by_code": dict(sorted(self.by_code.items())),
            "possible_findings": self.possible,
            "possible_by_code": dict(sorted(self.possible_by_code.items())),
            "cases_with_possible_findings": self.with_possible,
            "by_category": dict(sorted(self.by_cat.items())),
            "by_severity": dict(sorted(self.by_sev.items())),
            "by_department": per_dept,
            "by_kind": {k: dict(v) for k, v in self.by_kind.items()},
            "as_of": as_of.isoformat(),
            "rules": str(rules),
        }
        if inputs:
            out["inputs"] = inputs
        return out
