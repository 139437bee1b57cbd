"""Compile an expression tree to a vectorized function over a pandas DataFrame.

Column conventions (set by ``engine.records.frame``): numbers are float64 with
NaN for missing, dates datetime64 with NaT, booleans numpy bool (missing is
false), text pandas strings, and code lists one string ``;a;b;`` so membership
is a substring test.  Comparisons with a missing value are false, as in SQL:
a rule never fires on a fact the record does not have.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable

import numpy as np
import pandas as pd

from engine.expr import nodes as n
from engine.types import FieldType as T

_CMP = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
        ">": np.greater, ">=": np.greater_equal}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}


def _scalar(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return np.datetime64(value, "ns")
    return value


def _missing(value) -> np.ndarray | bool:
    if isinstance(value, pd.Series):
        return value.isna().to_numpy()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return np.isnan(value)
        if value.dtype.kind == "M":
            return np.isnat(value)
        if value.dtype.kind == "b":
            return np.zeros(len(value), dtype=bool)
        return pd.isna(value)
    return value is None


def _as_bool(value, length: int) -> np.ndarray:
    if isinstance(value, pd.Series):
        return value.to_numpy(dtype=bool, na_value=False)
    if isinstance(value, np.ndarray):
        return value.astype(bool, copy=False)
    return np.full(length, bool(value))


class PandasCompiler:
    """``compile(node)`` returns ``f(frame) -> array``; booleans come back as numpy bool arrays.

    ``related`` (an ``aggregates.AggregateContext``) is needed only by trees with aggregates."""

    def __init__(self, related=None):
        self.related = related

    def c_aggregate(self, node):
        from engine.expr.aggregates import evaluate
        ctx = self.related
        return lambda df: evaluate(node, df, ctx, compile_node)

    def compile(self, node: n.Node) -> Callable[[pd.DataFrame], object]:
        handler = getattr(self, f"{node.key}_sql", None) or getattr(self, f"c_{node.key}", None)
        if handler is None:
            raise NotImplementedError(f"pandas compiler has no rule for {node.key}")
        return handler(node)

    def c_literal(self, node: n.Literal):
        value = _scalar(node.value)
        return lambda df: value

    def c_field(self, node: n.Field):
        name, typ = node.name, node.type
        if typ in (T.NUMBER, T.DATE, T.BOOL):
            return lambda df: df[name].to_numpy()
        return lambda df: df[name]

    def c_not(self, node: n.Not):
        f = self.compile(node.operand)
        return lambda df: ~_as_bool(f(df), len(df))

    def c_neg(self, node: n.Neg):
        f = self.compile(node.operand)
        return lambda df: -f(df)

    def c_logic(self, node: n.Logic):
        fs = [self.compile(o) for o in node.operands]
        combine = np.logical_and if node.op == "and" else np.logical_or

        def run(df):
            out = _as_bool(fs[0](df), len(df))
            for f in fs[1:]:
                out = combine(out, _as_bool(f(df), len(df)))
            return out
        return run

    def c_arith(self, node: n.Arith):
        lf, rf, op = self.compile(node.left), self.compile(node.right), _ARITH[node.op]

        def run(df):
            with np.errstate(divide="ignore", invalid="ignore"):
                return op(lf(df), rf(df))
        return run

    def c_compare(self, node: n.Compare):
        lf, rf = self.compile(node.left), self.compile(node.right)
        lt, rt = node.left.type, node.right.type
        if T.NULL in (lt, rt):  # x == null / x != null
            other = lf if rt == T.NULL else rf
            want_missing = node.op == "=="
            return lambda df: (_missing(other(df)) == want_missing) & np.ones(len(df), bool)
        op = _CMP[node.op]

        def run(df):
            a, b = lf(df), rf(df)
            if isinstance(a, pd.Series) or isinstance(b, pd.Series):
                res = _as_bool(_series_cmp(node.op, a, b), len(df))
            else:
                with np.errstate(invalid="ignore"):
                    res = _as_bool(op(a, b), len(df))
            miss = _missing(a) | _missing(b)
            return res & ~miss if isinstance(miss, np.ndarray) else (res if not miss else np.zeros(len(df), bool))
        return run

    def c_in(self, node: n.In):
        needle = self.compile(node.needle)
        if isinstance(node.haystack, n.ListLiteral):
            values = [_scalar(i.value) for i in node.haystack.items]

            def run(df):
                a = needle(df)
                if isinstance(a, pd.Series):
                    res = a.isin(values).to_numpy(dtype=bool, na_value=False)
                else:
                    res = np.isin(a, values) if isinstance(a, np.ndarray) else np.full(len(df), a in values)
                return ~res & ~_missing(a) if node.negate else res
            return run
        hay = self.compile(node.haystack)
        if isinstance(node.needle, n.Literal):
            token = f";{node.needle.value};"

            def run(df):
                res = hay(df).str.contains(token, regex=False).to_numpy(dtype=bool, na_value=False)
                return ~res if node.negate else res
            return run

        def run_dynamic(df):
            codes = needle(df)
            lists = hay(df)
            res = np.array([isinstance(c, str) and isinstance(l, str) and f";{c};" in l
                            for c, l in zip(codes, lists)], dtype=bool)
            return ~res if node.negate else res
        return run_dynamic

    def c_call(self, node: n.Call):
        fs = [self.compile(a) for a in node.args]
        name = node.name
        if name == "is_null":
            return lambda df: np.asarray(_missing(fs[0](df))) & np.ones(len(df), bool)
        if name == "abs":
            return lambda df: np.abs(fs[0](df))
        if name == "has":
            import re
            sep = r"[;；、,，\s]"
            pattern = f"(?:^|{sep}){re.escape(str(node.args[1].value))}(?:$|{sep})"

            def run_has(df):
                v = fs[0](df)
                if isinstance(v, pd.Series):
                    return v.astype("string").str.contains(pattern, regex=True).to_numpy(dtype=bool, na_value=False)
                return np.full(len(df), isinstance(v, str) and re.search(pattern, v) is not None)
            return run_has
        if name in ("min", "max"):
            op = np.fmin if name == "min" else np.fmax
            return lambda df: op(fs[0](df), fs[1](df))
        if name == "coalesce":
            def run(df):
                out = None
                for f in fs:
                    v = f(df)
                    if out is None:
                        out = pd.Series(v, index=df.index) if not isinstance(v, pd.Series) else v.copy()
                    else:
                        out = out.where(~out.isna(), pd.Series(v, index=df.index) if not isinstance(v, pd.Series) else v)
                return out.to_numpy() if node.type in (T.NUMBER, T.DATE, T.BOOL) else out
            return run
        raise NotImplementedError(f"pandas compiler has no function {name}")


def _series_cmp(op: str, a, b):
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def compile_node(node: n.Node, related=None) -> Callable[[pd.DataFrame], object]:
    return PandasCompiler(related).compile(node)
