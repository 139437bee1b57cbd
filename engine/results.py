"""Turn an Evaluation into the output contract: case rows, finding dicts, rejected rows, summary.

Field names here are a contract (see the README): other tools read them.
"""
from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    from engine.types import FieldType
    col = ev.records.schema.by_name.get(name)
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


def _prefixed(prefix: str, messages) -> pa.Array:
    """The code's label before each message; messages built with Arrow stay in Arrow."""
    if isinstance(messages, (pa.Array, pa.ChunkedArray)):
        return pc.binary_join_element_wise(pa.scalar(prefix, pa.large_string()), messages.cast(pa.large_string()),
                                           pa.scalar("", pa.large_string()))
    return pa.array([prefix + m for m in messages], type=pa.string())


def finding_lines(ev, b) -> bytes:
    """One batch of findings as JSON Lines in the findings.jsonl contract (order of keys included)."""
    code = CODES[b.code]
    n, rows = len(b), b.rows
    zh, en = b.messages()
    category = fragment(pa.array(b.category.astype(str))) if b.category is not None else constant(code.category)
    event = b.event_date if b.event_date is not None else ev.default_event_dates()[rows]
    facts = obj([(f, fragment(_record_values(ev, f, rows))) for f in b.facts], n)
    return lines([
        ("case_id", fragment(_record_values(ev, "case_id", rows))),
        ("code", constant(b.code)),
        ("category", category),
        ("severity", constant(code.severity)),
        ("message_zh", fragment(_prefixed(f"【{code.zh}】", zh))),
        ("message_en", fragment(_prefixed(f"[{code.en}] ", en))),
        ("citations", constant(b.citations)),
        ("facts", facts),
        ("expected", obj([(k, _values(v, n)) for k, v in b.expected.items()], n)),
        ("actual", obj([(k, _values(v, n)) for k, v in b.actual.items()], n)),
        ("department", fragment(_record_values(ev, "department", rows))),
        ("officers", fragment(_record_values(ev, "officers", rows))),
        ("event_date", fragment(_dates(event))),
        ("row", fragment(pa.array(ev.column(ROW)[rows].astype(np.int64)))),
        ("record_kind", constant(ev.kind)),
    ], n)


def parts(review) -> list:
    """The evaluations of a review: a BatchReview's parts, or one evaluation on its own."""
    return review.parts if hasattr(review, "parts") else [review]


def finding_chunks(review):
    for ev in parts(review):
        for b in ev.findings.batches:
            yield finding_lines(ev, b)


def finding_rows(review) -> list[dict]:
    """Findings as Python dicts (for ``check`` and Excel): the JSON Lines, parsed back."""
    out = [orjson.loads(line) for chunk in finding_chunks(review) for line in bytes(chunk).splitlines()]
    out.sort(key=lambda r: (r["row"], r["code"]))
    return out


