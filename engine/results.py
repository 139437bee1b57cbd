"""Turn an Evaluation into the output contract: case rows, finding dicts, rejected rows, summary.

Field names here are a contract (see the README): other tools read them.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from engine import tiers as T
from engine.findings import CODES
from engine.io.readers import ROW

CASE_FIELDS = ("case_id", "status", "provision", "provision_version", "tiers", "lawful_fine_min",
               "lawful_fine_max", "codes", "department", "officers", "event_date")


def _nullable_floats(a: np.ndarray) -> np.ndarray:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return out


def _split_lists(series: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(series.fillna(""))
    lists = np.empty(len(uniques), dtype=object)
    for j, u in enumerate(uniques):
        lists[j] = [x for x in u.split(";") if x]
    if not len(uniques):
        out = np.empty(len(series), dtype=object)
        out.fill([])
        return out
    return lists[codes]


def _objects(series: pd.Series) -> np.ndarray:
    """Object array with None (never NaN/NA) for missing values: JSON null, and falsy in Python."""
    out = series.to_numpy(dtype=object)
    out[pd.isna(out)] = None
    return out


def _dates(a: np.ndarray) -> np.ndarray:
    out = np.datetime_as_string(a.astype("datetime64[D]"), unit="D").astype(object)
    out[np.isnat(a)] = None
    return out


def finding_rows(ev):
    """One dict per finding, in row order then code order (stable across runs)."""
    frame = ev.frame
    case_ids = _objects(frame["case_id"])
    depts = _objects(frame["department"])
    officers = _split_lists(frame["officers"]) if len(frame) else []
    dd = ev.column("decision_date")
    items = []
    for b in ev.findings.batches:
        code = CODES[b.code]
        event_dates = None
        if b.code == "procedure.decision_overdue":
            event_dates = getattr(ev, "event_deadline_decision", None)
        elif b.code == "procedure.publication_overdue":
            event_dates = getattr(ev, "event_deadline_publication", None)
        for k, i in enumerate(b.rows):
            items.append((int(i), b.code, b, k, code, event_dates))
    items.sort(key=lambda t: (t[0], t[1]))
    for i, code_name, b, k, code, event_dates in items:
        f, expected, actual, zh, en, citations = b.explain(k)
        ed = event_dates[i] if event_dates is not None else dd[i]
        yield {
            "case_id": case_ids[i],
            "code": code_name,
            "category": str(b.category[k]) if b.category is not None else code.category,
            "severity": code.severity,
            "message_zh": f"【{code.zh}】{zh}",
            "message_en": f"[{code.en}] {en}",
            "citations": citations,
            "facts": f,
            "expected": expected,
            "actual": actual,
            "department": depts[i],
            "officers": officers[i],
            "event_date": None if np.isnat(ed) else str(ed),
            "row": int(frame[ROW].iat[i]),
        }


def case_frame(ev, codes_per_row: dict[int, list[str]]) -> pd.DataFrame:
    frame, n = ev.frame, ev.n
    ok = ev.evaluated
    tier_lists = np.empty(32, dtype=object)
    for b in range(32):
        tier_lists[b] = T.tier_names(b)
    empty = np.empty(n, dtype=object)
    empty.fill([])  # one shared, never-mutated empty list: rows with codes get their own
    tiers = np.where(ok, tier_lists[np.clip(ev.tiers, 0, 31)], empty)
    for i in np.flatnonzero(ok & (ev.branch_key < 0)):
        tiers[i] = []
    codes = empty.copy()
    for i, c in codes_per_row.items():
        codes[i] = c
    lo = np.where(ok, ev.lawful_min, np.nan)
    hi = np.where(ok, ev.lawful_max, np.nan)
    prov = np.where(ok, ev.provision, None)
    version = np.where(ok, ev.version_from, None)
    reasons = np.full(n, None, dtype=object)
    for i in ev.records.rejections.reasons:
        reasons[i] = ev.records.rejections.text(i)
    out = pd.DataFrame({
        "case_id": _objects(frame["case_id"]),
        "status": np.where(ok, "evaluated", "rejected"),
        "provision": prov,
        "provision_version": version,
        "tiers": tiers,
        "lawful_fine_min": _nullable_floats(lo),
        "lawful_fine_max": _nullable_floats(hi),
        "codes": codes,
        "department": _objects(frame["department"]),
        "officers": _split_lists(frame["officers"]) if n else [],
        "event_date": _dates(ev.column("decision_date")),
        "row": frame[ROW].to_numpy(),
        "reason": reasons,
    })
    extras = ev.records.extra_columns
    if extras:  # unknown input columns are carried through, never dropped
        values = frame[extras].astype(object).where(frame[extras].notna(), None).to_dict("records")
        out["extra"] = values
    return out


def rejected_frame(ev) -> pd.DataFrame:
    rej = ev.records.rejections
    idx = sorted(rej.reasons)
    frame = ev.frame
    ids = _objects(frame["case_id"])
    data = {
        "row": [int(frame[ROW].iat[i]) for i in idx],
        "case_id": [ids[i] for i in idx],
        "reason": [rej.text(i) for i in idx],
    }
    if getattr(ev, "sources", None) is not None:
        data["file"] = [ev.sources[i] for i in idx]
    return pd.DataFrame(data)


def summary(ev, findings: list[dict], input_rows: int) -> dict:
    ok = ev.evaluated
    by_code = Counter(f["code"] for f in findings)
    by_cat = Counter(f["category"] for f in findings)
    by_sev = Counter(f["severity"] for f in findings)
    dept = np.array([d or "(未填)" for d in _objects(ev.frame["department"])], dtype=object)
    per_dept: dict[str, dict] = {}
    d_eval = Counter(dept[ok])
    d_rej = Counter(dept[~ok])
    for d in sorted(set(d_eval) | set(d_rej)):
        per_dept[d] = {"evaluated": d_eval.get(d, 0), "rejected": d_rej.get(d, 0), "findings": 0,
                       "cases_with_findings": 0, "by_code": {}, "by_category": {}}
    cases_with = {}
    for f in findings:
        d = f["department"] or "(未填)"
        e = per_dept[d]
        e["findings"] += 1
        e["by_code"][f["code"]] = e["by_code"].get(f["code"], 0) + 1
        e["by_category"][f["category"]] = e["by_category"].get(f["category"], 0) + 1
        cases_with.setdefault(d, set()).add(f["case_id"])
    for d, s in cases_with.items():
        per_dept[d]["cases_with_findings"] = len(s)
    evaluated = int(ok.sum())
    rejected = int((~ok).sum())
    assert evaluated + rejected == input_rows, "every input row is evaluated or rejected"
    return {
        "input_rows": input_rows,
        "evaluated": evaluated,
        "rejected": rejected,
        "cases_with_findings": len({f["case_id"] for f in findings}),
        "findings": len(findings),
        "by_code": dict(sorted(by_code.items())),
        "by_category": dict(sorted(by_cat.items())),
        "by_severity": dict(sorted(by_sev.items())),
        "by_department": per_dept,
        "as_of": ev.as_of.isoformat(),
        "rules": str(ev.ruleset.root),
    }
