"""Records from a database table or query, as the raw frame the file readers give.

Why it looks like a file: the record layer, the review and its outputs do not know where rows came
from.  Columns keep their names as written (Chinese or English headers, mapped later by the
normalizer), cells are objects (``engine.io.db.cells``), ``__row__`` is the record's position in the
read (1-based; a table is read in primary-key order when it has one, else in the server's physical
order), ``__source__`` is the table name, or ``query``: that is the ``file`` of ``rejected.csv``.

Rows arrive through a server-side cursor (``stream_results`` with ``yield_per``) in batches of
``batch_rows``, so the driver never holds the whole table.  A table name is looked up with SQLAlchemy's
inspector and quoted by it; it is never formatted into SQL.  A query is sent as the user wrote it:
whoever holds the database URL can already run any SQL there, so this runs nothing they could not;
it runs in a read-only transaction where the server has one (PostgreSQL ``SET TRANSACTION READ ONLY``,
MariaDB/MySQL ``START TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``).
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import pandas as pd

from engine.cli_support import UserError
from engine.io.db import cells
from engine.io.db.connect import database_errors, driver_message, masked, open_engine
from engine.io.readers import RESERVED, ROW, SOURCE

BATCH_ROWS = 50_000
QUERY_SOURCE = "query"


def read_db(url: str, table: str | None = None, query: str | None = None,
            batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """Every record of the table or query as one frame (the batches joined).  To review a large table
    in bounded memory, read it with ``engine.io.db.spill.open_db_source`` instead."""
    return join_batches(list(iter_batches(url, table, query, batch_rows)))


def join_batches(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of ``iter_batches`` (at least one) as one frame, ``__source__`` stored once."""
    source = frames[0][SOURCE].cat.categories[0]
    frame = frames[0] if len(frames) == 1 else pd.concat(
        [f.drop(columns=[SOURCE]) for f in frames], ignore_index=True)
    frame[SOURCE] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), categories=[source])
    return frame


