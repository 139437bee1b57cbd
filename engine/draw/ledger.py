"""The ledger of commitments and draws (SQLite by default, any SQLAlchemy URL).

The ledger is what makes "no quiet redraw" enforceable: inputs are committed
before a seed exists, a draw is recorded in one transaction (all of it or
none of it), and a second draw of the same plan with another seed needs an
explicit ``--supersede --reason`` that stays on record next to the first.
It is also where frequency caps and inspector rotation look up earlier draws.

Exactly one draw per plan is *in force* (current), and the database enforces
it: ``draw_current`` holds one row per drawn plan (its primary key is the
plan) pointing at the draw in force.  A draw inserts that row, or moves it
from the draw it supersedes, in the transaction that records it; of two runs
that passed their checks at the same moment the second finds the row taken or
moved and records nothing (``CurrentChanged``).  Ledgers written before
``draw_current`` existed get it on opening, filled with each plan's latest
draw that nothing supersedes (the rule that defined "in force" before).

The URL comes from ``--db``, else ``ZHUNSHENG_DB``, else ``sqlite:///zhunsheng-draw.sqlite``
in the working directory.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import sqlalchemy as sa

from engine.draw.algorithm import History
from engine.errors import InputError

ENV = "ZHUNSHENG_DB"
DEFAULT_URL = "sqlite:///zhunsheng-draw.sqlite"

meta = sa.MetaData()

commitments = sa.Table(
    "draw_commitments", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(200), nullable=False, index=True),
    sa.Column("committed_at", sa.String(40), nullable=False),
    sa.Column("plan_sha256", sa.String(64), nullable=False),
    sa.Column("entities_sha256", sa.String(64), nullable=False),
    sa.Column("inspectors_sha256", sa.String(64), nullable=False),
    sa.Column("conflicts_sha256", sa.String(64), nullable=False),
    sa.Column("commitment_sha256", sa.String(64), nullable=False),
    sa.Column("supersede_reason", sa.Text),
)

draws = sa.Table(
    "draw_draws", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.String(200), nullable=False, index=True),
    sa.Column("commitment_id", sa.Integer, sa.ForeignKey("draw_commitments.id"), nullable=False),
    sa.Column("seed", sa.Text, nullable=False),
    sa.Column("seed_note", sa.Text, nullable=False),
    sa.Column("draw_date", sa.String(10), nullable=False),
    sa.Column("spec_version", sa.String(40), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("result_sha256", sa.String(64), nullable=False),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("draw_draws.id")),
    sa.Column("supersede_reason", sa.Text),
)

targets = sa.Table(
    "draw_targets", meta,
    sa.Column("draw_id", sa.Integer, sa.ForeignKey("draw_draws.id"), nullable=False, index=True),
    sa.Column("item_index", sa.Integer, nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("credit_class", sa.String(1), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("ticket", sa.String(24), nullable=False),
    sa.Column("inspectors", sa.Text, nullable=False),   # ';'-joined, in ticket order; '' when unfilled
    sa.Column("status", sa.String(10), nullable=False),  # assigned | unfilled
    sa.Column("reason", sa.Text),
    # No (item_id, entity_id) index: inserting half a million random codes into it costs seconds per
    # draw, while the one history query per run scans the table in well under that.
)

TARGET_COLUMNS = [c.name for c in targets.columns][1:]   # after draw_id

current = sa.Table(
    "draw_current", meta,
    sa.Column("plan_id", sa.String(200), primary_key=True),    # one draw in force per plan, by construction
    sa.Column("draw_id", sa.Integer, sa.ForeignKey("draw_draws.id"), nullable=False),
)

results = sa.Table(
    "draw_results", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("import_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("row", sa.Integer, nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("inspected_on", sa.String(10), nullable=False),
    sa.Column("publicized_on", sa.String(10)),
    sa.Column("imported_at", sa.String(40), nullable=False),
)


SQLITE_BUSY_SECONDS = 300   # how long a run waits for another one's ledger transaction (SQLite)


class CurrentChanged(Exception):
    """Another run recorded a draw of the plan after this one checked the draw in force."""


def resolve_url(url: str | None) -> str:
    return url or os.environ.get(ENV) or DEFAULT_URL


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Commitment:
    id: int
    plan_id: str
    committed_at: str
    digests: dict
    commitment_sha256: str


class Ledger:
    def __init__(self, url: str | None = None):
        self.url = resolve_url(url)
        try:
            sqlite = sa.engine.make_url(self.url).get_backend_name() == "sqlite"
            # SQLite lets one writer in at a time; the others wait this long for it instead of 5 s
            self.engine = sa.create_engine(self.url, connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
            try:
                meta.create_all(self.engine)
            except sa.exc.DatabaseError:   # another process created a table first (a new or upgraded ledger)
                meta.create_all(self.engine)
            self._fill_current()
        except Exception as e:  # an unreachable server or a bad URL is bad input, said plainly
            raise InputError(f"无法打开抽查账本 (cannot open the draw ledger at {self.safe_url()}): {e.__class__.__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else ''}") from None

    def _fill_current(self) -> None:
        """Migration: a plan drawn by a version without ``draw_current`` gets its row, pointing at the
        latest of its draws that nothing supersedes.  A read first, so that opening an up-to-date ledger
        takes no write lock; a concurrent opener that filled the same rows first wins."""
        d, s = draws.alias("d"), draws.alias("s")
        missing = (sa.select(d.c.plan_id, sa.func.max(d.c.id))
                   .where(~sa.exists().where(s.c.supersedes_id == d.c.id),
                          ~sa.exists().where(current.c.plan_id == d.c.plan_id))
                   .group_by(d.c.plan_id))
        with self.engine.connect() as cx:
            if cx.execute(missing.limit(1)).first() is None:
                return
        try:
            with self.engine.begin() as cx:
                cx.execute(current.insert().from_select(["plan_id", "draw_id"], missing))
        except sa.exc.IntegrityError:
            pass

    def safe_url(self) -> str:
        try:
            return sa.engine.make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "<invalid URL>"

    def close(self):
        self.engine.dispose()

    # -- commitments ---------------------------------------------------------------
    def add_commitment(self, plan_id: str, committed_at: str, digests: dict, commitment_sha256: str,
                       reason: str | None = None) -> Commitment:
        with self.engine.begin() as cx:
            cid = cx.execute(commitments.insert().values(
                plan_id=plan_id, committed_at=committed_at, commitment_sha256=commitment_sha256,
                supersede_reason=reason,
                **{f"{k}_sha256": v for k, v in digests.items()})).inserted_primary_key[0]
        return Commitment(cid, plan_id, committed_at, dict(digests), commitment_sha256)

    def latest_commitment(self, plan_id: str) -> Commitment | None:
        with self.engine.connect() as cx:
            row = cx.execute(sa.select(commitments).where(commitments.c.plan_id == plan_id)
                             .order_by(commitments.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            return None
        return Commitment(row["id"], row["plan_id"], row["committed_at"],
                          {k: row[f"{k}_sha256"] for k in ("plan", "entities", "inspectors", "conflicts")},
                          row["commitment_sha256"])

    # -- draws ---------------------------------------------------------------------
    def current_draw(self, plan_id: str) -> dict | None:
        """The plan's draw in force (``draw_current``): the latest one nobody has superseded."""
        with self.engine.connect() as cx:
            row = cx.execute(sa.select(draws).join(current, current.c.draw_id == draws.c.id)
                             .where(current.c.plan_id == plan_id)).mappings().first()
        return dict(row) if row else None

    def draw_by_id(self, draw_id: int) -> dict | None:
        with self.engine.connect() as cx:
            row = cx.execute(sa.select(draws).where(draws.c.id == draw_id)).mappings().first()
        return dict(row) if row else None

    def draws_of_plan(self, plan_id: str) -> list[dict]:
        with self.engine.connect() as cx:
            return [dict(r) for r in cx.execute(sa.select(draws).where(draws.c.plan_id == plan_id)
                                                .order_by(draws.c.id)).mappings()]

    def record_draw(self, row: dict, rows: list[tuple], replaces: int | None, before_commit=None) -> int:
        """One transaction: the draw, its place as the plan's draw in force, and all its targets, or nothing.

        ``replaces`` is the draw in force when the caller checked (None: none).  If another draw has
        taken its place since, ``CurrentChanged`` is raised and nothing is recorded: the database
        decides (primary key of ``draw_current``; an update conditional on the draw it replaces), so
        two runs racing each other cannot both be recorded.  ``before_commit`` runs inside the
        transaction; if it raises, nothing is recorded.
        """
        try:
            with self.engine.begin() as cx:
                # The first statement writes: SQLite takes its write lock here (waiting for another
                # writer to finish) before the draw in force is checked.
                draw_id = cx.execute(draws.insert().values(**row)).inserted_primary_key[0]
                self._take_current(cx, row["plan_id"], draw_id, replaces)
                self._insert_targets(cx, draw_id, rows)
                if before_commit is not None:
                    before_commit()
        except sa.exc.OperationalError as e:
            if "locked" in str(e).lower():
                raise InputError(f"账本被另一次运行占用超过 {SQLITE_BUSY_SECONDS} 秒，未登记 (the draw ledger at "
                                 f"{self.safe_url()} stayed locked by another run for {SQLITE_BUSY_SECONDS} s; "
                                 "nothing was recorded)") from None
            raise
        return draw_id

    @staticmethod
    def _take_current(cx, plan_id: str, draw_id: int, replaces: int | None) -> None:
        if replaces is None:
            try:
                cx.execute(current.insert().values(plan_id=plan_id, draw_id=draw_id))
            except sa.exc.IntegrityError:   # PostgreSQL waits here for the other transaction, then refuses
                raise CurrentChanged(plan_id) from None
        else:
            moved = cx.execute(current.update().where(current.c.plan_id == plan_id, current.c.draw_id == replaces)
                               .values(draw_id=draw_id))
            if moved.rowcount != 1:
                raise CurrentChanged(plan_id)

    @staticmethod
    def _insert_targets(cx, draw_id: int, rows: list[tuple]) -> None:
        cols = [c.name for c in targets.columns]
        # Plain DB-API executemany: SQLAlchemy's per-row parameter processing costs seconds at 500k rows.
        mark = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{}", "named": ":{}"}.get(
            cx.dialect.paramstyle, "?")
        holes = ", ".join(mark.format(c) if "{}" in mark else mark for c in cols)
        if cx.dialect.paramstyle == "numeric":
            holes = ", ".join(f":{i + 1}" for i in range(len(cols)))
        sql = f"INSERT INTO {targets.name} ({', '.join(cols)}) VALUES ({holes})"
        batch = 50_000
        for lo in range(0, len(rows), batch):
            chunk = [(draw_id,) + r for r in rows[lo:lo + batch]]
            if cx.dialect.paramstyle == "named":
                chunk = [dict(zip(cols, t)) for t in chunk]
            cx.exec_driver_sql(sql, chunk)

    def history(self, plan_id: str, draw_date: dt.date, items, before_id: int | None = None) -> History:
        """Cap counts and previous inspectors from the draws in force when a draw of ``plan_id`` is made.

        In force = recorded before (id < before_id), not superseded by a draw
        recorded before, of another plan, dated on or before ``draw_date``.
        """
        item_ids = sorted({it.item_id for it in items})
        if not item_ids:
            return History()
        d = draws.alias("d")
        s = draws.alias("s")
        superseded = sa.exists().where(s.c.supersedes_id == d.c.id)
        if before_id is not None:
            superseded = sa.exists().where(s.c.supersedes_id == d.c.id, s.c.id < before_id)
        cond = [d.c.plan_id != plan_id, d.c.draw_date <= draw_date.isoformat(), ~superseded]
        if before_id is not None:
            cond.append(d.c.id < before_id)
        q = (sa.select(targets.c.item_id, targets.c.entity_id, targets.c.inspectors, d.c.draw_date)
             .select_from(targets.join(d, targets.c.draw_id == d.c.id))
             .where(*cond, targets.c.item_id.in_(item_ids))
             .order_by(d.c.draw_date, d.c.id, targets.c.item_index))
        windows = {it.item_id: it.frequency_cap.window_days for it in items if it.frequency_cap is not None}
        caps: dict = {}
        previous: dict = {}
        with self.engine.connect() as cx:
            for item_id, entity_id, inspectors, ddate in cx.execute(q):
                key = (item_id, entity_id)
                previous[key] = tuple(x for x in (inspectors or "").split(";") if x)
                w = windows.get(item_id)
                if w is not None and (draw_date - dt.date.fromisoformat(ddate)).days < w:
                    caps[key] = caps.get(key, 0) + 1
        return History(cap_counts=caps, previous=previous)

    # -- results -------------------------------------------------------------------
    def results_imported(self, sha: str) -> bool:
        with self.engine.connect() as cx:
            return cx.execute(sa.select(sa.func.count()).select_from(results)
                              .where(results.c.import_sha256 == sha)).scalar() > 0

    def import_results(self, rows: list[dict]) -> None:
        if rows:
            with self.engine.begin() as cx:
                cx.execute(results.insert(), rows)
