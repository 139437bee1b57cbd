"""What every command shares: domain errors shown as one clear line (no traceback) with exit code 2,
and anything unexpected as one line with exit code 3 and the traceback kept in a log file.

Exit codes, for every command: 0 done; 1 findings (``check``; ``review --fail-on``; ``rules lint`` /
``rules test`` problems); 2 bad input or usage; 3 internal error.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import sys

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
        from engine.records.values import Unreadable, read_date   # the forms record cells accept
        try:
            day = read_date(value)
        except Unreadable as e:
            self.fail(f"不是日期 (not a date): {value!r} — {e.zh} ({e.en}); 如 2024-12-31、2024年12月31日", param, ctx)
        if day is None:
            self.fail(f"不是日期 (not a date): {value!r}", param, ctx)
        return day


DATE = DateType()


INTERNAL_ERROR = 3

# click's own usage messages, Chinese first (the English original follows each).
_USAGE_ZH = [("Missing option", "缺少选项"), ("Missing argument", "缺少参数"), ("No such option", "没有这个选项"),
             ("No such command", "没有这个命令"), ("Invalid value", "取值无效"),
             ("Got unexpected extra argument", "多余的参数"), ("requires an argument", "选项需要一个值")]


# click's own help labels, Chinese first.  click looks them up through gettext at the moment it writes
# the help, so a lookup that knows these few exact strings (and passes every other through) is enough.
_LABELS_ZH = {"Usage:": "用法 Usage:", "Options": "选项 Options", "Commands": "命令 Commands",
              "Show this message and exit.": "显示本帮助并退出 (show this message and exit).",
              "Show the version and exit.": "显示版本并退出 (show the version and exit).",
              "required": "必填 required", "default: {default}": "默认 default: {default}"}


def _label(text: str) -> str:
    return _LABELS_ZH.get(text, text)


def chinese_help_labels() -> None:
    """Make click write its help headings and its help/version option texts Chinese first."""
    import click.core
    import click.decorators
    import click.formatting
    for module in (click.core, click.decorators, click.formatting):
        module._ = _label


chinese_help_labels()


class ChineseFirstGroup(click.Group):
    """A group whose usage errors (missing or unknown options, bad values) read Chinese first, exit 2."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as e:
            zh = next((z for en, z in _USAGE_ZH if en in e.format_message()), "用法错误")
            if e.ctx is not None:
                click.echo(e.ctx.get_usage(), err=True)
                click.echo(f"请运行 (try) '{e.ctx.command_path} --help'", err=True)
            click.echo(f"错误 (error): {zh} ({e.format_message()})", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("已中止 (aborted)", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def log_internal_error(exc: BaseException) -> int:
    """Keep the traceback of an unexpected error in a log file and say where, in one line: a user
    sees no traceback, a maintainer gets all of it.  Returns the exit code (3)."""
    import tempfile
    import traceback
    text = (f"zhunsheng internal error at {dt.datetime.now().isoformat()}\nargv: {sys.argv!r}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    where = None
    try:
        folder = _private_log_folder()
        fd, where = tempfile.mkstemp(prefix=f"zhunsheng-error-{dt.datetime.now():%Y%m%dT%H%M%S}-",
                                     suffix=".log", dir=folder)     # O_EXCL, 0600: no link is followed
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        where = None
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300] if str(exc) else type(exc).__name__
    print(f"内部错误 (internal error): {summary}; "
          + (f"详细信息见 (details in) {where}" if where else "无法写入日志 (could not write the log)"),
          file=sys.stderr)
    return INTERNAL_ERROR


def _private_log_folder() -> str:
    """``$ZHUNSHENG_LOG_DIR``, else a folder of this user's own under the temporary directory (mode 0700,
    owned by us, not a link): a log holds record values and must not be readable or plantable by others."""
    import stat
    import tempfile
    folder = os.environ.get("ZHUNSHENG_LOG_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        return folder
    folder = os.path.join(tempfile.gettempdir(), f"zhunsheng-logs-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user")
    return folder
