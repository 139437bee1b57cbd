"""The ledger of commitments and draws (SQLite by default, any SQLAlchemy URL).

The ledger is what makes "no quiet redraw" enforceable: inputs are committed
before a seed exists, a draw is recorded in one transaction (all of it or
none of it), and a second draw of the same plan with another seed needs an
explicit ``--supersede --reason`` that stays on record next to the first.
It is also where frequency caps and inspector rotation look up earlier draws.

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
            self.engine = sa.create_engine(self.url, future=True)
            meta.create_all(self.engine)
        except Exception as e:  # an unreachable server or a bad URL is bad input, said plainly
            raise InputError(f"cannot open the draw ledger at {self.safe_url()}: {e.__class__.__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else ''}") from None

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
        """The plan's draw in force: the latest one nobody has superseded."""
        sup = sa.select(draws.c.supersedes_id).where(draws.c.supersedes_id.is_not(None))
        with self.engine.connect() as cx:
            row = cx.execute(sa.select(draws).where(draws.c.plan_id == plan_id, draws.c.id.not_in(sup))
                             .order_by(draws.c.id.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def draw_by_id(self, draw_id: int) -> dict | None:
        with self.engine.connect() as cx:
            row = cx.execute(sa.select(draws).where(draws.c.id == draw_id)).mappings().first()
        return dict(row) if row else None

    def draws_of_plan(self, plan_id: str) -> list[dict]:
        with self.engine.connect() as cx:
            return [dict(r) for r in cx.execute(sa.select(draws).where(draws.c.plan_id == plan_id)
                                                .order_by(draws.c.id)).mappings()]

    def record_draw(self, row: dict, rows: list[tuple], before_commit=None) -> int:
        """One transaction: the draw and all its targets, or nothing.

        ``before_commit`` runs inside the transaction; if it raises, nothing is recorded.
        """
        with self.engine.begin() as cx:
            draw_id = cx.execute(draws.insert().values(**row)).inserted_primary_key[0]
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
            if before_commit is not None:
                before_commit()
        return draw_id

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
