"""The tables a review run is written into, created and migrated by the tool itself.

Why plain versioned DDL: the schema is four tables; a ``zs_schema_version`` row says which version a
database holds, and ``MIGRATIONS[n]`` takes it from n to n+1.  A new column is a new migration, never an
edit of an old one, so every database reaches the same schema by the same steps.  The DDL is compiled by
SQLAlchemy for each server (JSONB on PostgreSQL, JSON on MariaDB/MySQL, text on SQLite), so names are
quoted by it.

Each table of rows is keyed by ``(run_id, line)``: ``line`` is the line of the output file (1-based),
which keeps the file's order.  The fields of the JSON Lines contract are columns; a field the contract
adds later (or a kind-specific one) lands in ``more`` (a JSON object), so nothing written is lost.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

VERSION_TABLE = "zs_schema_version"


def _json():
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _text():
    return sa.Text()


# (name, kind): kind is text, int, num, bool, date or json.  The order is the order of the columns.
CASE_FIELDS = (("case_id", "text"), ("status", "text"), ("provision", "text"), ("provision_version", "text"),
               ("tiers", "json"), ("lawful_fine_min", "num"), ("lawful_fine_max", "num"), ("codes", "json"),
               ("possible_codes", "json"), ("undetermined", "json"), ("lawful_fine_max_unbounded", "bool"),
               ("department", "text"), ("officers", "json"), ("event_date", "date"), ("row", "int"),
               ("reason", "text"), ("record_kind", "text"), ("decision_no", "text"), ("party_id", "text"),
               ("fine", "num"), ("sanctions", "json"), ("deadlines", "json"), ("extra", "json"))
FINDING_FIELDS = (("case_id", "text"), ("code", "text"), ("category", "text"), ("severity", "text"),
                  ("certainty", "text"), ("message_zh", "text"), ("message_en", "text"), ("citations", "json"),
                  ("facts", "json"), ("expected", "json"), ("actual", "json"), ("depends_on", "json"),
                  ("department", "text"), ("officers", "json"), ("event_date", "date"), ("row", "int"),
                  ("record_kind", "text"))
REJECTED_FIELDS = (("row", "int"), ("case_id", "text"), ("reason", "text"), ("file", "text"),
                   ("record_kind", "text"))
RUN_COUNTS = ("input_rows", "evaluated", "rejected", "findings", "possible_findings", "cases_with_findings")

_TYPES = {"text": _text, "int": sa.BigInteger, "num": lambda: sa.Float(precision=53), "bool": sa.Boolean,
          "date": sa.Date, "json": _json}
_MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mariadb_engine": "InnoDB",
          "mariadb_charset": "utf8mb4"}


def _rows_table(md, name: str, fields) -> sa.Table:
    return sa.Table(name, md, sa.Column("run_id", sa.String(64), primary_key=True),
                    sa.Column("line", sa.BigInteger, primary_key=True, autoincrement=False),
                    *[sa.Column(n, _TYPES[k]()) for n, k in fields], sa.Column("more", _json()), **_MYSQL)


def tables_v1() -> sa.MetaData:
    """Version 1 (frozen: a later version changes the tables by a migration, not here)."""
    md = sa.MetaData()
    sa.Table("zs_runs", md, sa.Column("run_id", sa.String(64), primary_key=True),
             *[sa.Column(n, sa.BigInteger) for n in RUN_COUNTS],
             sa.Column("as_of", sa.Date), sa.Column("written_at", sa.DateTime(timezone=True)),
             sa.Column("folder", _text()), sa.Column("summary", _json()), **_MYSQL)
    _rows_table(md, "zs_cases", CASE_FIELDS)
    _rows_table(md, "zs_findings", FINDING_FIELDS)
    _rows_table(md, "zs_rejected", REJECTED_FIELDS)
    return md


def current() -> sa.MetaData:
    """The tables as the newest migration leaves them (what the writer inserts into)."""
    return tables_v1()


def _to_v1(cx) -> None:
    tables_v1().create_all(cx, checkfirst=True)


MIGRATIONS = {0: _to_v1}          # version n -> the function that takes a database to n + 1
LATEST = max(MIGRATIONS) + 1


def version_table() -> sa.Table:
    return sa.Table(VERSION_TABLE, sa.MetaData(), sa.Column("version", sa.Integer, nullable=False), **_MYSQL)


def migrate(engine) -> int:
    """Bring the database to ``LATEST``; returns the version found.  Two writers starting on an empty
    database at once wait for each other (a lock per server), so each step runs once.

    A database newer than this tool is refused: writing into tables it does not know could lose fields."""
    from engine.cli_support import UserError
    backend = engine.dialect.name
    with engine.begin() as cx:
        _lock(cx, backend)
        vt = version_table()
        vt.create(cx, checkfirst=True)
        found = cx.execute(sa.select(sa.func.max(vt.c.version))).scalar()
        found = int(found or 0)
        if found > LATEST:
            raise UserError(f"数据库的表结构版本 {found} 比本工具新 (the database schema version {found} is newer "
                            f"than this tool's {LATEST}); 请升级 zhunsheng (upgrade zhunsheng)")
        for n in range(found, LATEST):
            MIGRATIONS[n](cx)
            cx.execute(vt.delete())
            cx.execute(vt.insert().values(version=n + 1))
        if backend in ("mysql", "mariadb"):
            cx.exec_driver_sql("DO RELEASE_LOCK('zs_schema')")
    return found


def _lock(cx, backend: str) -> None:
    if backend == "postgresql":
        cx.exec_driver_sql("SELECT pg_advisory_xact_lock(7460210001)")
    elif backend in ("mysql", "mariadb"):
        cx.exec_driver_sql("DO GET_LOCK('zs_schema', 60)")
