"""Turn a user's SQLAlchemy URL into an engine, and every way that can fail into one Chinese-first line.

Why here and not at each call: the URL carries a password, and every message that names the database
must show it masked; one place that builds and reports keeps that true everywhere.
"""
from __future__ import annotations

import contextlib
import re

from engine.cli_support import UserError

# The driver each backend gets when the URL names none: the ones this project installs and tests
# (SQLAlchemy's own defaults, psycopg2 and mysqlclient, are not installed).
DEFAULT_DRIVERS = {"postgresql": "psycopg", "postgres": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
BACKENDS = ("postgresql", "mysql", "mariadb", "sqlite")
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*(@)")


def masked(url) -> str:
    """The URL as it may be shown: its password replaced by ***, even when the URL does not parse."""
    text = str(url)
    try:
        import sqlalchemy as sa
        parsed = sa.engine.make_url(text) if not hasattr(url, "render_as_string") else url
        if parsed.password is not None:
            return parsed.render_as_string(hide_password=True)
        return parsed.render_as_string(hide_password=False)
    except Exception:
        return _PASSWORD.sub(r"\1***\2", text)


def scrub(message: str, url) -> str:
    """A driver's message on one line, with the URL's password removed wherever it appears."""
    text = " ".join(str(message).split())
    try:
        import sqlalchemy as sa
        password = sa.engine.make_url(str(url)).password
    except Exception:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return _PASSWORD.sub(r"\1***\2", text)


def parse_url(url: str):
    """The URL as SQLAlchemy reads it, with this project's driver where none is named."""
    import sqlalchemy as sa
    if not isinstance(url, str) or not url.strip():
        raise UserError("缺少数据库地址 (no database URL given): 例如 (e.g.) postgresql://user@host/db")
    try:
        parsed = sa.engine.make_url(url.strip())
    except Exception as e:
        raise UserError(f"数据库地址无效 (bad database URL) {masked(url)}: {scrub(e, url)}; "
                        "格式 (form): postgresql://user:password@host:5432/db, "
                        "mysql://user:password@host:3306/db, sqlite:///path/file.db") from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise UserError(f"不支持的数据库 (unsupported database) '{backend}' in {masked(parsed)}: "
                        f"支持 (supported) {', '.join(BACKENDS)}")
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql")
    if "+" not in parsed.drivername and backend in DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=f"{backend}+{DEFAULT_DRIVERS[backend]}")
    if backend in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})     # Chinese text needs four-byte UTF-8
    return parsed


def open_engine(url: str):
    """An engine that opens one connection at a time and keeps none (NullPool): a session setting made
    for one read (read-only) dies with its connection; checks that the server answers."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool
    parsed = parse_url(url)
    try:
        engine = sa.create_engine(parsed, poolclass=NullPool, json_serializer=_json_text)
    except ImportError as e:
        package = {"pymysql": "PyMySQL", "psycopg": "psycopg[binary]"}.get(e.name or "", e.name)
        raise UserError(f"数据库驱动未安装 (database driver not installed): pip install {package} "
                        f"(for {masked(parsed)})") from None
    except Exception as e:       # a bad option in the URL
        raise UserError(f"无法使用数据库地址 (cannot use the database URL) {masked(parsed)}: "
                        f"{scrub(e, url)}") from None
    try:
        with engine.connect() as cx:
            cx.exec_driver_sql("select 1").close()
    except Exception as e:
        engine.dispose()
        raise UserError(f"无法连接数据库 (cannot connect to the database) {masked(parsed)}: "
                        f"{driver_message(e, url)}") from None
    return engine


def driver_message(e: BaseException, url) -> str:
    """What the server or driver said, without SQLAlchemy's statement dump and background link."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e)
    text = text.split("\n[SQL:")[0].split("(Background on this error")[0]
    return scrub(text, url) or type(e).__name__


@contextlib.contextmanager
def user_errors(what_zh: str, what_en: str, url):
    """Any database error inside becomes one line naming ``what`` and the masked URL (no traceback)."""
    try:
        yield
    except UserError:
        raise
    except Exception as e:
        if not isinstance(e, database_errors()):
            raise
        raise UserError(f"{what_zh} ({what_en}) {masked(url)}: {driver_message(e, url)}") from None


def database_errors() -> tuple:
    """The exception classes a database or its driver raises (a raw COPY is not wrapped by SQLAlchemy)."""
    import sqlalchemy as sa
    found = [sa.exc.SQLAlchemyError, OSError, UnicodeError, ValueError]
    for module, name in (("psycopg", "Error"), ("pymysql", "Error"), ("sqlite3", "Error")):
        with contextlib.suppress(ImportError):
            found.append(getattr(__import__(module), name))
    return tuple(found)


def _json_text(value) -> str:
    """JSON as stored in a JSON or text column: Chinese as written, not as \\u escapes."""
    import json
    return json.dumps(value, ensure_ascii=False, default=str)
