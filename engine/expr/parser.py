"""Recursive-descent parser: one ``_parse_<level>`` per precedence level.

    disjunction  := conjunction (OR conjunction)*
    conjunction  := negation (AND negation)*
    negation     := NOT negation | comparison
    comparison   := additive ((== != < <= > >=) additive | [NOT] IN additive)?
    additive     := term ((+ -) term)*
    term         := unary ((* /) unary)*
    unary        := - unary | primary
    primary      := NUMBER | STRING | TRUE | FALSE | NULL | IDENT | IDENT '(' args ')'
                  | '[' items ']' | '(' disjunction ')'

Only whitelisted function names exist (``FUNCTIONS`` in passes.py); there is
no attribute access, indexing or evaluation of host-language code.  Size is
bounded (``limits.py``): length before tokenizing, nesting while parsing (the
parser recurses per bracket, ``not`` and ``-``), tree depth after.
"""
from __future__ import annotations

from engine.errors import ExprError
from engine.expr import nodes as n
from engine.expr.limits import MAX_NESTING, check_depth, check_length, nesting_error
from engine.expr.tokens import Token, tokenize

COMPARE_OPS = {"EQ": "==", "NE": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


class Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0     # levels opened by brackets, calls, not and unary minus (see limits.MAX_NESTING)

    # -- helpers ---------------------------------------------------------
    @property
    def cur(self) -> Token:
        return self.tokens[self.i]

    def _advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _match(self, *kinds: str) -> Token | None:
        if self.cur.kind in kinds:
            return self._advance()
        return None

    def _expect(self, kind: str, what: str) -> Token:
        if self.cur.kind != kind:
            self._fail(f"expected {what}, found {self._describe(self.cur)}")
        return self._advance()

    def _fail(self, reason: str, tok: Token | None = None):
        tok = tok or self.cur
        raise ExprError(reason, self.source, tok.line, tok.column)

    def _enter(self, tok: Token):
        self.depth += 1
        if self.depth > MAX_NESTING:
            nesting_error(self.source, tok.line, tok.column)

    def _leave(self):
        self.depth -= 1

    @staticmethod
    def _describe(tok: Token) -> str:
        return "end of expression" if tok.kind == "EOF" else repr(tok.text)

    @staticmethod
    def _pos(tok: Token) -> dict:
        return {"line": tok.line, "column": tok.column}

    # -- grammar ---------------------------------------------------------
    def parse(self) -> n.Node:
        if self.cur.kind == "EOF":
            self._fail("empty expression")
        node = self._parse_disjunction()
        if self.cur.kind != "EOF":
            self._fail(f"unexpected {self._describe(self.cur)}")
        return node

    def _parse_logic(self, kind: str, op: str, sub):
        first_tok = self.cur
        operands = [sub()]
        while self._match(kind):
            operands.append(sub())
        if len(operands) == 1:
            return operands[0]
        return n.Logic(op=op, operands=operands, **self._pos(first_tok))

    def _parse_disjunction(self):
        return self._parse_logic("OR", "or", self._parse_conjunction)

    def _parse_conjunction(self):
        return self._parse_logic("AND", "and", self._parse_negation)

    def _parse_negation(self):
        tok = self._match("NOT")
        if tok:
            self._enter(tok)
            operand = self._parse_negation()
            self._leave()
            return n.Not(operand=operand, **self._pos(tok))
        return self._parse_comparison()

    def _parse_comparison(self):
        left = self._parse_additive()
        tok = self.cur
        if tok.kind in COMPARE_OPS:
            self._advance()
            right = self._parse_additive()
            if self.cur.kind in COMPARE_OPS:
                self._fail("chained comparisons are not allowed; join them with 'and'")
            return n.Compare(op=COMPARE_OPS[tok.kind], left=left, right=right, **self._pos(tok))
        if tok.kind == "IN" or (tok.kind == "NOT" and self.tokens[self.i + 1].kind == "IN"):
            negate = bool(self._match("NOT"))
            self._expect("IN", "'in'")
            right = self._parse_additive()
            return n.In(needle=left, haystack=right, negate=negate, **self._pos(tok))
        return left

    def _parse_binary(self, ops: dict, sub):
        left = sub()
        while self.cur.kind in ops:
            tok = self._advance()
            left = n.Arith(op=ops[tok.kind], left=left, right=sub(), **self._pos(tok))
        return left

    def _parse_additive(self):
        return self._parse_binary({"PLUS": "+", "MINUS": "-"}, self._parse_term)

    def _parse_term(self):
        return self._parse_binary({"STAR": "*", "SLASH": "/"}, self._parse_unary)

    def _parse_unary(self):
        tok = self._match("MINUS")
        if tok:
            self._enter(tok)
            operand = self._parse_unary()
            self._leave()
            return n.Neg(operand=operand, **self._pos(tok))
        return self._parse_primary()

    def _parse_primary(self):
        tok = self.cur
        pos = self._pos(tok)
        if self._match("NUMBER"):
            return n.Literal(value=tok.value, **pos)
        if self._match("STRING"):
            return n.Literal(value=tok.value, **pos)
        if self._match("TRUE"):
            return n.Literal(value=True, **pos)
        if self._match("FALSE"):
            return n.Literal(value=False, **pos)
        if self._match("NULL"):
            return n.Literal(value=None, **pos)
        if self._match("IDENT"):
            if self.cur.kind == "LPAREN":
                return n.Call(name=tok.text, args=self._parse_items("LPAREN", "RPAREN", "')'"), **pos)
            return n.Field(name=tok.text, **pos)
        if self.cur.kind == "LBRACKET":
            return n.ListLiteral(items=self._parse_items("LBRACKET", "RBRACKET", "']'"), **pos)
        if self.cur.kind == "LPAREN":
            self._enter(self._advance())
            inner = self._parse_disjunction()
            self._expect("RPAREN", "')'")
            self._leave()
            return inner
        self._fail(f"expected a value, found {self._describe(tok)}")

    def _parse_items(self, open_kind: str, close_kind: str, close_text: str) -> list:
        """Comma-separated expressions between brackets (call arguments, list items): one nesting level."""
        self._enter(self._expect(open_kind, "a bracket"))
        items = []
        if self.cur.kind != close_kind:
            items.append(self._parse_disjunction())
            while self._match("COMMA"):
                items.append(self._parse_disjunction())
        self._expect(close_kind, close_text)
        self._leave()
        return items


def parse(source: str) -> n.Node:
    """Parse expression text into a tree; raises ExprError with line and column."""
    if not isinstance(source, str):
        raise ExprError(f"an expression must be text, got {type(source).__name__}")
    check_length(source)
    tree = Parser(source).parse()
    check_depth(tree, source)
    return tree
