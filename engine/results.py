"""Turn evaluations into the output contract: case rows (cases.jsonl), finding lines (findings.jsonl),
rejected rows; the counts are engine.summary.

Field names here are a contract (see the README): other tools read them.
"""
from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.deadlines.output import deadline_lists, joined_deadlines
from engine.findings import CODES
from engine.io.arrowcols import coded as _coded
from engine.io.arrowcols import dates as _dates
from engine.io.arrowcols import list_array, nullable, split_lists
from engine.io.jsonfrag import constant, fragment, obj, text_of
from engine.io.readers import ROW
from engine.penalty import tiers as T


def _objects(series: pd.Series) -> np.ndarray:
    """Object array with None (never NaN/NA) for missing values: JSON null, and falsy in Python."""
    out = series.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def _values(v, n: int):
    """A per-finding numpy array → JSON fragments; anything else is one constant shared by the batch."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "M":
            return fragment(_dates(v))
        return fragment(pa.array(v, from_pandas=True))
    return constant(v)


def _arrow_column(ev, name: str, rows: np.ndarray | None = None) -> pa.Array:
    """A record column (or its ``rows``) as one Arrow array in its JSON form: numbers, ISO dates,
    booleans, code lists as dictionary-coded lists, text.

    The whole column is built once per review (the cases report reads every
    row); findings read a tenth of the rows, so their dates and code lists are
    converted alone.
    """
    cache = ev.__dict__.setdefault("_arrow", {})
    if name in cache:
        return cache[name] if rows is None else cache[name].take(pa.array(rows))
    from engine.types import FieldType
    col = ev.records.schema.by_name.get(name)
    series = ev.frame[name]
    categorical = isinstance(series.dtype, pd.CategoricalDtype)
    if rows is not None and not (series.dtype.kind == "M" or categorical):
        return _arrow_column(ev, name).take(pa.array(rows))     # text and numbers: one conversion, then takes
    if name == "officers" and ev.records.officer_lists is not None:
        arr = ev.records.officer_lists if rows is None else ev.records.officer_lists.take(pa.array(rows))
    elif series.dtype.kind == "M":
        arr = _dates(ev.column(name) if rows is None else ev.column(name)[rows])
    elif categorical:      # numpy codes, never a pandas row selection (it holds the GIL far longer)
        codes_of = ev.__dict__.setdefault("_category_codes", {})
        if name not in codes_of:         # findings ask for a column's codes once per batch layout
            codes_of[name] = (series.cat.codes.to_numpy(), series.cat.categories,
                              series.cat.categories.astype(str).tolist())
        codes, categories, texts = codes_of[name]
        codes = codes if rows is None else codes[rows]
        if col is not None and col.type == FieldType.LIST:
            arr = split_lists(codes, categories)
        else:
            arr = _coded(codes, texts)
    else:
        arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if rows is None:
        cache[name] = arr
    return arr


def _prefixed(prefix: str, messages) -> pa.Array:
    """The code's label before each message; messages built with Arrow stay in Arrow."""
    if isinstance(messages, (pa.Array, pa.ChunkedArray)):
        return pc.binary_join_element_wise(pa.scalar(prefix, pa.large_string()), messages.cast(pa.large_string()),
                                           pa.scalar("", pa.large_string()))
    return pa.array([prefix + m for m in messages], type=pa.string())


