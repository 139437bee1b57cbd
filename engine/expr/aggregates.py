"""Aggregates of related records (``count(penalties, fine >= 100000, years(2))``), resolved before type
checking and evaluated column-wise.

Why a separate pass: ``count(...)`` reads like a call, but its first argument names a kind of related
record (penalties, complaints ...) rather than a value, and its condition is about those records'
fields.  Resolving that here, only when a caller supplies related kinds, leaves every existing
expression exactly as it was (``max(a, b)`` over two numbers is still the two-argument function).

Forms (``where`` and ``window`` optional, in this order; a window may stand in the ``where`` place):

    count(KIND[, where][, window])     exists(KIND[, where][, window])
    sum(KIND, value[, where][, window])  max(KIND, value[, where][, window])  min(KIND, value[, ...])
    window := days(N) | months(N) | years(N)

A window of N units ending at as-of holds the records dated from as-of minus N units (the
corresponding day, or the month's last day where there is none) up to as-of, both ends included;
without a window, every record dated up to as-of.  A record dated after as-of, or with no date, is in
no window.  Evaluation groups the related records by entity position (``numpy.bincount`` / pandas
group-by): there is no loop over entities.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

import numpy as np
import pandas as pd

from engine.errors import ExprError
from engine.expr import nodes as n
from engine.types import FieldType as T

AGGREGATES = ("count", "exists", "sum", "max", "min")
WINDOW_UNITS = {"days": "days", "months": "months", "years": "years",
                "天": "days", "日": "days", "个月": "months", "月": "months", "年": "years"}
MAX_WINDOW = {"days": 36_500, "months": 1_200, "years": 100}


@dataclass
class Related:
    """One kind of related record, ready to aggregate: its frame, each row's entity position (into the
    entity frame being evaluated) and each row's date (datetime64[D], NaT when unknown)."""
    frame: pd.DataFrame
    entity: np.ndarray
    dates: np.ndarray


@dataclass
class AggregateContext:
    kinds: Mapping[str, Related]
    as_of: dt.date


def _literal(value, like: n.Node) -> n.Node:
    if isinstance(value, (list, tuple)):
        return n.ListLiteral(items=[_literal(v, like) for v in value], line=like.line, column=like.column)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = Decimal(str(value))
    return n.Literal(value=value, line=like.line, column=like.column)


class _Resolver:
    def __init__(self, source, schema, related, constants):
        self.source = source
        self.schema = schema
        self.related = related
        self.constants = constants

    def fail(self, node, reason):
        raise ExprError(reason, self.source, node.line, node.column)

    def visit(self, node: n.Node, schema, inside: bool) -> n.Node:
        if isinstance(node, n.Field) and node.name not in schema and node.name in self.constants:
            return _literal(self.constants[node.name], node)
        if isinstance(node, n.Call) and node.name in AGGREGATES and node.args \
                and isinstance(node.args[0], n.Field) and node.args[0].name in self.related \
                and node.args[0].name not in schema:
            if inside:
                self.fail(node, "聚合中不能再嵌套聚合 (an aggregate cannot contain another aggregate)")
            return self.aggregate(node)
        for attr in ("operand", "left", "right", "needle", "haystack"):
            child = getattr(node, attr, None)
            if isinstance(child, n.Node):
                setattr(node, attr, self.visit(child, schema, inside))
        for attr in ("operands", "items", "args"):
            kids = getattr(node, attr, None)
            if isinstance(kids, list):
                setattr(node, attr, [self.visit(k, schema, inside) for k in kids])
        return node

    def window(self, node: n.Node):
        if not (isinstance(node, n.Call) and node.name in WINDOW_UNITS):
            return None
        unit = WINDOW_UNITS[node.name]
        arg = self.visit(node.args[0], {}, True) if len(node.args) == 1 else None
        if not isinstance(arg, n.Literal) or not isinstance(arg.value, Decimal) \
                or arg.value != arg.value.to_integral_value() or not 0 <= arg.value <= MAX_WINDOW[unit]:
            self.fail(node, f"期间应为 {node.name}(N)，N 为 0 至 {MAX_WINDOW[unit]} 的整数 "
                            f"(a window is {node.name}(N) with N a whole number from 0 to {MAX_WINDOW[unit]})")
        return int(arg.value), unit

    def aggregate(self, node: n.Call) -> n.Aggregate:
        kind = node.args[0].name
        kind_schema = self.related[kind]
        rest = list(node.args[1:])
        win = self.window(rest[-1]) if rest else None
        if win is not None:
            rest = rest[:-1]
        value = None
        if node.name in ("sum", "max", "min"):
            if not rest:
                self.fail(node, f"{node.name}({kind}, 值, 条件, 期间)：缺少要汇总的值 (missing the value to "
                                f"aggregate: {node.name}({kind}, value[, where][, window]))")
            value = self.visit(rest.pop(0), kind_schema, True)
        if len(rest) > 1:
            self.fail(rest[1], f"{node.name}() 的参数过多 (too many arguments: {node.name}({kind}"
                               f"{', value' if value is not None else ''}[, where][, window]))")
        where = self.visit(rest[0], kind_schema, True) if rest else None
        for part in (value, where):
            if part is not None and any(isinstance(x, n.Call) and x.name in WINDOW_UNITS for x in part.walk()):
                self.fail(part, "期间须作为最后一个参数 (the window must be the last argument)")
        return n.Aggregate(func=node.name, kind=kind, value=value, where=where, window=win,
                           kind_schema=dict(kind_schema), line=node.line, column=node.column)


