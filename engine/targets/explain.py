"""What made a rule fire for each entity it hit, as JSON fragments built column-wise (jsonfrag): the
entity's own facts the condition read, each aggregate's value (labelled by its text), and the related
records each aggregate took — the triggering records — with their source rows.

Ten million entities with millions of hits cannot each become a Python dict: every piece here is an
Arrow array over the hit entities (or their records), joined element-wise; records are grouped per
entity by sorting on the entity position and cutting the sorted array at offsets.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.expr import nodes as n
from engine.expr.aggregates import record_mask
from engine.expr.compilers.pandas import compile_node
from engine.io import jsonfrag

MAX_RECORDS = 50        # records listed per rule and entity; ``more_records`` says how many more there were
_S = pa.large_string()


def span(source: str, line: int, column: int) -> str:
    """The text of the call starting at (line, column): up to its matching bracket."""
    lines = source.splitlines() or [source]
    start = sum(len(x) + 1 for x in lines[:line - 1]) + column - 1
    flat = "\n".join(lines)
    depth = 0
    for i in range(start, len(flat)):
        if flat[i] == "(":
            depth += 1
        elif flat[i] == ")":
            depth -= 1
            if depth == 0:
                return " ".join(flat[start:i + 1].split())
    return " ".join(flat[start:].split())


def aggregates(tree: n.Node) -> list[n.Aggregate]:
    return [x for x in tree.walk() if isinstance(x, n.Aggregate)]


def json_value(v):
    """One value as JSON would hold it (for the few per-listing rows built in Python)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.datetime64, pd.Timestamp)):
        return None if pd.isna(v) else str(pd.Timestamp(v).date())
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else (int(v) if float(v).is_integer() else float(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def arrow_of(values) -> pa.Array:
    """An Arrow array of column values: dates as dates, ``;a;b;`` code lists as lists, text as text."""
    if isinstance(values, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            values = values.to_numpy()
        elif hasattr(values.array, "_pa_array"):
            arr = values.array._pa_array
            arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
            return _lists_of(arr.cast(_S))
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            return _lists_of(_texts(values.to_numpy(dtype=object)))
        else:
            values = values.to_numpy()
    values = np.asarray(values)
    if values.dtype.kind == "M":
        return pa.array(values.astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
    if values.dtype.kind in "OU":
        return _lists_of(_texts(values))
    return pa.array(values, from_pandas=True)


def _texts(values: np.ndarray) -> pa.Array:
    """Text values as Arrow (missing → null) in native code; a column mixing text and other values
    (numbers from a spreadsheet) goes value by value."""
    try:
        return pa.array(values, type=_S, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                         else str(v) for v in values], _S)


def _lists_of(arr: pa.Array) -> pa.Array:
    """A column whose every value is a ``;a;b;`` code list becomes a list column (JSON arrays)."""
    if len(arr) and pc.all(pc.fill_null(pc.and_(pc.starts_with(arr, ";"), pc.ends_with(arr, ";")), True)).as_py() \
            and pc.any(pc.is_valid(arr)).as_py():
        inner = pc.utf8_replace_slice(pc.utf8_replace_slice(arr, 0, 1, ""), -1, 2 ** 30, "")
        parts = pc.split_pattern(inner, ";")
        return _drop_empty(parts)
    return arr


def _drop_empty(parts: pa.Array) -> pa.Array:
    flat = pc.list_flatten(parts)
    keep = pc.not_equal(flat, "")
    counts = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(len(parts)), np.nan_to_num(counts).astype(np.int64))
    kept = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
    new_counts = np.bincount(owner[kept], minlength=len(parts))
    offsets = np.concatenate([[0], np.cumsum(new_counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(kept)), mask=parts.is_null())


def fragment(values) -> pa.Array:
    return jsonfrag.fragment(arrow_of(values)).cast(_S)


def grouped(keys: np.ndarray, frags: pa.Array, heads: np.ndarray) -> pa.Array:
    """``[f, f, …]`` per head: ``keys`` sorted, every key one of the sorted ``heads``."""
    lo = np.searchsorted(keys, heads, side="left")
    hi = np.searchsorted(keys, heads, side="right")
    offsets = np.concatenate([lo, hi[-1:]]).astype(np.int64) if len(heads) else np.zeros(1, np.int64)
    # heads are contiguous runs of keys in order, so lo[i+1] == hi[i]
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), frags.cast(_S))
    joined = pc.binary_join(lists, pa.scalar(",", _S))
    return pc.binary_join_element_wise(pa.scalar("[", _S), joined, pa.scalar("]", _S), pa.scalar("", _S))


class Explained:
    """One fired rule instance, ready to explain any slice of entities: its hit entities, each
    aggregate's label and per-entity values, and the records each aggregate took, sorted by entity."""

    def __init__(self, fired, ent: pd.DataFrame, ctx, shown: dict):
        self.fired = fired
        self.heads = np.flatnonzero(fired.hit)
        self.aggs = []
        for node in aggregates(fired.expr.tree):
            rel = ctx.kinds[node.kind]
            values = np.asarray(compile_node(node, ctx)(ent))[self.heads]   # only where the rule fired
            rows = np.flatnonzero(record_mask(node, ctx, compile_node) & fired.hit[rel.entity])
            order = np.argsort(rel.entity[rows], kind="stable")
            rows = rows[order]
            cols = [c for c in shown.get(node.kind, []) if c in rel.frame.columns]
            # the shown columns of the taken records, gathered once in entity order: a slice of
            # entities then takes a contiguous slice of them (a gather per slice from the
            # million-row, many-chunk record columns cost seconds each time)
            taken = rel.frame[cols].iloc[rows].reset_index(drop=True) if cols else None
            self.aggs.append((node.kind, span(fired.expr.source, node.line, node.column), values, taken,
                              rows, rel.entity[rows], cols))
        # the entity fields the condition read, for the hit entities only, gathered once (see above)
        self.fact_columns = [(f, ent[f].iloc[self.heads].reset_index(drop=True)) for f in fired.fields]

    def heads_in(self, lo: int, hi: int) -> tuple[int, int]:
        """The hit entities in [lo, hi), as a slice of ``heads``."""
        return int(np.searchsorted(self.heads, lo)), int(np.searchsorted(self.heads, hi))

    def facts(self, a: int, b: int, ent: pd.DataFrame) -> pa.Array:
        parts = [(f, fragment(col.iloc[a:b])) for f, col in self.fact_columns]
        parts += [(label, fragment(values[a:b])) for _, label, values, *_ in self.aggs]
        return jsonfrag.obj(parts, b - a)

    def records(self, heads: np.ndarray, lo: int, hi: int) -> tuple[pa.Array, np.ndarray]:
        """Per head (all within [lo, hi)): the JSON list of its records (at most MAX_RECORDS), and how
        many more it had."""
        keys, frags = [], []
        for kind, _, _, taken, rows, ents, cols in self.aggs:
            a, b = np.searchsorted(ents, lo), np.searchsorted(ents, hi)
            if a == b:
                continue
            sub = taken.iloc[a:b] if taken is not None else None
            fields = [("kind", jsonfrag.constant(kind))] + [(c.strip("_"), fragment(sub[c])) for c in cols]
            keys.append(ents[a:b])
            frags.append(jsonfrag.obj(fields, b - a).cast(_S))
        if not keys:
            return pa.array(np.full(len(heads), "[]", dtype=object), _S), np.zeros(len(heads), np.int64)
        k = np.concatenate(keys)
        f = pa.concat_arrays(frags)
        if len(keys) > 1:
            order = np.argsort(k, kind="stable")
            k, f = k[order], f.take(pa.array(order))
        rank = np.arange(len(k)) - np.searchsorted(k, k, side="left")
        keep = rank < MAX_RECORDS
        counts = np.bincount(np.searchsorted(heads, k), minlength=len(heads))
        return grouped(k[keep], f.filter(pa.array(keep)), heads), np.maximum(counts - MAX_RECORDS, 0)


def items_of(expr, hit: np.ndarray, ctx, field: str | None, fixed: list) -> pd.Series:
    """The inspection items a targeted rule names per hit entity (index: entity position): its fixed
    ``items`` and the ``field`` of its triggering records; ``*`` (every item) where there are none."""
    pairs = [pd.DataFrame({"e": np.flatnonzero(hit), "item": "*"})]
    if field:
        for node in aggregates(expr.tree):
            rel = ctx.kinds[node.kind]
            if field not in rel.frame.columns:
                continue
            rows = np.flatnonzero(record_mask(node, ctx, compile_node) & hit[rel.entity])
            vals = rel.frame[field].iloc[rows].astype("string").str.strip()
            ok = vals.notna().to_numpy() & (vals.fillna("") != "").to_numpy()
            pairs.append(pd.DataFrame({"e": rel.entity[rows][ok], "item": vals.to_numpy()[ok].astype(object)}))
    for it in fixed:
        pairs.append(pd.DataFrame({"e": np.flatnonzero(hit), "item": it}))
    df = pd.concat(pairs, ignore_index=True).drop_duplicates()
    named = df[df["item"] != "*"]
    out = pd.Series("*", index=np.flatnonzero(hit), dtype=object)
    if len(named):
        e, joined = join_per_entity(named["e"].to_numpy(), named["item"].to_numpy(dtype=object))
        out.loc[e] = joined
    return out


def join_per_entity(ents: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per entity, its distinct items sorted and joined with ';' (Arrow group-by, no Python per group)."""
    t = pa.table({"e": pa.array(ents, pa.int64()), "item": _texts(items)})
    t = t.group_by(["e", "item"]).aggregate([]).sort_by([("e", "ascending"), ("item", "ascending")])
    g = t.group_by("e", use_threads=False).aggregate([("item", "list")])
    return g["e"].to_numpy(), np.asarray(pc.binary_join(g["item_list"], pa.scalar(";", _S)).to_numpy(zero_copy_only=False),
                                         dtype=object)