def iter_batches(url: str, table: str | None = None, query: str | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The records in frames of at most ``batch_rows`` rows, ``__row__`` running on across them.

    At least one frame is given, empty when there are no records (a table with columns and no rows is
    an empty batch, as a CSV file with only its header is)."""
    if (table is None) == (query is None):
        raise UserError("请只给出 --table 或 --query 之一 (give exactly one of --table NAME or --query SQL)")
    if not isinstance(batch_rows, int) or batch_rows < 1:
        raise UserError(f"每批行数须为正整数 (batch_rows must be a positive integer): {batch_rows!r}")
    if query is not None and not query.strip():
        raise UserError("查询语句为空 (--query is empty)")
    _refuse_missing_sqlite_file(url)
    engine = open_engine(url)
    source = table if table is not None else QUERY_SOURCE
    failed = (f"读取数据表失败 (cannot read the table) '{table}' in {masked(url)}" if table is not None
              else f"查询失败 (the query failed) in {masked(url)}")
    try:
        with engine.connect() as cx:
            finished, result = False, None
            try:
                _read_only(cx, engine.dialect.name)
                stmt = _table_select(cx, table, url) if table is not None else None
                streamed = cx.execution_options(stream_results=True, yield_per=batch_rows)
                result = (streamed.execute(stmt) if stmt is not None
                          else streamed.exec_driver_sql(_as_driver_text(query, engine.dialect)))
                if not result.returns_rows:
                    raise UserError("查询没有返回记录集 (the query returns no rows: use a SELECT)")
                names = [str(k) for k in result.keys()]
                _check_names(names, source)
                first = 1
                for part in result.partitions(batch_rows):
                    yield _frame(names, part, first, source)
                    first += len(part)
                if first == 1:
                    yield _frame(names, [], 1, source)
                finished = True
            finally:
                if not finished and result is not None:
                    # stopped early (an error, or the caller stopped reading): close the streamed result
                    # before the connection (MariaDB's driver reads what is left of it, quietly)
                    with contextlib.suppress(*database_errors()):
                        result.close()
    except UserError:
        raise
    except database_errors() as e:
        raise UserError(f"{failed}: {driver_message(e, url)}") from None
    finally:
        engine.dispose()


def _refuse_missing_sqlite_file(url: str) -> None:
    """SQLite creates a missing database file on connecting: a typo in a path to read must not leave an
    empty file behind and report a missing table."""
    from pathlib import Path

    from engine.io.db.connect import parse_url
    parsed = parse_url(url)
    name = parsed.database
    if parsed.get_backend_name() == "sqlite" and name and name != ":memory:" and not name.startswith("file:") \
            and not Path(name).is_file():
        raise UserError(f"数据库文件不存在 (no such database file) {name} ({masked(url)})")


def _as_driver_text(query: str, dialect) -> str:
    """The query as the driver must get it to run it as written: drivers with ``%s`` placeholders read a
    lone ``%`` (``LIKE '50%'``) as one, so it is doubled; nothing else is touched (no ``:name`` binds)."""
    return query.replace("%", "%%") if dialect.paramstyle in ("format", "pyformat") else query


def _read_only(cx, backend: str) -> None:
    """Make the reading transaction read-only where the server can (first statement of the transaction)."""
    if backend == "postgresql":
        cx.exec_driver_sql("SET TRANSACTION READ ONLY")
        # a large table's scan may otherwise start where another scan is (synchronized scans), and the
        # rows would come back rotated: physical order from the first block keeps __row__ stable
        cx.exec_driver_sql("SET LOCAL synchronize_seqscans = off")
    elif backend in ("mysql", "mariadb"):
        cx.exec_driver_sql("START TRANSACTION READ ONLY")
    elif backend == "sqlite":
        cx.exec_driver_sql("PRAGMA query_only = ON")


def _table_select(cx, name: str, url):
    """``SELECT`` of the named table, quoted by SQLAlchemy, in primary-key order when it has one.

    ``schema.table`` names a table in another schema (database on MariaDB) when no table has the dotted
    name itself."""
    import sqlalchemy as sa
    if not name or not name.strip():
        raise UserError("数据表名为空 (--table is empty)")
    inspector = sa.inspect(cx)
    schema, table = None, name
    if not inspector.has_table(name) and "." in name:
        schema, table = name.split(".", 1)
    if not inspector.has_table(table, schema=schema):
        known = sorted(inspector.get_table_names())
        hint = (f"; 现有的表 (tables there): {', '.join(known[:20])}{' …' if len(known) > 20 else ''}"
                if known else "; 该数据库中没有表 (the database has no tables)")
        raise UserError(f"数据表不存在 (no such table) '{name}' in {masked(url)}{hint}")
    import warnings
    with warnings.catch_warnings():      # a column type SQLAlchemy does not know (PostGIS ...) still reads
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        reflected = sa.Table(table, sa.MetaData(), autoload_with=cx, schema=schema)
    stmt = sa.select(*reflected.columns)
    key = list(reflected.primary_key.columns)
    return stmt.order_by(*key) if key else stmt


def _check_names(names: list[str], source: str) -> None:
    """The same refusals as a file's header: a name given twice, or one of the reserved hidden names."""
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = raw.strip()
        if name in seen:
            raise UserError(f"{source}: 列名重复：第{seen[name]}列和第{i}列都是 '{name}' "
                            f"(duplicate column name '{name}': columns {seen[name]} and {i}); "
                            "请在查询中改名 (rename one with AS)")
        seen[name] = i
        if name in RESERVED:
            raise UserError(f"{source}: 列名 '{name}' 为内部保留 (column name '{name}' is reserved; rename it with AS)")


def _frame(names: list[str], rows, first: int, source: str) -> pd.DataFrame:
    columns = list(zip(*rows)) if rows else [() for _ in names]
    data = {name.strip(): cells.column(list(values)) for name, values in zip(names, columns)}
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)), columns=list(data), dtype=object)
    frame[ROW] = np.arange(first, first + len(rows), dtype=np.int64)
    frame[SOURCE] = pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), categories=[source])
    return frame
