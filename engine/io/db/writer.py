"""Write a finished review folder into database tables (``review … --to-db URL``).

Why one transaction per run: a reader of ``zs_runs`` must see a run whole or not at all.  The old rows
of the run_id are deleted and the new ones loaded in the same transaction, so a rerun replaces a run,
and a writer killed half-way (its connection dropped) leaves what was there before: the server rolls
the open transaction back.  The folder is verified first (``engine.io.outset``) and held under its read
lock while it is loaded, so a mixed or unfinished folder is never written, and nothing changes it
meanwhile.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.cli_support import UserError
from engine.errors import InputError
from engine.io.db import bulk, rows, schema
from engine.io.db.connect import masked, open_engine, user_errors

REQUIRED = ("cases.jsonl", "findings.jsonl", "rejected.csv")


def write_run_to_db(out_dir: Path, url: str) -> dict:
    """Write the run in ``out_dir`` into ``url``; returns what was written (run_id, row counts, whether
    an earlier copy of the run was replaced, the masked URL)."""
    from engine.io.outset import reading
    out_dir = Path(out_dir)
    engine = open_engine(url)
    try:
        with user_errors("无法建立或升级数据表", "cannot create or migrate the tables", url):
            schema.migrate(engine)
        try:
            with reading(out_dir, _required(out_dir)) as summary:
                return _write(engine, out_dir, summary, url)
        except InputError as e:
            raise UserError(f"不能写入数据库 (not written to the database): {e}") from None
    finally:
        engine.dispose()


def _required(out_dir: Path) -> tuple:
    """The files a run must have: a ``review --format parquet`` folder has cases.parquet and
    findings.parquet in place of the JSON Lines (verified against summary.json all the same)."""
    from engine.report.folder import PARQUET_REQUIRED as PARQUET
    has_parquet = (out_dir / "cases.parquet").is_file() and not (out_dir / "cases.jsonl").is_file()
    return PARQUET if has_parquet else REQUIRED


def _lines(out_dir: Path, summary: dict, name: str, fields, run_id: str):
    """Rows of cases or findings: from the JSON Lines, or from the Parquet file a ``--format parquet``
    run wrote (read back as the same objects, engine.io.parquet_out.iter_rows)."""
    from engine.io import parquet_out
    if not parquet_out.is_parquet_run(summary):
        yield from rows.jsonl_rows(out_dir / f"{name}.jsonl", fields, run_id)
        return
    batch = []
    for line, obj in enumerate(parquet_out.iter_rows(out_dir / f"{name}.parquet"), start=1):
        batch.append(rows.row_of(obj, fields, run_id, line))
        if len(batch) >= rows.BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def check_target(url: str) -> int:
    """Connect and bring the tables up to date before a review starts, so that a wrong ``--to-db`` fails
    in a second, not after an hour of reviewing; returns the schema version the database had."""
    engine = open_engine(url)
    try:
        with user_errors("无法建立或升级数据表", "cannot create or migrate the tables", url):
            return schema.migrate(engine)
    finally:
        engine.dispose()


def _write(engine, out_dir: Path, summary: dict, url) -> dict:
    md = schema.current()
    t = md.tables
    run_id = str(summary["run_id"])
    with user_errors("写入数据库失败，数据库保持原状", "writing failed; the database is as it was", url):
        with engine.begin() as cx:
            _lock_run(cx, run_id)
            import sqlalchemy as sa
            replaced = bool(cx.execute(sa.select(sa.func.count()).select_from(t["zs_runs"])
                                       .where(t["zs_runs"].c.run_id == run_id)).scalar())
            for name in ("zs_findings", "zs_cases", "zs_rejected", "zs_runs"):
                cx.execute(t[name].delete().where(t[name].c.run_id == run_id))
            cx.execute(t["zs_runs"].insert(), [_run_row(summary, run_id, out_dir)])
            n_cases = bulk.load(cx, t["zs_cases"], _lines(out_dir, summary, "cases", schema.CASE_FIELDS, run_id))
            n_findings = bulk.load(cx, t["zs_findings"], _lines(out_dir, summary, "findings",
                                                                schema.FINDING_FIELDS, run_id))
            n_rejected = bulk.load(cx, t["zs_rejected"], rows.csv_rows(
                out_dir / "rejected.csv", schema.REJECTED_FIELDS, run_id))
    return {"run_id": run_id, "cases": n_cases, "findings": n_findings, "rejected": n_rejected,
            "replaced": replaced, "url": masked(url), "schema_version": schema.LATEST}


def _lock_run(cx, run_id: str) -> None:
    """Two writers of one run wait for each other instead of colliding on its keys."""
    backend = cx.dialect.name
    if backend == "postgresql":
        cx.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(k)s))", {"k": "zs_run:" + run_id})
    elif backend in ("mysql", "mariadb"):
        cx.exec_driver_sql("DO GET_LOCK(%(k)s, 600)", {"k": "zs_run:" + run_id})


def _run_row(summary: dict, run_id: str, out_dir: Path) -> dict:
    as_of = summary.get("as_of")
    try:
        as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else None
    except ValueError:
        as_of = None
    counts = {k: int(summary[k]) if isinstance(summary.get(k), int) else None for k in schema.RUN_COUNTS}
    return {"run_id": run_id, **counts, "as_of": as_of,
            "written_at": dt.datetime.now(dt.timezone.utc), "folder": str(out_dir.resolve()),
            "summary": summary}