def _coded(codes: np.ndarray, values: list) -> pa.DictionaryArray:
    """A column of few distinct values as a dictionary array (code -1: null), built without a row loop."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                          pa.array(list(values), type=pa.string()))


RAW_JSON = {b"json": b"raw"}   # field metadata: the column already holds JSON text


def case_tables(review) -> list[pa.Table]:
    """The cases.jsonl rows of each record kind, each table in input order (what the writer streams:
    putting a mixed batch back into one input order would cost a full copy of every column)."""
    return [_case_table_part(ev) for ev in parts(review)]


def case_table(review) -> pa.Table:
    """One row per input record (the cases.jsonl contract), in input order, as one Arrow table."""
    tables = [_joined(t) for t in case_tables(review)]
    if len(tables) == 1:
        return tables[0]
    names = list(dict.fromkeys(n for t in tables for n in t.column_names))
    fields = {}
    for n in names:   # one type per column: where parts disagree (e.g. all-null vs text), decode dictionaries
        types = {t.schema.field(n).type for t in tables if n in t.column_names and
                 not pa.types.is_null(t.schema.field(n).type)}
        f = next(t.schema.field(n) for t in tables if n in t.column_names)
        if len(types) > 1 or any(pa.types.is_dictionary(ty) and pa.types.is_list(ty.value_type) for ty in types):
            types = {ty.value_type if pa.types.is_dictionary(ty) else ty for ty in types}
        fields[n] = pa.field(n, types.pop() if types else f.type, metadata=f.metadata)
    schema = pa.schema([fields[n] for n in names])
    tables = [pa.table({n: _as_type(t.column(n), fields[n].type) if n in t.column_names
                        else pa.nulls(t.num_rows, fields[n].type) for n in names}, schema=schema)
              for t in tables]
    joined = pa.concat_tables(tables).unify_dictionaries()
    order = np.argsort(np.concatenate(review.positions), kind="stable")
    return joined.take(pa.array(order))


def _joined(table: pa.Table) -> pa.Table:
    if "deadlines" not in table.column_names:
        return table
    i = table.column_names.index("deadlines")
    return table.set_column(i, table.schema.field(i).with_type(pa.large_string()),
                            joined_deadlines(table.column(i)))


def _as_type(column, type_):
    if column.type == type_:
        return column
    if pa.types.is_dictionary(column.type) and not pa.types.is_dictionary(type_):
        return pa.chunked_array([c.dictionary_decode() for c in column.chunks], type=column.type.value_type) \
            .cast(type_)
    return column.cast(type_)


def _case_table_part(ev) -> pa.Table:
    frame, n = ev.frame, ev.n
    ok = ev.evaluated
    codes = _codes_per_row(ev)
    reasons = np.full(n, None, dtype=object)
    for i in ev.records.rejections.reasons:
        reasons[i] = ev.records.rejections.text(i)
    kind_cols = _penalty_columns(ev) if ev.kind == "penalty" else _deadline_columns(ev)
    cols = {
        "case_id": _arrow_column(ev, "case_id"),
        "status": _coded(np.where(ok, 0, 1), ["evaluated", "rejected"]),
        "provision": kind_cols.pop("provision"),
        "provision_version": kind_cols.pop("provision_version"),
        "tiers": kind_cols.pop("tiers"),
        "lawful_fine_min": kind_cols.pop("lawful_fine_min"),
        "lawful_fine_max": kind_cols.pop("lawful_fine_max"),
        "codes": codes,
        "department": _arrow_column(ev, "department"),
        "officers": _arrow_column(ev, "officers"),
        "event_date": _dates(ev.default_event_dates()),
        "row": pa.array(ev.column(ROW).astype(np.int64)),
        "reason": pa.array(reasons, type=pa.string()),
        "record_kind": _coded(np.zeros(n, dtype=np.int64), [ev.kind]),
    }
    if kind_cols.get("deadlines") is not None:   # deadline kinds only: penalty lines stay as they were
        cols["deadlines"] = kind_cols.pop("deadlines")
    extras = ev.records.extra_columns
    if extras:  # unknown input columns are carried through, never dropped
        cols["extra"] = pa.array(frame[extras].astype(object).where(frame[extras].notna(), None)
                                 .astype(str).where(frame[extras].notna(), None).to_dict("records"))
    fields = [pa.field(k, v.type, metadata=RAW_JSON if k == "deadlines" else None) for k, v in cols.items()]
    return pa.table(list(cols.values()), schema=pa.schema(fields))


def _codes_per_row(ev) -> pa.DictionaryArray:
    """Each row's sorted finding codes: a bit per code set by array ops, each distinct set listed once."""
    names = sorted({b.code for b in ev.findings.batches})
    bits = np.zeros(ev.n, dtype=np.uint64)
    for b in ev.findings.batches:
        bits[b.rows] |= np.uint64(1) << np.uint64(names.index(b.code))
    inverse, uniq = pd.factorize(bits)           # hashing, not sorting: most rows share a few sets
    lists = [[c for k, c in enumerate(names) if int(u) >> k & 1] for u in np.asarray(uniq).tolist()]
    return list_array(inverse, lists)


