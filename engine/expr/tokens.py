"""Tokenizer for the rule expression language.

Lexemes map through the ``KEYWORDS`` table (English and Chinese spellings), so
the set of words the language knows is written down in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from engine.errors import ExprError

KEYWORDS = {
    "and": "AND", "且": "AND", "并且": "AND",
    "or": "OR", "或": "OR", "或者": "OR",
    "not": "NOT", "非": "NOT",
    "in": "IN",
    "true": "TRUE", "是": "TRUE",
    "false": "FALSE", "否": "FALSE",
    "null": "NULL",
}

SYMBOLS = {
    "==": "EQ", "!=": "NE", "<=": "LE", ">=": "GE", "<": "LT", ">": "GT",
    "=": "EQ",  # a lone "=" reads as equality: rule authors are lawyers, not C programmers
    "+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH",
    "(": "LPAREN", ")": "RPAREN", "[": "LBRACKET", "]": "RBRACKET", ",": "COMMA",
    "&&": "AND", "||": "OR", "!": "NOT",
}


# What ``str.splitlines`` breaks lines at: lines are counted the same way ``ExprError`` shows them
# (``\r\n`` is one break), so a position always names a line of the source.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


@dataclass
class Token:
    kind: str
    text: str
    value: object
    line: int
    column: int


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_ident_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, line, col = 0, 1, 1
    n = len(source)
    while i < n:
        ch = source[i]
        if ch in LINE_BREAKS:
            i += 2 if source.startswith("\r\n", i) else 1
            line, col = line + 1, 1
            continue
        if ch.isspace():
            i, col = i + 1, col + 1
            continue
        start_line, start_col = line, col
        if ch in "'\"":
            quote = ch
            j = i + 1
            buf = []
            while j < n and source[j] != quote:
                if source[j] == "\\" and j + 1 < n and source[j + 1] not in LINE_BREAKS:
                    buf.append(source[j + 1])
                    j += 2
                    continue
                if source[j] in LINE_BREAKS:
                    raise ExprError("unterminated string", source, start_line, start_col)
                buf.append(source[j])
                j += 1
            if j >= n:
                raise ExprError("unterminated string", source, start_line, start_col)
            text = source[i:j + 1]
            tokens.append(Token("STRING", text, "".join(buf), start_line, start_col))
            col += j + 1 - i
            i = j + 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            j = i
            while j < n and (source[j].isdigit() or source[j] in "._"):
                j += 1
            text = source[i:j]
            try:
                value = Decimal(text.replace("_", ""))
            except InvalidOperation:
                raise ExprError(f"bad number {text!r}", source, start_line, start_col) from None
            tokens.append(Token("NUMBER", text, value, start_line, start_col))
            col += j - i
            i = j
            continue
        if _is_ident_start(ch):
            j = i
            while j < n and _is_ident_char(source[j]):
                j += 1
            text = source[i:j]
            kind = KEYWORDS.get(text.lower() if text.isascii() else text, "IDENT")
            tokens.append(Token(kind, text, text, start_line, start_col))
            col += j - i
            i = j
            continue
        two = source[i:i + 2]
        if two in SYMBOLS:
            tokens.append(Token(SYMBOLS[two], two, two, start_line, start_col))
            i, col = i + 2, col + 2
            continue
        if ch in SYMBOLS:
            tokens.append(Token(SYMBOLS[ch], ch, ch, start_line, start_col))
            i, col = i + 1, col + 1
            continue
        raise ExprError(f"unexpected character {ch!r}", source, start_line, start_col)
    tokens.append(_end(tokens))
    return tokens


def _end(tokens: list[Token]) -> Token:
    """End of expression, placed just after the last token: trailing blank lines (a YAML block
    scalar ends with one) would otherwise put it on a line the source does not show."""
    if not tokens:
        return Token("EOF", "", None, 1, 1)
    last = tokens[-1]
    return Token("EOF", "", None, last.line, last.column + len(last.text))
