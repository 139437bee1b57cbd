"""Turn an Evaluation into the output contract: case rows, finding dicts, rejected rows, summary.

Field names here are a contract (see the README): other tools read them.
"""
from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from engine import tiers as T
from engine.findings import CODES
from engine.io.arrowcols import list_array, nullable, split_lists
from engine.io.jsonfrag import constant, fragment, lines, obj
from engine.io.readers import ROW

CASE_FIELDS = ("case_id", "status", "provision", "provision_version", "tiers", "lawful_fine_min",
               "lawful_fine_max", "codes", "department", "officers", "event_date")


def _nullable_floats(a: np.ndarray) -> np.ndarray:
    out = a.astype(object)
    out[np.isnan(a)] = None
    return out


def _objects(series: pd.Series) -> np.ndarray:
    """Object array with None (never NaN/NA) for missing values: JSON null, and falsy in Python."""
    out = series.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def _dates(a: np.ndarray) -> pa.Array:
    """ISO date strings (null for NaT), formatted by Arrow in native code."""
    a = a.astype("datetime64[D]")
    return pa.array(a, type=pa.date32(), mask=np.isnat(a)).cast(pa.string())


def _values(v, n: int):
    """A per-finding numpy array → JSON fragments; anything else is one constant shared by the batch."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "M":
            return fragment(_dates(v))
        return fragment(pa.array(v, from_pandas=True))
    return constant(v)


def _arrow_column(ev, name: str) -> pa.Array:
    """A whole record column as one Arrow array in its JSON form, built once per review.

    Findings then take their rows from it (a cheap Arrow ``take``): dates as
    date32, amounts with nulls, code lists as dictionary-coded lists.
    """
    cache = ev.__dict__.setdefault("_arrow", {})
    if name in cache:
        return cache[name]
    from engine.records.schema import BY_NAME
    from engine.types import FieldType
    col = BY_NAME.get(name)
    series = ev.frame[name]
    if name == "officers" and ev.records.officer_lists is not None:
        arr = ev.records.officer_lists
    elif col is not None and col.type == FieldType.LIST:
        arr = split_lists(series)
    elif series.dtype.kind == "M":
        arr = _dates(ev.column(name))
    elif isinstance(series.dtype, pd.CategoricalDtype):
        arr = pa.DictionaryArray.from_arrays(
            pa.array(series.cat.codes.to_numpy().astype(np.int32), mask=series.cat.codes.to_numpy() < 0),
            pa.array(series.cat.categories.astype(str).tolist(), type=pa.string()))
    else:
        arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    cache[name] = arr
    return arr


def _record_values(ev, name: str, rows: np.ndarray) -> pa.Array:
    """A record column at ``rows`` in its JSON form: numbers, ISO dates, booleans, code lists, text."""
    return _arrow_column(ev, name).take(pa.array(rows))


def finding_lines(ev, b) -> bytes:
    """One batch of findings as JSON Lines in the findings.jsonl contract (order of keys included)."""
    code = CODES[b.code]
    n, rows = len(b), b.rows
    zh, en = b.messages()
    category = fragment(pa.array(b.category.astype(str))) if b.category is not None else constant(code.category)
    event = b.event_date if b.event_date is not None else ev.column("decision_date")[rows]
    facts = obj([(f, fragment(_record_values(ev, f, rows))) for f in b.facts], n)
    return lines([
        ("case_id", fragment(_record_values(ev, "case_id", rows))),
        ("code", constant(b.code)),
        ("category", category),
        ("severity", constant(code.severity)),
        ("message_zh", fragment(pa.array([f"【{code.zh}】{m}" for m in zh], type=pa.string()))),
        ("message_en", fragment(pa.array([f"[{code.en}] {m}" for m in en], type=pa.string()))),
        ("citations", constant(b.citations)),
        ("facts", facts),
        ("expected", obj([(k, _values(v, n)) for k, v in b.expected.items()], n)),
        ("actual", obj([(k, _values(v, n)) for k, v in b.actual.items()], n)),
        ("department", fragment(_record_values(ev, "department", rows))),
        ("officers", fragment(_record_values(ev, "officers", rows))),
        ("event_date", fragment(_dates(event))),
        ("row", fragment(pa.array(ev.column(ROW)[rows].astype(np.int64)))),
    ], n)


def finding_chunks(ev):
    for b in ev.findings.batches:
        yield finding_lines(ev, b)


def finding_rows(ev) -> list[dict]:
    """Findings as Python dicts (for ``check`` and Excel): the JSON Lines, parsed back."""
    out = [orjson.loads(line) for chunk in finding_chunks(ev) for line in bytes(chunk).splitlines()]
    out.sort(key=lambda r: (r["row"], r["code"]))
    return out


def _coded(codes: np.ndarray, values: list) -> pa.DictionaryArray:
    """A column of few distinct values as a dictionary array (code -1: null), built without a row loop."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                          pa.array(list(values), type=pa.string()))


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
        "case_id": _arrow_column(ev, "case_id"),
        "status": _coded(np.where(ok, 0, 1), ["evaluated", "rejected"]),
        "provision": _coded(np.where(ok, ev.provision_idx, -1), ev.provision_ids),
        "provision_version": _coded(np.where(ok, ev.branch_key, -1),
                                    [v.valid_from.isoformat() for _, v, _ in ev.table.entries]),
        "tiers": tiers,
        "lawful_fine_min": nullable(np.where(ok, ev.lawful_min, np.nan)),
        "lawful_fine_max": nullable(np.where(ok, ev.lawful_max, np.nan)),
        "codes": codes,
        "department": _arrow_column(ev, "department"),
        "officers": _arrow_column(ev, "officers"),
        "event_date": _dates(dates),
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
        data["file"] = [str(ev.sources.iat[i]) for i in idx]
    return pd.DataFrame(data)