def _penalty_columns(ev) -> dict:
    ok = ev.evaluated
    tier_bits = np.where(ok & (ev.branch_key >= 0) | (ok & (ev.tiers == T.NONE)), ev.tiers, -1)
    tier_bits = np.where(ok & ev.no_provision, -1, tier_bits)
    return {
        "provision": _coded(np.where(ok, ev.provision_idx, -1), ev.provision_ids),
        "provision_version": _coded(np.where(ok, ev.branch_key, -1),
                                    [v.valid_from.isoformat() for _, v, _ in ev.table.entries]),
        "tiers": list_array(np.where(tier_bits < 0, -1, np.clip(tier_bits, 0, 31)),
                            [T.tier_names(b) for b in range(32)]),
        "lawful_fine_min": nullable(np.where(ok, ev.lawful_min, np.nan)),
        "lawful_fine_max": nullable(np.where(ok, ev.lawful_max, np.nan)),
        "deadlines": None,
    }


def _deadline_columns(ev) -> dict:
    """Kinds judged by deadlines: no provision, tiers or fine range; instead each deadline applied to the
    case with its version, due date, closing date and status (met / overdue / open), as JSON text."""
    n = ev.n
    none = pa.nulls(n, pa.string())
    return {
        "provision": none, "provision_version": none,
        "tiers": list_array(np.full(n, -1), []),
        "lawful_fine_min": pa.nulls(n, pa.float64()), "lawful_fine_max": pa.nulls(n, pa.float64()),
        "deadlines": deadline_lists(ev),
    }


def deadline_lists(ev) -> pa.StructArray:
    """Per row a JSON list of {id, code, version, due, closed, status}, as raw JSON text in pieces.

    Per rule, the JSON objects of the rows it applies to (with a leading comma where
    an earlier rule of the row already wrote one) are spread to full length by their
    offsets alone (rows ascend, so the text is already in row order; other rows get "").
    The pieces — "[", one column per rule, "]" ("null" for rejected rows) — are kept
    apart as the children of a struct: the line writer joins them straight into each
    line, so the lists are never assembled as a column of their own (at a million
    rows that copy costs as much as all the rest).  ``joined_deadlines`` assembles
    them for callers that want the text.
    """
    ok = ev.evaluated
    as_of = np.datetime64(ev.as_of, "D")
    lit = lambda t: pa.scalar(t, pa.large_string())  # noqa: E731
    pieces = [pc.if_else(pa.array(ok), lit("["), lit("null"))]
    written = np.zeros(ev.n, dtype=bool)
    for o in getattr(ev, "outcomes", []):
        rows = np.flatnonzero(o.applies & ok)
        if not len(rows):
            continue
        versions = [v.valid_from.isoformat() for v in o.rule.versions]
        entry = obj([
            ("id", constant(o.rule.id)),
            ("code", constant(o.rule.code)),
            ("version", fragment(_coded(o.version[rows], versions))),
            ("due", fragment(_dates(o.due[rows]))),
            ("closed", fragment(_dates(o.closed[rows]))),
            ("status", fragment(_coded(_STATUS_CODE[o.status_codes(as_of)[rows]], list(_STATUSES)))),
        ], len(rows))
        if written[rows].any():
            entry = pc.binary_join_element_wise(pc.if_else(pa.array(written[rows]), lit(","), lit("")), entry,
                                                lit(""))
        pieces.append(_spread_text(entry, rows, ev.n))
        written[rows] = True
    pieces.append(pc.if_else(pa.array(ok), lit("]"), lit("")))
    return pa.StructArray.from_arrays(pieces, names=[f"p{i}" for i in range(len(pieces))])