def resolve(tree: n.Node, schema: Mapping, source: str, related: Mapping[str, Mapping],
            constants: Mapping) -> n.Node:
    """Constants (named parameters) become literals; aggregate calls become ``Aggregate`` nodes."""
    return _Resolver(source, schema, related or {}, constants or {}).visit(tree, schema, False)


def check_aggregate(checker, node: n.Aggregate) -> T:
    """Type rule (called by passes.Checker): ``where`` is a condition and ``value`` a number or date,
    both over the related kind's fields."""
    sub = type(checker)(checker.source, node.kind_schema)
    if node.where is not None and sub.visit(node.where) != T.BOOL:
        checker.fail(node.where, f"{node.func}() 的条件须为是/否 (the condition of {node.func}() must be true/false, "
                                 f"not {node.where.type.value})")
    if node.value is not None:
        vt = sub.visit(node.value)
        allowed = (T.NUMBER,) if node.func == "sum" else (T.NUMBER, T.DATE)
        if vt not in allowed:
            checker.fail(node.value, f"{node.func}() 汇总的值须为{'数值' if node.func == 'sum' else '数值或日期'} "
                                     f"(the value of {node.func}() must be "
                                     f"{' or '.join(a.value for a in allowed)}, not {vt.value})")
        return vt
    return T.BOOL if node.func == "exists" else T.NUMBER


def window_start(as_of: dt.date, window) -> np.datetime64 | None:
    if window is None:
        return None
    count, unit = window
    start = pd.Timestamp(as_of) - pd.DateOffset(**{unit: count})
    return np.datetime64(start.date(), "D")


def record_mask(node: n.Aggregate, ctx: AggregateContext, compile_node) -> np.ndarray:
    """Which related records of ``node.kind`` the aggregate takes: dated in its window and meeting its
    condition (also what an explanation lists as the records that triggered a rule)."""
    if ctx is None or node.kind not in ctx.kinds:
        raise ExprError(f"没有提供关联记录 {node.kind} (no related records of kind {node.kind} were given)")
    rel = ctx.kinds[node.kind]
    end = np.datetime64(ctx.as_of, "D")
    mask = ~np.isnat(rel.dates) & (rel.dates <= end)
    start = window_start(ctx.as_of, node.window)
    if start is not None:
        mask &= rel.dates >= start
    if node.where is not None:
        w = compile_node(node.where)(rel.frame)
        mask &= (np.asarray(w, dtype=bool) if isinstance(w, np.ndarray) else
                 (w.to_numpy(dtype=bool, na_value=False) if isinstance(w, pd.Series)
                  else np.full(len(rel.frame), bool(w))))
    return mask


def evaluate(node: n.Aggregate, df: pd.DataFrame, ctx: AggregateContext, compile_node) -> np.ndarray:
    """One value per entity row of ``df``: the related records grouped by entity position."""
    mask = record_mask(node, ctx, compile_node)
    rel = ctx.kinds[node.kind]
    size = len(df)
    ent = rel.entity[mask]
    if node.func in ("count", "exists"):
        counts = np.bincount(ent, minlength=size)[:size]
        return counts > 0 if node.func == "exists" else counts.astype("float64")
    vals = compile_node(node.value)(rel.frame)
    vals = np.asarray(vals)[mask] if not isinstance(vals, pd.Series) else vals.to_numpy()[mask]
    is_date = node.value.type == T.DATE
    if is_date:
        v = vals.astype("datetime64[ns]").view("int64")
        known = v != np.iinfo(np.int64).min
    else:
        v = vals.astype("float64")
        known = ~np.isnan(v)
    ent, v = ent[known], v[known]
    if node.func == "sum":
        return np.bincount(ent, weights=v, minlength=size)[:size].astype("float64")
    grouped = pd.Series(v).groupby(ent)
    best = grouped.max() if node.func == "max" else grouped.min()
    if is_date:
        out = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
        out[best.index.to_numpy()] = best.to_numpy()
        return out.view("datetime64[ns]")
    out = np.full(size, np.nan)
    out[best.index.to_numpy()] = best.to_numpy()
    return out