def summary(ev, input_rows: int) -> dict:
    ok = ev.evaluated
    dept_codes, dept_names = pd.factorize(ev.frame["department"], use_na_sentinel=True)
    names = [str(d) for d in dept_names]
    if (dept_codes < 0).any():           # no department recorded
        dept_codes = np.where(dept_codes < 0, len(names), dept_codes)
        names.append("(未填)")
    by_code: dict[str, int] = {}
    by_cat: dict[str, int] = {}
    by_sev: dict[str, int] = {}
    per_dept = {d: {"evaluated": 0, "rejected": 0, "findings": 0, "cases_with_findings": 0,
                    "by_code": {}, "by_category": {}} for d in names}
    for d, e, r in zip(names, np.bincount(dept_codes[ok], minlength=len(names)).tolist(),
                       np.bincount(dept_codes[~ok], minlength=len(names)).tolist()):
        per_dept[d]["evaluated"], per_dept[d]["rejected"] = e, r
    finding_rows_all = []
    for b in ev.findings.batches:
        code = CODES[b.code]
        cats = b.category if b.category is not None else np.full(len(b), code.category)
        by_code[b.code] = by_code.get(b.code, 0) + len(b)
        by_sev[code.severity] = by_sev.get(code.severity, 0) + len(b)
        d = dept_codes[b.rows]
        for cat in np.unique(cats):
            m = cats == cat
            by_cat[str(cat)] = by_cat.get(str(cat), 0) + int(m.sum())
            for di, cnt in zip(*np.unique(d[m], return_counts=True)):
                e = per_dept[names[di]]
                e["by_category"][str(cat)] = e["by_category"].get(str(cat), 0) + int(cnt)
        for di, cnt in zip(*np.unique(d, return_counts=True)):
            e = per_dept[names[di]]
            e["findings"] += int(cnt)
            e["by_code"][b.code] = e["by_code"].get(b.code, 0) + int(cnt)
        finding_rows_all.append(b.rows)
    rows_with = np.unique(np.concatenate(finding_rows_all)) if finding_rows_all else np.array([], dtype=np.int64)
    for di, cnt in zip(*np.unique(dept_codes[rows_with], return_counts=True)):
        per_dept[names[di]]["cases_with_findings"] = int(cnt)
    evaluated, rejected = int(ok.sum()), int((~ok).sum())
    assert evaluated + rejected == input_rows, "every input row is evaluated or rejected"
    return {
        "input_rows": input_rows,
        "evaluated": evaluated,
        "rejected": rejected,
        "cases_with_findings": int(len(rows_with)),
        "findings": ev.findings.count(),
        "by_code": dict(sorted(by_code.items())),
        "by_category": dict(sorted(by_cat.items())),
        "by_severity": dict(sorted(by_sev.items())),
        "by_department": per_dept,
        "as_of": ev.as_of.isoformat(),
        "rules": str(ev.ruleset.root),
    }
