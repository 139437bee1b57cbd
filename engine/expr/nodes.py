"""Expression tree nodes.

One tree, many back ends (the sqlglot pattern): the parser builds these, the
type checker annotates them, and each compiler (``compilers/pandas.py`` for
columns, ``compilers/python.py`` for one record) walks the same tree.  Nodes
hold no behaviour beyond their children and their source position.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.types import FieldType


@dataclass(eq=False)
class Node:
    line: int = field(default=1, kw_only=True)
    column: int = field(default=1, kw_only=True)
    type: FieldType | None = field(default=None, kw_only=True)

    @property
    def key(self) -> str:
        return type(self).__name__.lower()

    def children(self) -> list["Node"]:
        return []

    def walk(self):
        """Every node, parent before children, left to right; a loop, not nested generators, so
        no tree depth reaches Python's recursion limit."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))


@dataclass(eq=False)
class Literal(Node):
    value: Any = None


@dataclass(eq=False)
class ListLiteral(Node):
    items: list[Node] = field(default_factory=list)

    def children(self):
        return list(self.items)


@dataclass(eq=False)
class Field(Node):
    name: str = ""


@dataclass(eq=False)
class Not(Node):
    operand: Node = None

    def children(self):
        return [self.operand]


@dataclass(eq=False)
class Neg(Node):
    operand: Node = None

    def children(self):
        return [self.operand]


@dataclass(eq=False)
class Logic(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str = "and"
    operands: list[Node] = field(default_factory=list)

    def children(self):
        return list(self.operands)


@dataclass(eq=False)
class Compare(Node):
    op: str = "=="          # one of == != < <= > >=
    left: Node = None
    right: Node = None

    def children(self):
        return [self.left, self.right]


@dataclass(eq=False)
class Arith(Node):
    op: str = "+"           # one of + - * /
    left: Node = None
    right: Node = None

    def children(self):
        return [self.left, self.right]


@dataclass(eq=False)
class In(Node):
    """``needle in haystack``: haystack is a list literal, or a list-typed field (membership of a code)."""

    needle: Node = None
    haystack: Node = None
    negate: bool = False

    def children(self):
        return [self.needle, self.haystack]


@dataclass(eq=False)
class Call(Node):
    name: str = ""
    args: list[Node] = field(default_factory=list)

    def children(self):
        return list(self.args)


def fields_used(node: Node) -> list[str]:
    """Field names an expression reads, in first-use order (for explanations and lint)."""
    seen: dict[str, None] = {}
    stack = [node]
    while stack:      # an aggregate's inner fields belong to its related records, not to this record
        n = stack.pop()
        if isinstance(n, Field):
            seen.setdefault(n.name, None)
        if not isinstance(n, Aggregate):
            stack.extend(reversed(n.children()))
    return list(seen)


def literals_compared(node: Node) -> dict[str, set]:
    """For each field, the literal values it is compared with (lint enumerates around them)."""
    out: dict[str, set] = {}
    for n in node.walk():
        if isinstance(n, Compare):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if isinstance(a, Field) and isinstance(b, Literal):
                    out.setdefault(a.name, set()).add(b.value)
        elif isinstance(n, In):
            if isinstance(n.needle, Field) and isinstance(n.haystack, ListLiteral):
                out.setdefault(n.needle.name, set()).update(
                    i.value for i in n.haystack.items if isinstance(i, Literal))
            if isinstance(n.haystack, Field) and isinstance(n.needle, Literal):
                out.setdefault(n.haystack.name, set()).add(n.needle.value)
        elif isinstance(n, Field) and n.type == FieldType.BOOL:
            out.setdefault(n.name, set()).update({True, False})
    return out


@dataclass(eq=False)
class Aggregate(Node):
    """``count(kind, where, window)`` and kin over an entity's related records (engine.expr.aggregates).

    ``value`` and ``where`` are typed against the related kind's own fields (``kind_schema``), not the
    entity's: the aggregate is the bridge between the two, and nothing else crosses it."""

    func: str = "count"                 # count | exists | sum | max | min
    kind: str = ""
    value: Node | None = None           # sum / max / min: what is aggregated
    where: Node | None = None           # which records count
    window: tuple | None = None         # (n, "days" | "months" | "years") ending at as-of
    kind_schema: dict = field(default_factory=dict)

    def children(self):
        return [c for c in (self.value, self.where) if c is not None]
