"""The safe rule expression language: parse → check/fold → compile (pandas or python).

    >>> e = Expression.compile("goods_value >= 10000 and not serious",
    ...                        {"goods_value": FieldType.NUMBER, "serious": FieldType.BOOL})
    >>> e.evaluate_record({"goods_value": 10000, "serious": False})
    True

Nothing is ever handed to ``eval``: text becomes a tree of whitelisted nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from engine.expr import nodes
from engine.expr.compilers import pandas as pandas_compiler
from engine.expr.compilers import python as python_compiler
from engine.expr.parser import parse
from engine.expr.passes import run_passes
from engine.types import FieldType

__all__ = ["Expression", "parse", "FieldType", "compile_filter"]


@dataclass
class Expression:
    source: str
    tree: nodes.Node
    fields: list[str]
    _vec: Callable | None = field(default=None, repr=False)
    _row: Callable | None = field(default=None, repr=False)

    @classmethod
    def compile(cls, source: str, schema: Mapping[str, FieldType],
                choices: Mapping[str, set] | None = None,
                expect: FieldType | None = FieldType.BOOL, *,
                related: Mapping[str, Mapping[str, FieldType]] | None = None,
                constants: Mapping[str, object] | None = None) -> "Expression":
        """``related`` (kind → its fields) enables aggregates over related records; ``constants`` (name →
        value) are named parameters read as literals.  Without them nothing changes."""
        tree = parse(source)
        if related or constants:
            from engine.expr.aggregates import resolve
            tree = resolve(tree, schema, source, related or {}, constants or {})
        tree = run_passes(tree, schema, source, choices)
        if expect is not None and tree.type != expect:
            from engine.errors import ExprError
            raise ExprError(f"the expression must give {expect.value}, it gives {tree.type.value}",
                            source, tree.line, tree.column)
        return cls(source, tree, nodes.fields_used(tree))

    @property
    def type(self) -> FieldType:
        return self.tree.type

    def evaluate(self, frame, related=None):
        """Vectorized: one value per row of ``frame`` (numpy bool array for conditions).  ``related``: an
        ``aggregates.AggregateContext`` whose records are aligned with ``frame``'s rows."""
        if related is not None:
            vec = pandas_compiler.compile_node(self.tree, related)
        else:
            if self._vec is None:
                self._vec = pandas_compiler.compile_node(self.tree)
            vec = self._vec
        import numpy as np
        out = vec(frame)
        if self.tree.type == FieldType.BOOL and not hasattr(out, "__len__"):
            out = np.full(len(frame), bool(out))
        return out

    def evaluate_record(self, record: Mapping):
        if self._row is None:
            self._row = python_compiler.compile_node(self.tree)
        return self._row(record)

    def __str__(self) -> str:
        return self.source


def compile_filter(source: str, schema: Mapping[str, FieldType],
                   choices: Mapping[str, set] | None = None) -> Expression:
    """A boolean condition over records (rule branches, draw eligibility filters)."""
    return Expression.compile(source, schema, choices, expect=FieldType.BOOL)
