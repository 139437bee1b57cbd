"""Load batches of rows into one table inside the caller's transaction, as fast as each server allows.

Why two ways: PostgreSQL's COPY streams rows without a statement per row (psycopg's ``copy``), many
times faster than INSERTs; MariaDB/MySQL and SQLite get SQLAlchemy's executemany, which PyMySQL sends as
multi-row INSERTs.  Either way the rows are part of the open transaction: nothing is visible, or kept,
before it commits.
"""
from __future__ import annotations

import json

import orjson


def load(cx, table, batches) -> int:
    """Insert every batch into ``table`` (a SQLAlchemy Table) on connection ``cx``; returns the row count."""
    if cx.dialect.name == "postgresql":
        return _copy(cx, table, batches)
    n = 0
    for batch in batches:
        cx.execute(table.insert(), batch)
        n += len(batch)
    return n


def _copy(cx, table, batches) -> int:
    from psycopg import sql
    names = [c.name for c in table.columns]
    import sqlalchemy as sa
    json_cols = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in names))
    raw = cx.connection.driver_connection          # the psycopg connection of this transaction
    n = 0
    with raw.cursor() as cur, cur.copy(statement) as copy:
        for batch in batches:
            for row in batch:
                copy.write_row([_json_text(row.get(k)) if k in json_cols else row.get(k) for k in names])
            n += len(batch)
    return n


def _json_text(value):
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)