def _lines_of(ev, batches: list) -> pa.Array:
    """Batches of findings of one code and one layout (``_layout``) as JSON Lines in the findings.jsonl
    contract (order of keys included), one line with its newline per finding, in batch order.  The text
    of each line is what the batch alone gives, built with one set of Arrow calls for all of them — a library
    of two hundred provisions yields some eight hundred small batches, and per-batch calls cost more than
    the lines."""
    b0 = batches[0]
    code = CODES[b0.code]
    sizes = [len(b) for b in batches]
    n = sum(sizes)
    rows = np.concatenate([b.rows for b in batches]) if len(batches) > 1 else b0.rows
    zh, en = zip(*(b.messages() for b in batches))
    category = _merged([b.category.astype(str) if b.category is not None else code.category for b in batches],
                       sizes)
    event = _merged([b.event_date if b.event_date is not None else ev.default_event_dates()[b.rows]
                     for b in batches], sizes)
    facts = obj([(f, fragment(_arrow_column(ev, f, rows))) for f in b0.facts], n)
    return obj([
        ("case_id", fragment(_arrow_column(ev, "case_id", rows))),
        ("code", constant(b0.code)),
        ("category", category),
        ("severity", constant(code.severity)),
        ("message_zh", fragment(_prefixed(f"【{code.zh}】", _texts(zh)))),
        ("message_en", fragment(_prefixed(f"[{code.en}] ", _texts(en)))),
        ("citations", _merged([b.citations for b in batches], sizes)),
        ("facts", facts),
        ("expected", obj([(k, _merged([b.expected[k] for b in batches], sizes)) for k in b0.expected], n)),
        ("actual", obj([(k, _merged([b.actual[k] for b in batches], sizes)) for k in b0.actual], n)),
        ("department", fragment(_arrow_column(ev, "department", rows))),
        ("officers", fragment(_arrow_column(ev, "officers", rows))),
        ("event_date", event),
        ("row", fragment(pa.array(ev.column(ROW)[rows].astype(np.int64)))),
        ("record_kind", constant(ev.kind)),
        ("certainty", constant(b0.certainty)),
        ("depends_on", _merged([_DependsOn(b.depends_on) if b.depends_on is not None else [] for b in batches],
                               sizes)),
    ], n, end="}\n")


class _DependsOn:
    """Per-finding lists of fact names (``FindingBatch.depends_on``), encoded as JSON arrays of strings."""

    def __init__(self, lists: np.ndarray):
        self.lists = lists


def _kind(v):
    """What a batch's value is, for merging: arrays of one numpy kind concatenate without changing any
    value's JSON text; object arrays (lists, dicts, mixed types) would let Arrow infer another type for
    the whole, so they are never concatenated."""
    if isinstance(v, _DependsOn):
        return "depends_on"
    if isinstance(v, np.ndarray):
        return None if v.dtype.kind == "O" else ("U" if v.dtype.kind in "US" else v.dtype.kind)
    return "constant"


def _merged(values: list, sizes: list):
    """One field of several batches: a shared constant stays one JSON text; arrays of one kind are
    concatenated and encoded once; anything else is encoded batch by batch, exactly as alone."""
    kinds = {_kind(v) for v in values}
    if kinds == {"constant"}:
        texts = [constant(v) for v in values]
        if len(set(texts)) == 1:
            return texts[0]
    elif len(kinds) == 1 and None not in kinds:
        return _encoded(_concat(values) if len(values) > 1 else values[0], sum(sizes))
    elif kinds == {None}:           # object arrays: one encoding where Arrow reads every batch as one type
        arrays = [pa.array(v, from_pandas=True) for v in values]
        if len({a.type for a in arrays}) == 1:
            return fragment(pa.concat_arrays(arrays))
        return pa.concat_arrays([fragment(a).cast(pa.large_string()) for a in arrays])
    parts = [_encoded(v, k) for v, k in zip(values, sizes)]
    return pa.concat_arrays([pa.repeat(pa.scalar(p, pa.large_string()), k) if isinstance(p, str)
                             else p.cast(pa.large_string()) for p, k in zip(parts, sizes)])


def _concat(values: list):
    if isinstance(values[0], _DependsOn):
        return _DependsOn(np.concatenate([v.lists for v in values]))
    return np.concatenate(values)


def _encoded(v, n: int):
    if isinstance(v, _DependsOn):
        return fragment(pa.array(v.lists.tolist(), type=pa.list_(pa.string())))
    if isinstance(v, np.ndarray) and v.dtype.kind == "M":
        return fragment(_dates(v))
    return _values(v, n)


