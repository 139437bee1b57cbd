"""What every command shares: domain errors shown as one clear line (no traceback) with exit code 2."""
from __future__ import annotations

import datetime as dt
import functools

import click

from engine.errors import ZhunshengError


class UserError(click.ClickException):
    """Bad input or a refusal: the message says what is wrong; the exit code is 2 unless given."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None):
        click.echo(f"错误 (error): {self.format_message()}", err=True)


def guard(fn):
    """Turn engine errors (ZhunshengError) raised by a command into UserError."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ZhunshengError as e:
            raise UserError(str(e), getattr(e, "exit_code", 2)) from None
    return wrapper


class DateType(click.ParamType):
    """A YYYY-MM-DD option (``--as-of``); a bad date fails like any bad option, exit 2."""
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"not a date: {value!r} (use YYYY-MM-DD)", param, ctx)


DATE = DateType()
