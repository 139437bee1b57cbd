"""``entities.jsonl``: one JSON object per entity, in register order, written a slice of entities at a
time and assembled column-wise (``engine.io.jsonfrag``).

Why slices: the lines of ten million entities are gigabytes of text, and every element-wise join
makes another copy; 200,000 entities at a time bound what is held at once, and the pages of one slice
are reused by the next (on the 1M-entity benchmark: 0.74 GiB and 10 s against 1.13 GiB and 14 s for
slices of a million).  Why column-wise: millions of hits cannot each become a Python dict.  Within a line, ``rules`` lists the rule instances
that fired in rule-file order and ``steps`` the class rules in order of severity.  A rule's titles are
said once, in summary.json's ``rules``, not on each of the millions of lines it may hit.
"""
from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.io import jsonfrag
from engine.targets import explain

CHUNK = 200_000
_S = pa.large_string()
_LETTERS = np.array(list("ABCD"), dtype=object)


def _citations(rule) -> list:
    return [c.as_json() for c in rule.citations]


def _rule_objects(x: explain.Explained, ent: pd.DataFrame, lo: int, hi: int) -> tuple[np.ndarray, pa.Array]:
    f = x.fired
    rule = f.rule.rule
    a, b = x.heads_in(lo, hi)
    heads = x.heads[a:b]
    outcome = {"class": rule.outcome.credit_class} if rule.outcome.credit_class else {"flag": rule.outcome.flag}
    records, more = x.records(heads, lo, hi)
    fields = [("rule", jsonfrag.constant(rule.id)), ("tag", jsonfrag.constant(rule.tag)),
              ("citations", jsonfrag.constant(_citations(rule))), ("outcome", jsonfrag.constant(outcome))]
    if f.report_year is not None:
        fields.append(("report_year", jsonfrag.constant(f.report_year)))
    fields += [("facts", x.facts(a, b, ent)), ("records", records), ("more_records", explain.fragment(more))]
    if rule.outcome.flag == "targeted":
        items = f.items.reindex(heads).fillna("*").astype(str)
        fields.append(("items", explain.fragment(pd.Series(";" + items + ";", dtype=object))))
    if rule.outcome.flag == "abnormal":
        fields += [("listed_on", explain.fragment(f.listed_on[a:b])),
                   ("removed_on", explain.fragment(f.removed_on[a:b]))]
    return heads, jsonfrag.obj(fields, len(heads))


class _Steps:
    """Class steps, worked out once for every hit: class rules in order of severity (then file order),
    each moving the running class of the entities it hit, or not when they are already as bad."""

    def __init__(self, res, params: dict):
        cur = np.full(len(res.final), "ABCD".index(str(params.get("base_class", "A"))), dtype=np.int8)
        self.parts = []
        for f in sorted((f for f in res.fired if f.rule.rule.outcome.credit_class),
                        key=lambda f: "ABCD".index(f.rule.rule.outcome.credit_class)):
            heads = np.flatnonzero(f.hit)
            to = "ABCD".index(f.rule.rule.outcome.credit_class)
            before = cur[heads]
            after = np.maximum(before, to).astype(np.int8)
            cur[heads] = after
            self.parts.append((f.rule.rule, heads, before, after))

    def objects(self, lo: int, hi: int):
        for rule, heads, before, after in self.parts:
            a, b = np.searchsorted(heads, lo), np.searchsorted(heads, hi)
            if a == b:
                continue
            bef, aft = _LETTERS[before[a:b]], _LETTERS[after[a:b]]
            worse = after[a:b] > before[a:b]
            new = rule.outcome.credit_class
            why_zh = np.where(worse, f"{rule.title_zh}：分类调整为 {new}",
                              f"{rule.title_zh}：已为 " + pd.Series(bef).to_numpy() + " 或更高风险，不变")
            why_en = np.where(worse, f"{rule.title_en}: class becomes {new}",
                              f"{rule.title_en}: already " + pd.Series(bef).to_numpy() + " or worse")
            fields = [("rule", jsonfrag.constant(rule.id)), ("from", explain.fragment(bef)),
                      ("to", explain.fragment(aft)), ("applied", explain.fragment(worse)),
                      ("why_zh", explain.fragment(why_zh.astype(object))),
                      ("why_en", explain.fragment(why_en.astype(object)))]
            yield heads[a:b], jsonfrag.obj(fields, b - a)