def _texts(messages) -> pa.Array | list:
    """Several batches' messages as one sequence (Arrow arrays stay in Arrow)."""
    if len(messages) == 1:
        return messages[0]
    if not any(isinstance(m, (pa.Array, pa.ChunkedArray)) for m in messages):
        return [t for m in messages for t in m]
    return pa.concat_arrays([m.combine_chunks().cast(pa.large_string()) if isinstance(m, pa.ChunkedArray)
                             else m.cast(pa.large_string()) if isinstance(m, pa.Array)
                             else pa.array(list(m), type=pa.large_string()) for m in messages])


def _layout(b) -> tuple:
    """Batches with the same layout can be encoded together (``_lines_of``)."""
    return (b.code, tuple(b.facts), tuple(b.expected), tuple(b.actual), b.certainty)


def parts(review) -> list:
    """The evaluations of a review: a BatchReview's parts, or one evaluation on its own."""
    return review.parts if hasattr(review, "parts") else [review]


def finding_text(review) -> pa.Buffer:
    """findings.jsonl as one buffer (see ``finding_chunks``)."""
    chunks = list(finding_chunks(review))
    return chunks[0] if len(chunks) == 1 else pa.py_buffer(b"".join(bytes(c) for c in chunks))


def finding_chunks(review, lines_per_chunk: int = 131_072):
    """findings.jsonl: every finding, in input order of its record, a record's findings in check order.

    Checks find a code at a time over the whole batch; putting the lines in
    record order (Arrow ``take``) gives a reader each case's findings
    together, and makes the file the same however the batch was cut into
    chunks for review.  The lines are taken a slice at a time, so the
    reordered text never exists twice in memory.
    """
    arrays, positions, sequence = [], [], []
    seq = 0
    for k, ev in enumerate(parts(review)):
        pos = review.positions[k] if hasattr(review, "positions") else None
        layouts: dict = {}
        for b in ev.findings.batches:
            layouts.setdefault(_layout(b), []).append((seq, b))
            seq += 1
        for members in layouts.values():
            batches = [b for _, b in members]
            arrays.append(_lines_of(ev, batches).cast(pa.large_string()))
            rows = np.concatenate([b.rows for b in batches])
            positions.append(rows if pos is None else pos[rows])
            sequence.append(np.repeat([s for s, _ in members], [len(b) for b in batches]))
    if not arrays:
        yield pa.py_buffer(b"")
        return
    # each record's findings in the order their batches came (the checks' order), as when every batch
    # was encoded alone: by position, then batch, then place in the batch (a stable sort keeps the last)
    positions, sequence = np.concatenate(positions), np.concatenate(sequence)
    order = np.argsort(sequence, kind="stable")
    order = order[np.argsort(positions[order], kind="stable")]
    lines = pa.concat_arrays(arrays)
    del arrays
    for i in range(0, len(order), lines_per_chunk):
        yield text_of(lines.take(pa.array(order[i:i + lines_per_chunk])))


def finding_rows(review) -> list[dict]:
    """Findings as Python dicts (for ``check`` and Excel): the JSON Lines, parsed back."""
    return parse_findings(finding_text(review))


