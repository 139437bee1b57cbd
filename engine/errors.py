"""Error hierarchy.

Every error a user can cause carries enough to act on it: the file, the line
(and column where known) and what is wrong.  Command-line code maps these to
exit code 2 ("bad input") without printing a traceback.
"""
from __future__ import annotations


class ZhunshengError(Exception):
    """Base of every error caused by input (rule files, records, options)."""

    exit_code = 2


class ExprError(ZhunshengError):
    """A rule expression that does not parse or does not type-check.

    ``line`` and ``column`` are 1-based positions inside the expression text;
    the rule loader adds the file and the YAML line the expression starts on.
    """

    def __init__(self, reason: str, source: str = "", line: int = 1, column: int = 1):
        self.reason = reason
        self.source = source
        self.line = line
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        where = (f"第{self.column}列 column {self.column}" if self.line == 1
                 else f"第{self.line}行第{self.column}列 line {self.line}, column {self.column}")
        text = f"{self.reason} ({where})"
        if self.source:
            lines = self.source.splitlines() or [self.source]
            src_line = lines[min(max(self.line, 1), len(lines)) - 1]
            text += f"\n    {src_line}\n    {' ' * (self.column - 1)}^"
        return text


class RuleFileError(ZhunshengError):
    """One or more mistakes in rule files, each as ``file:line: reason``."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Problem:
    """One mistake in one rule file; sortable so reports are stable."""

    __slots__ = ("file", "line", "reason")

    def __init__(self, file: str, line: int | None, reason: str):
        self.file = str(file)
        self.line = line or 0
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def __repr__(self) -> str:
        return f"Problem({self})"

    def sort_key(self):
        return (self.file, self.line, self.reason)


class InputError(ZhunshengError):
    """An input file or option that cannot be used at all (not a bad row: bad rows are rejected, not raised)."""


class CalendarError(ZhunshengError):
    """A date outside every known working-day calendar: we refuse to guess."""
