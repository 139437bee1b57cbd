"""Turn an Evaluation into the output contract: case rows, finding dicts, rejected rows, summary.

Field names here are a contract (see the README): other tools read them.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa

from engine import tiers as T
from engine.findings import CODES
from engine.io.arrowcols import list_array, nullable, split_lists
from engine.io.readers import ROW

CASE_FIELDS = ("case_id", "status", "provision", "provision_version", "tiers", "lawful_fine_min",
               "lawful_fine_max", "codes", "department", "officers", "event_date")


def _nullable_floats(a: np.ndarray) -> np.ndarray:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return out


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
    officer_lists = {}
    officers_col = ev.column("officers")
    dd = ev.column("decision_date")
    rows_no = ev.column(ROW)
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
            "officers": officer_lists.get(officers_col[i]) or officer_lists.setdefault(
                officers_col[i], [x for x in (officers_col[i] or "").split(";") if x]),
            "event_date": None if np.isnat(ed) else str(ed),
            "row": int(rows_no[i]),
        }


def case_table(ev, codes_per_row: dict[int, list[str]]) -> pa.Table:
    """One row per input record (the cases.jsonl contract), built column-wise as Arrow."""
    frame, n = ev.frame, ev.n
    ok = ev.evaluated
    tier_bits = np.where(ok & (ev.branch_key >= 0) | (ok & (ev.tiers == T.NONE)), ev.tiers, -1)
    tier_bits = np.where(ok & ev.no_provision, -1, tier_bits)
    tiers = list_array(np.where(tier_bits < 0, -1, np.clip(tier_bits, 0, 31)),
                       [T.tier_names(b) for b in range(32)])
    combos: dict[tuple, int] = {}
    code_idx = np.full(n, -1, dtype=np.int64)
    for i, c in codes_per_row.items():
        code_idx[i] = combos.setdefault(tuple(c), len(combos))
    codes = list_array(code_idx, [list(c) for c in combos])
    reasons = np.full(n, None, dtype=object)
    for i in ev.records.rejections.reasons:
        reasons[i] = ev.records.rejections.text(i)
    dates = ev.column("decision_date")
    cols = {
        "case_id": pa.array(_objects(frame["case_id"]), type=pa.string()),
        "status": pa.array(np.where(ok, "evaluated", "rejected")),
        "provision": pa.array(np.where(ok, ev.provision, None), type=pa.string()),
        "provision_version": pa.array(np.where(ok, ev.version_from, None), type=pa.string()),
        "tiers": tiers,
        "lawful_fine_min": nullable(np.where(ok, ev.lawful_min, np.nan)),
        "lawful_fine_max": nullable(np.where(ok, ev.lawful_max, np.nan)),
        "codes": codes,
        "department": pa.array(_objects(frame["department"]), type=pa.string()),
        "officers": split_lists(ev.column("officers")),
        "event_date": pa.array(_dates(dates), type=pa.string()),
        "row": pa.array(ev.column(ROW).astype(np.int64)),
        "reason": pa.array(reasons, type=pa.string()),
    }
    extras = ev.records.extra_columns
    if extras:  # unknown input columns are carried through, never dropped
        cols["extra"] = pa.array(frame[extras].astype(object).where(frame[extras].notna(), None)
                                 .astype(str).where(frame[extras].notna(), None).to_dict("records"))
    return pa.table(cols)


def rejected_frame(ev) -> pd.DataFrame:
    rej = ev.records.rejections
    idx = sorted(rej.reasons)
    frame = ev.frame
    ids = _objects(frame["case_id"])
    data = {
        "row": [int(ev.column(ROW)[i]) for i in idx],
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
