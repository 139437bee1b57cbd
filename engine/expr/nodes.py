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
    for n in node.walk():
        if isinstance(n, Field):
            seen.setdefault(n.name, None)
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