def joined_deadlines(column) -> pa.Array:
    """The ``deadlines`` pieces of ``deadline_lists`` as one JSON text per row (null for rejected rows)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_struct(column.type):
        return column
    lit = lambda t: pa.scalar(t, pa.large_string())  # noqa: E731
    text = pc.binary_join_element_wise(*[p.cast(pa.large_string()) for p in column.flatten()], lit(""))
    return pc.if_else(pc.or_(pc.equal(text, lit("null")), column.is_null()), lit(None), text)


def _spread_text(text: pa.Array, rows: np.ndarray, n: int) -> pa.Array:
    """A text array for ascending ``rows`` as a length-``n`` array ("" elsewhere), sharing its data."""
    text = text.cast(pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    lengths = np.zeros(n, dtype=np.int64)
    lengths[rows] = np.diff(offsets)
    full = np.empty(n + 1, dtype=np.int64)
    full[0] = offsets[0]
    np.cumsum(lengths, out=full[1:])
    full[1:] += offsets[0]
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(full), text.buffers()[2]])


_STATUSES = ("met", "overdue", "open")
_STATUS_CODE = np.array([-1, 0, 1, 2])   # status_codes: 0 n/a, 1 met, 2 overdue, 3 open


def rejected_frame(review) -> pd.DataFrame:
    """Rejected rows of every part, in input order: row number, case id, reason (and file, kind)."""
    frames, order = [], []
    for k, ev in enumerate(parts(review)):
        rej = ev.records.rejections
        idx = sorted(rej.reasons)
        ids = _objects(ev.frame["case_id"])
        data = {
            "row": pd.Series([int(ev.column(ROW)[i]) for i in idx], dtype="int64"),
            "case_id": pd.Series([ids[i] for i in idx], dtype=object),
            "reason": pd.Series([rej.text(i) for i in idx], dtype=object),
        }
        if getattr(ev, "sources", None) is not None:
            data["file"] = pd.Series([str(ev.sources.iat[i]) for i in idx], dtype=object)
        data["record_kind"] = pd.Series([ev.kind] * len(idx), dtype=object)
        frames.append(pd.DataFrame(data))
        pos = review.positions[k] if hasattr(review, "positions") else np.arange(ev.n)
        order.append(pos[np.asarray(idx, dtype=np.int64)])
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frames) > 1:
        out = out.iloc[np.argsort(np.concatenate(order), kind="stable")].reset_index(drop=True)
    return out


def _empty_dept() -> dict:
    return {"evaluated": 0, "rejected": 0, "findings": 0, "cases_with_findings": 0, "by_code": {}, "by_category": {}}


def _add(counter: dict, key, n: int):
    counter[key] = counter.get(key, 0) + int(n)


def summary(review, input_rows: int) -> dict:
    """Counts by code, category, severity, department and record kind; evaluated + rejected == input rows."""
    by_code: dict[str, int] = {}
    by_cat: dict[str, int] = {}
    by_sev: dict[str, int] = {}
    by_kind: dict[str, dict] = {}
    per_dept: dict[str, dict] = {}
    evaluated = rejected = with_findings = findings = 0
    for ev in parts(review):
        ok = ev.evaluated
        dept_codes, dept_names = pd.factorize(ev.frame["department"], use_na_sentinel=True)
        names = [str(d) for d in dept_names]
        if (dept_codes < 0).any():           # no department recorded
            dept_codes = np.where(dept_codes < 0, len(names), dept_codes)
            names.append("(未填)")
        for d in names:
            per_dept.setdefault(d, _empty_dept())
        for d, e, r in zip(names, np.bincount(dept_codes[ok], minlength=len(names)).tolist(),
                           np.bincount(dept_codes[~ok], minlength=len(names)).tolist()):
            per_dept[d]["evaluated"] += e
            per_dept[d]["rejected"] += r
        all_rows = []
        for b in ev.findings.batches:
            code = CODES[b.code]
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
        e, r, f = int(ok.sum()), int((~ok).sum()), ev.findings.count()
        k = by_kind.setdefault(ev.kind, {"input_rows": 0, "evaluated": 0, "rejected": 0, "findings": 0,
                                         "cases_with_findings": 0})
        k["input_rows"] += ev.n
        k["evaluated"] += e
        k["rejected"] += r
        k["findings"] += f
        k["cases_with_findings"] += int(len(rows_with))
        evaluated, rejected, findings = evaluated + e, rejected + r, findings + f
        with_findings += int(len(rows_with))
    assert evaluated + rejected == input_rows, "every input row is evaluated or rejected"
    for d in per_dept.values():
        d["by_code"] = dict(sorted(d["by_code"].items()))
    out = {
        "input_rows": input_rows,
        "evaluated": evaluated,
        "rejected": rejected,
        "cases_with_findings": with_findings,
        "findings": findings,
        "by_code": dict(sorted(by_code.items())),
        "by_category": dict(sorted(by_cat.items())),
        "by_severity": dict(sorted(by_sev.items())),
        "by_department": per_dept,
        "by_kind": by_kind,
        "as_of": parts(review)[0].as_of.isoformat(),
        "rules": str(parts(review)[0].ruleset.root),
    }
    inputs = getattr(review, "inputs", None)
    if inputs:
        out["inputs"] = inputs
    return out
