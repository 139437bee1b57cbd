"""Passes between parsing and compiling, run in order from ``PASSES``.

``check`` gives every node its type against a record schema and rejects
unknown fields, unknown functions and comparisons of different types;
``fold`` turns constant calls such as ``date('2021-09-01')`` into literals so
compilers never see them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Mapping

from engine.errors import ExprError
from engine.expr import nodes as n
from engine.types import FieldType, comparable

T = FieldType

# name -> (argument types or None for "any one type, all equal", result type or None for "same as args")
FUNCTIONS: dict[str, tuple] = {
    "date": ((T.STRING,), T.DATE),
    "is_null": ((None,), T.BOOL),
    "coalesce": (None, None),
    "min": ((T.NUMBER, T.NUMBER), T.NUMBER),
    "max": ((T.NUMBER, T.NUMBER), T.NUMBER),
    "abs": ((T.NUMBER,), T.NUMBER),
    # has(text, 'CODE'): the text, a list written with ; ； 、 , ， or spaces, holds CODE as one item
    "has": ((T.STRING, T.STRING), T.BOOL),
}


def _literal_type(value) -> FieldType:
    if value is None:
        return T.NULL
    if isinstance(value, bool):
        return T.BOOL
    if isinstance(value, (int, float, Decimal)):
        return T.NUMBER
    if isinstance(value, dt.date):
        return T.DATE
    return T.STRING


class Checker:
    def __init__(self, source: str, schema: Mapping[str, FieldType],
                 choices: Mapping[str, set] | None = None):
        self.source = source
        self.schema = schema
        self.choices = choices or {}

    def fail(self, node: n.Node, reason: str):
        raise ExprError(reason, self.source, node.line, node.column)

    def visit(self, node: n.Node) -> FieldType:
        handler = getattr(self, f"visit_{node.key}", None)
        if handler is None:  # no silent fallback: a node without a rule is a bug here
            self.fail(node, f"内部错误：{node.key} 没有类型规则 (internal: no type rule for {node.key})")
        node.type = handler(node)
        return node.type

    def visit_literal(self, node: n.Literal):
        return _literal_type(node.value)

    def visit_field(self, node: n.Field):
        if node.name not in self.schema:
            known = ", ".join(sorted(self.schema))
            self.fail(node, f"未知字段 (unknown field) '{node.name}'；可用 (known): {known}")
        return self.schema[node.name]

    def visit_listliteral(self, node: n.ListLiteral):
        """A list reaches here only outside ``in`` (``is_null([1])``), where no back end gives it a meaning."""
        self.fail(node, "列表只能用在 in 之后 (a list [...] may only follow 'in')")

    def _list(self, node: n.ListLiteral) -> FieldType:
        types = {self.visit(i) for i in node.items} - {T.NULL}
        if len(types) > 1:
            self.fail(node, "列表中的值类型不一 (a list mixes types): " + ", ".join(sorted(t.value for t in types)))
        for item in node.items:
            if not isinstance(item, n.Literal):
                self.fail(item, "列表中只能写常量值 (list items must be literal values)")
        node.item_type = types.pop() if types else T.NULL
        node.type = T.LIST
        return T.LIST

    def _expect(self, node: n.Node, want: FieldType, role: str, role_zh: str):
        got = self.visit(node)
        if got != want:
            self.fail(node, f"{role_zh}须为{want.zh}，而不是{got.zh} ({role} must be {want.value}, not {got.value})")

    def visit_not(self, node: n.Not):
        self._expect(node.operand, T.BOOL, "the operand of 'not'", "not 的操作数")
        return T.BOOL

    def visit_neg(self, node: n.Neg):
        self._expect(node.operand, T.NUMBER, "the operand of '-'", "负号的操作数")
        return T.NUMBER

    def visit_logic(self, node: n.Logic):
        for op in node.operands:
            self._expect(op, T.BOOL, f"each operand of '{node.op}'", f"'{node.op}' 的每个操作数")
        return T.BOOL

    def visit_arith(self, node: n.Arith):
        self._expect(node.left, T.NUMBER, f"the left side of '{node.op}'", f"'{node.op}' 的左边")
        self._expect(node.right, T.NUMBER, f"the right side of '{node.op}'", f"'{node.op}' 的右边")
        return T.NUMBER

    def visit_compare(self, node: n.Compare):
        lt, rt = self.visit(node.left), self.visit(node.right)
        if lt == T.LIST or rt == T.LIST:
            self.fail(node, "列表不能比较大小，请用 in (lists cannot be compared; use 'in')")
        if not comparable(lt, rt):
            self.fail(node, f"{lt.zh}不能与{rt.zh}比较 (cannot compare {lt.value} with {rt.value})")
        if node.op not in ("==", "!=") and T.BOOL in (lt, rt):
            self.fail(node, f"'{node.op}' 不能用于是/否值 ('{node.op}' does not apply to true/false values)")
        if T.NULL in (lt, rt) and node.op not in ("==", "!="):
            self.fail(node, f"'{node.op}' 与 null 比较恒为假，请用 is_null() ('{node.op}' with null is always false; use is_null())")
        self._check_choice(node.left, node.right)
        self._check_choice(node.right, node.left)
        return T.BOOL

    def _check_choice(self, field_node: n.Node, lit: n.Node):
        if isinstance(field_node, n.Field) and isinstance(lit, n.Literal):
            allowed = self.choices.get(field_node.name)
            if allowed and lit.value is not None and lit.value not in allowed:
                self.fail(lit, f"'{lit.value}' 不是 {field_node.name} 的可用值 (is not a value of {field_node.name})；"
                               f"可用 (allowed): {', '.join(sorted(map(str, allowed)))}")

    def visit_in(self, node: n.In):
        needle_t = self.visit(node.needle)
        hay_t = self._list(node.haystack) if isinstance(node.haystack, n.ListLiteral) else self.visit(node.haystack)
        if hay_t != T.LIST:
            self.fail(node.haystack, f"in 的右边须为列表，而不是{hay_t.zh} (the right side of 'in' must be a list, "
                                     f"not {hay_t.value})")
        if isinstance(node.haystack, n.ListLiteral):
            item_t = node.haystack.item_type
            if item_t != T.NULL and not comparable(needle_t, item_t):
                self.fail(node, f"不能在{item_t.zh}列表中查找{needle_t.zh} (cannot look for a {needle_t.value} in a list "
                                f"of {item_t.value})")
            for item in node.haystack.items:
                self._check_choice(node.needle, item)
        else:  # a list-typed field holds codes (strings)
            if needle_t != T.STRING:
                self.fail(node.needle, f"编码列表中是文本，而不是{needle_t.zh} (a code list holds text, not {needle_t.value})")
            self._check_choice(node.haystack, node.needle)
        return T.BOOL

    def visit_aggregate(self, node):
        from engine.expr.aggregates import check_aggregate
        return check_aggregate(self, node)

    def visit_call(self, node: n.Call):
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            self.fail(node, f"未知函数 (unknown function) '{node.name}'；可用 (known): {', '.join(sorted(FUNCTIONS))}")
        arg_types, result = spec
        got = [self.visit(a) for a in node.args]
        if node.name == "coalesce":
            if len(got) < 2:
                self.fail(node, "coalesce() 须有两个或更多参数 (coalesce() takes two or more arguments)")
            kinds = set(got) - {T.NULL}
            if len(kinds) > 1:
                self.fail(node, "coalesce() 的参数须为同一类型 (coalesce() arguments must share one type)")
            return kinds.pop() if kinds else T.NULL
        if len(got) != len(arg_types):
            self.fail(node, f"{node.name}() 须有 {len(arg_types)} 个参数，实际 {len(got)} 个 "
                            f"({node.name}() takes {len(arg_types)} argument(s), got {len(got)})")
        for want, have, arg in zip(arg_types, got, node.args):
            if want is not None and have != want:
                self.fail(arg, f"{node.name}() 的参数须为{want.zh}，而不是{have.zh} "
                               f"(argument of {node.name}() must be {want.value}, not {have.value})")
        if node.name == "has" and not isinstance(node.args[1], n.Literal):
            self.fail(node.args[1], "has() 的第二个参数须为编码常量 (has() takes a literal code as its second argument)")
        if node.name == "date":
            if not isinstance(node.args[0], n.Literal):
                self.fail(node, "date() 的参数须为 'YYYY-MM-DD' 常量 (date() takes a literal 'YYYY-MM-DD')")
            try:
                dt.date.fromisoformat(node.args[0].value)
            except ValueError:
                self.fail(node.args[0], f"不是日期 {node.args[0].value!r}，请写作 'YYYY-MM-DD' (not a date, use 'YYYY-MM-DD')")
        return result


def check(node: n.Node, schema: Mapping[str, FieldType], source: str = "",
          choices: Mapping[str, set] | None = None) -> n.Node:
    Checker(source, schema, choices).visit(node)
    return node


def fold(node: n.Node, schema=None, source: str = "", choices=None) -> n.Node:
    """Replace constant ``date('…')`` calls by date literals, bottom-up."""
    for attr in ("operand", "left", "right", "needle", "haystack", "value", "where"):
        child = getattr(node, attr, None)
        if isinstance(child, n.Node):
            setattr(node, attr, fold(child))
    for attr in ("operands", "items", "args"):
        kids = getattr(node, attr, None)
        if isinstance(kids, list):
            setattr(node, attr, [fold(k) for k in kids])
    if isinstance(node, n.Call) and node.name == "date" and isinstance(node.args[0], n.Literal):
        return n.Literal(value=dt.date.fromisoformat(node.args[0].value), line=node.line,
                         column=node.column, type=T.DATE)
    return node


PASSES = (check, fold)


def run_passes(node: n.Node, schema, source: str = "", choices=None) -> n.Node:
    for p in PASSES:
        node = p(node, schema, source, choices) or node
    return node