def _lists(lo: int, hi: int, pieces) -> pa.Array:
    """A JSON list per entity of [lo, hi) from (positions, objects) pieces, in the order given: the
    objects sorted by entity once, then cut at per-entity offsets (no copy per entity)."""
    pos, frags = [], []
    for p, f in pieces:
        if len(p):
            pos.append(p)
            frags.append(f.cast(_S))
    m = hi - lo
    if not pos:
        return pa.array(np.full(m, "[]", dtype=object), _S)
    k = np.concatenate(pos)
    f = pa.concat_arrays(frags)
    if len(pos) > 1:
        order = np.argsort(k, kind="stable")
        k, f = k[order], f.take(pa.array(order))
    offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(k - lo, minlength=m), out=offsets[1:])
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), f), pa.scalar(",", _S))
    return pc.binary_join_element_wise(pa.scalar("[", _S), joined, pa.scalar("]", _S), pa.scalar("", _S))


def _spread(codes: np.ndarray, distinct: list, lo: int, hi: int) -> pa.Array:
    """Fragments of rows [lo, hi) of a column of few distinct values: each distinct value was encoded
    once (``explain.fragment`` of the distinct values), and rows take theirs by code."""
    return distinct.take(pa.array(codes[lo:hi]))


def _class_codes(final: np.ndarray):
    """(codes, fragments) of the new classes, or None when they are not one-letter text."""
    if final.dtype != np.dtype("<U1") or not len(final):
        return None
    codes = final.view(np.uint32).astype(np.int64) - ord("A")
    if codes.min() < 0 or codes.max() > 3:
        return None
    return codes, explain.fragment(np.array(list("ABCD"), dtype=object))


def _previous_codes(col: pd.Series):
    """(codes, fragments) of the register's classes (validated A–D on reading), by an Arrow
    dictionary rather than ten million Python strings."""
    from engine.io.arrowcols import text_array
    arr = text_array(col, large=True)
    if arr.null_count or not len(arr):
        return None
    enc = pc.dictionary_encode(arr)
    distinct = enc.dictionary.to_pylist()
    if any(v.startswith(";") for v in distinct):     # code-list text: left to the slice-wise path
        return None
    return np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64), \
        explain.fragment(pd.Series(distinct, dtype=object))


def _item_codes(titems: np.ndarray):
    """(codes, fragments) of ``targeted_items``: mostly empty, a few distinct lists."""
    named = np.flatnonzero(titems != "")
    codes = np.zeros(len(titems), dtype=np.int64)
    distinct = [""]
    if len(named):
        c, u = pd.factorize(titems[named])
        codes[named] = c + 1
        distinct += list(u)
    d = pd.Series(distinct, dtype=object)
    wrapped = pd.Series(np.where(d != "", ";" + d + ";", ";"), dtype=object)
    return codes, explain.fragment(wrapped)


def entity_chunks(ent: pd.DataFrame, res, params: dict, ctx, shown: dict):
    """Yield the JSON Lines text of entities.jsonl, one buffer per slice of CHUNK entities."""
    n = len(ent)
    explained = [explain.Explained(f, ent, ctx, shown) for f in res.fired]
    steps = _Steps(res, params)
    combos = pa.array([orjson.dumps([f for b, f in ((1, "key"), (2, "targeted"), (4, "abnormal")) if c & b]).decode()
                       for c in range(8)], _S)
    base = jsonfrag.constant(str(params.get("base_class", "A")))
    # columns of few distinct values: encoded once here, spread per slice by code
    classes = _class_codes(res.final)
    previous = _previous_codes(ent["credit_class"]) if len(res.previous) == n else None
    items = _item_codes(np.asarray(res.targeted_items, dtype=object))
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        part = ent.iloc[lo:hi]
        code = (res.key[lo:hi].astype(np.int64) + 2 * res.targeted[lo:hi].astype(np.int64)
                + 4 * res.abnormal[lo:hi].astype(np.int64))
        names = part["name"] if "name" in part.columns else pd.Series([None] * (hi - lo), dtype=object)
        fields = [("entity_id", explain.fragment(part["entity_id"])), ("name", explain.fragment(names)),
                  ("class", _spread(*classes, lo, hi) if classes else
                   explain.fragment(res.final[lo:hi].astype(object))),
                  ("previous_class", _spread(*previous, lo, hi) if previous else
                   explain.fragment(pd.Series(res.previous[lo:hi], dtype=object))),
                  ("base_class", base),
                  ("steps", _lists(lo, hi, steps.objects(lo, hi))), ("flags", combos.take(pa.array(code))),
                  ("targeted_items", _spread(*items, lo, hi)),
                  ("rules", _lists(lo, hi, (_rule_objects(x, ent, lo, hi) for x in explained)))]
        yield jsonfrag.lines(fields, hi - lo)