def parse_findings(text) -> list[dict]:
    """findings.jsonl text as dicts, by row and then code (the order ``check`` prints and Excel lists)."""
    out = [orjson.loads(line) for line in bytes(text).splitlines()]
    out.sort(key=lambda r: (r["row"], r["code"]))
    return out


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
    joined = pa.concat_tables([_decoded(t) for t in tables])
    order = np.argsort(np.concatenate(review.positions), kind="stable")
    return joined.take(pa.array(order))


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as their plain values: parts built their own dictionaries, and this
    one-table view is for callers, not for the writer (which streams the parts)."""
    return pa.table({n: _as_type(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
                     for n, c in zip(table.column_names, table.columns)},
                    schema=pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                                      for f in table.schema]))


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
        **kind_cols.pop("open"),
        "department": _arrow_column(ev, "department"),
        "officers": _arrow_column(ev, "officers"),
        "event_date": _dates(ev.default_event_dates()),
        "row": pa.array(ev.column(ROW).astype(np.int64)),
        "reason": pa.array(reasons, type=pa.string()),
        "record_kind": _coded(np.zeros(n, dtype=np.int64), [ev.kind]),
    }
    if ev.kind == "penalty":     # what the decision itself states, for the tools that read cases.jsonl alone
        for name in ("decision_no", "party_id", "fine", "sanctions"):
            cols[name] = _arrow_column(ev, name)
    if kind_cols.get("deadlines") is not None:   # deadline kinds only: penalty lines stay as they were
        cols["deadlines"] = kind_cols.pop("deadlines")
    extras = ev.records.extra_columns
    if extras:  # unknown input columns are carried through, never dropped
        cols["extra"] = pa.StructArray.from_arrays([_extra_text(frame[c]) for c in extras],
                                                   names=[str(c) for c in extras])
    fields = [pa.field(k, v.type, metadata=RAW_JSON if k == "deadlines" else None) for k, v in cols.items()]
    return pa.table(list(cols.values()), schema=pa.schema(fields))


def _extra_text(series: pd.Series) -> pa.Array:
    """An unknown column as text, the way it was written (a JSON object or array as its JSON text)."""
    arr = pa.array(series.astype("string"), type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _codes_per_row(ev) -> pa.DictionaryArray:
    """Each row's sorted finding codes: a bit per code set by array ops, each distinct set listed once."""
    batches = [b for b in ev.findings.batches if b.certainty == "definite"]
    names = sorted({b.code for b in batches})
    bits = np.zeros(ev.n, dtype=np.uint64)
    for b in batches:
        bits[b.rows] |= np.uint64(1) << np.uint64(names.index(b.code))
    inverse, uniq = pd.factorize(bits)           # hashing, not sorting: most rows share a few sets
    lists = [[c for k, c in enumerate(names) if int(u) >> k & 1] for u in np.asarray(uniq).tolist()]
    return list_array(inverse, lists)


def _penalty_columns(ev) -> dict:
    ok = ev.evaluated
    tier_bits = np.where(ok & (ev.branch_key >= 0) | (ok & (ev.tiers == T.NONE)), ev.tiers, -1)
    if ev.partial is not None:     # judged over alternatives: the tiers of any alternative, versions agreeing or not
        tier_bits = np.where(ok & ev.partial & (ev.tiers > 0), ev.tiers, tier_bits)
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
        "open": _open_columns(ev),
    }


def _open_columns(ev) -> dict:
    """What blank facts left open (empty on complete records): possible findings, the facts that would
    decide them, and whether the lawful maximum is a multiple of an unknown amount."""
    n, ok = ev.n, ev.evaluated
    if ev.partial is None:
        empty = list_array(np.zeros(n, dtype=np.int64), [[]])
        unbounded = getattr(ev, "max_unbounded", None)    # an uncapped branch (no statutory maximum)
        return {"possible_codes": empty, "undetermined": empty,
                "lawful_fine_max_unbounded": pa.array(np.zeros(n, dtype=bool) if unbounded is None
                                                      else unbounded & ok)}
    possible = [sorted(p) if p and o else [] for p, o in zip(ev.possible_codes.tolist(), ok.tolist())]
    undetermined = [u if u and o else [] for u, o in zip(ev.undetermined.tolist(), ok.tolist())]
    return {"possible_codes": pa.array(possible, type=pa.list_(pa.string())),
            "undetermined": pa.array(undetermined, type=pa.list_(pa.string())),
            "lawful_fine_max_unbounded": pa.array(ev.max_unbounded & ok)}


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
        "open": {},
    }


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


