"""How large an expression may be.

The parser, the passes and both compilers walk the tree recursively, so an
expression nested thousands of levels deep would exhaust Python's recursion
limit (``RecursionError``, a traceback) instead of being reported.  These
limits are far above anything a rule needs (the shipped rules nest at most
three levels) and far below what Python can walk, whoever calls the
expression code and from however deep a stack; an expression beyond them is an
``ExprError`` at its position, like any other mistake.
"""
from __future__ import annotations

from engine.errors import ExprError
from engine.expr import nodes as n

# characters in one expression (200 ``or`` terms of ``goods_value > 100000`` are about 5,000)
MAX_EXPRESSION_CHARS = 10_000
# levels opened by brackets ( ) and [ ], function calls, ``not`` and unary ``-``: the parser recurses
# about ten Python frames per bracket, so 32 levels stay under 400 frames
MAX_NESTING = 32
# levels of the tree: operators applied to operators (``a + b + c + …`` is one level per ``+``,
# ``and``/``or`` over many terms is one level); the type checker recurses three frames per level
MAX_DEPTH = 100
# ``ExprError`` echoes the line it points at; longer lines are not echoed (the column still says where)
_ECHO_CHARS = 200


def _fail(reason: str, source: str, line: int, column: int):
    lines = source.splitlines()
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    raise ExprError(reason, source if len(shown) <= _ECHO_CHARS else "", line, column)


def check_length(source: str) -> None:
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExprError(f"表达式过长：{len(source):,} 个字符，上限 {MAX_EXPRESSION_CHARS:,} "
                        f"(expression too long: {len(source):,} characters, the limit is "
                        f"{MAX_EXPRESSION_CHARS:,}); 请拆分规则 split the rule")


def nesting_error(source: str, line: int, column: int):
    _fail(f"表达式嵌套过深：超过 {MAX_NESTING} 层括号、函数调用、not 或负号 (expression nested too deeply: "
          f"more than {MAX_NESTING} levels of brackets, function calls, 'not' or '-')", source, line, column)


def check_depth(tree: n.Node, source: str) -> None:
    """Raise at the first node more than ``MAX_DEPTH`` levels below the root (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            _fail(f"表达式运算层次过深：超过 {MAX_DEPTH} 层 (expression too deep: more than {MAX_DEPTH} "
                  f"levels of operators); 请拆分，或用 and/or 连接 split it, or join terms with 'and'/'or'",
                  source, node.line, node.column)
        stack.extend((child, depth + 1) for child in node.children())
