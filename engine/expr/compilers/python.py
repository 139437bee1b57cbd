"""Compile an expression tree to a function over one record (a dict).

Used where records arrive one at a time (the live monitor, single checks,
lint's witness search) and as the record-by-record baseline the batch path is
benchmarked against.  Semantics match the pandas back end: a comparison with a
missing value is false.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable

from engine.expr import nodes as n

_CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b if b else None}


def _norm(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _apply(op, value):
    """``op(value)``, missing stays missing; the operand is evaluated once (evaluating it twice,
    once to test for missing, doubles the work at every level: 2**depth calls)."""
    return None if value is None else op(value)


class PythonCompiler:
    def compile(self, node: n.Node) -> Callable[[dict], object]:
        handler = getattr(self, f"c_{node.key}", None)
        if handler is None:
            raise NotImplementedError(f"python compiler has no rule for {node.key}")
        return handler(node)

    def c_literal(self, node):
        value = _norm(node.value)
        return lambda r: value

    def c_field(self, node):
        name = node.name
        return lambda r: _norm(r.get(name))

    def c_not(self, node):
        f = self.compile(node.operand)
        return lambda r: not f(r)

    def c_neg(self, node):
        f = self.compile(node.operand)
        return lambda r: _apply(lambda v: -v, f(r))

    def c_logic(self, node):
        fs = [self.compile(o) for o in node.operands]
        if node.op == "and":
            return lambda r: all(bool(f(r)) for f in fs)
        return lambda r: any(bool(f(r)) for f in fs)

    def c_arith(self, node):
        lf, rf, op = self.compile(node.left), self.compile(node.right), _ARITH[node.op]

        def run(r):
            a, b = lf(r), rf(r)
            return None if a is None or b is None else op(a, b)
        return run

    def c_compare(self, node):
        lf, rf, op = self.compile(node.left), self.compile(node.right), _CMP[node.op]
        if isinstance(node.right, n.Literal) and node.right.value is None:
            return (lambda r: lf(r) is None) if node.op == "==" else (lambda r: lf(r) is not None)
        if isinstance(node.left, n.Literal) and node.left.value is None:
            return (lambda r: rf(r) is None) if node.op == "==" else (lambda r: rf(r) is not None)

        def run(r):
            a, b = lf(r), rf(r)
            return False if a is None or b is None else bool(op(a, b))
        return run

    def c_in(self, node):
        needle = self.compile(node.needle)
        if isinstance(node.haystack, n.ListLiteral):
            values = {_norm(i.value) for i in node.haystack.items}

            def run(r):
                v = needle(r)
                if v is None:
                    return False
                return (v not in values) if node.negate else (v in values)
            return run
        hay = self.compile(node.haystack)

        def run_list(r):
            v, codes = needle(r), hay(r) or ()
            if isinstance(codes, str):
                codes = [c for c in codes.split(";") if c]
            found = v in codes
            return not found if node.negate else found
        return run_list

    def c_call(self, node):
        fs = [self.compile(a) for a in node.args]
        name = node.name
        if name == "is_null":
            return lambda r: fs[0](r) is None
        if name == "abs":
            return lambda r: _apply(abs, fs[0](r))
        if name in ("min", "max"):
            pick = min if name == "min" else max

            def run(r):
                vals = [v for v in (fs[0](r), fs[1](r)) if v is not None]
                return pick(vals) if vals else None
            return run
        if name == "coalesce":
            def run(r):
                for f in fs:
                    v = f(r)
                    if v is not None:
                        return v
                return None
            return run
        if name == "date":
            value = dt.date.fromisoformat(node.args[0].value)
            return lambda r: value
        if name == "has":
            import re
            code = str(node.args[1].value)

            def run_has(r):
                v = fs[0](r)
                return isinstance(v, str) and code in re.split(r"[;；、,，\s]+", v)
            return run_has
        raise NotImplementedError(f"python compiler has no function {name}")


def compile_node(node: n.Node) -> Callable[[dict], object]:
    return PythonCompiler().compile(node)
