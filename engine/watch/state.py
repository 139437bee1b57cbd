"""The monitor's durable memory: case records, cards raised, and how far the input was read.

SQLite by default (``DIR/watch.sqlite``), any SQLAlchemy URL via ``--db``
(PostgreSQL is tested).  Writes are buffered and committed together — the
touched case rows, the new cards and the input position (line offset, Redis
entry id, clock) in ONE transaction — so a SIGKILL at any point leaves the
database at a batch boundary: on restart the events after the committed offset
are read again and, the state being exactly as it was after the last committed
event, they raise exactly the cards they raised before.  The unique key
(case_id, code, card) guards against a duplicate card whatever happens.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from engine.errors import InputError

meta = sa.MetaData()

cases = sa.Table(
    "watch_cases", meta,
    sa.Column("case_id", sa.String(200), primary_key=True),
    sa.Column("record", sa.Text, nullable=False),          # JSON: the case record (dates as ISO strings)
    sa.Column("emitted", sa.Text, nullable=False),         # JSON list of "card:code" already raised
    sa.Column("pending", sa.Boolean, nullable=False),      # thresholds still to watch: loaded at start
)

cards = sa.Table(
    "watch_cards", meta,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("case_id", sa.String(200), nullable=False),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("card", sa.String(20), nullable=False),       # yellow | red | overreach
    sa.Column("line", sa.Text, nullable=False),             # the JSON line written to cards.jsonl / overreach.jsonl
    sa.UniqueConstraint("case_id", "code", "card", name="watch_cards_once"),
)

progress = sa.Table(
    "watch_progress", meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("offset", sa.BigInteger, nullable=False),     # input lines consumed (file or stdin)
    sa.Column("redis_id", sa.String(40), nullable=False),   # last Redis stream entry consumed
    sa.Column("clock", sa.Float, nullable=True),             # monitor clock (epoch seconds) at the commit
    sa.Column("rejected", sa.BigInteger, nullable=False),
)


class Store:
    def __init__(self, url: str):
        try:
            self.engine = sa.create_engine(url)
            if self.engine.dialect.name == "sqlite":
                @sa.event.listens_for(self.engine, "connect")
                def _pragmas(dbapi, _):
                    cur = dbapi.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute("PRAGMA synchronous=NORMAL")
                    cur.close()
            meta.create_all(self.engine)
            self.cx = self.engine.connect()
        except Exception as e:
            raise InputError(f"无法打开监控状态数据库 (cannot open the watch state database) {url}: {e.__class__.__name__}: "
                             f"{str(e).splitlines()[0][:200]}") from None
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self._insert = insert
        row = self.cx.execute(sa.select(progress).where(progress.c.id == 1)).first()
        self.cx.commit()
        self.offset = row.offset if row else 0
        self.redis_id = row.redis_id if row else "0-0"
        self.clock = row.clock if row else None
        self.rejected = row.rejected if row else 0
        self.seq = self.cx.execute(sa.select(sa.func.coalesce(sa.func.max(cards.c.seq), 0))).scalar_one()
        self.cx.commit()
        self.dirty: dict[str, tuple[dict, set, bool]] = {}
        q = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        self._load_sql = f"SELECT record, emitted FROM watch_cases WHERE case_id = {q}"
        self.new_cards: list[dict] = []

    # -- reads -----------------------------------------------------------------------------------
    def load(self, case_id: str) -> tuple[dict, set] | None:
        hit = self.dirty.get(case_id)
        if hit is not None:
            return dict(hit[0]), set(hit[1])
        # the hot path of a new case: the DBAPI cursor directly (SQLAlchemy's statement machinery costs
        # ~200 µs a call here, the lookup itself ~10 µs)
        cur = self.cx.connection.dbapi_connection.cursor()
        try:
            cur.execute(self._load_sql, (case_id,))
            row = cur.fetchone()
        finally:
            cur.close()
        if row is None:
            return None
        return json.loads(row[0]), set(json.loads(row[1]))

    def pending_cases(self):
        res = self.cx.execute(sa.select(cases.c.case_id, cases.c.record, cases.c.emitted)
                              .where(cases.c.pending.is_(True)).order_by(cases.c.case_id))
        out = [(r.case_id, json.loads(r.record), set(json.loads(r.emitted))) for r in res]
        self.cx.rollback()
        return out

    def card_lines(self) -> list[tuple[int, str, str]]:
        res = self.cx.execute(sa.select(cards.c.seq, cards.c.card, cards.c.line).order_by(cards.c.seq)).all()
        self.cx.rollback()
        return [tuple(r) for r in res]

    # -- buffered writes --------------------------------------------------------------------------
    def save(self, case_id: str, record: dict, emitted: set, pending: bool):
        self.dirty[case_id] = (record, set(emitted), pending)

    def add_card(self, case_id: str, code: str, card: str, line: str):
        self.seq += 1
        self.new_cards.append({"seq": self.seq, "case_id": case_id, "code": code, "card": card, "line": line})

    def commit(self, offset: int, redis_id: str, clock: float | None, rejected: int) -> list[dict]:
        """Write everything buffered in one transaction; return the cards it made durable."""
        ins = self._insert
        with self.cx.begin():
            if self.dirty:
                stmt = ins(cases)
                stmt = stmt.on_conflict_do_update(index_elements=[cases.c.case_id], set_={
                    "record": stmt.excluded.record, "emitted": stmt.excluded.emitted,
                    "pending": stmt.excluded.pending})
                self.cx.execute(stmt, [{"case_id": k, "record": json.dumps(r, ensure_ascii=False, sort_keys=True),
                                        "emitted": json.dumps(sorted(e), ensure_ascii=False), "pending": p}
                                       for k, (r, e, p) in self.dirty.items()])
            if self.new_cards:
                self.cx.execute(ins(cards).on_conflict_do_nothing(), self.new_cards)
            stmt = ins(progress)
            stmt = stmt.on_conflict_do_update(index_elements=[progress.c.id], set_={
                "offset": stmt.excluded.offset, "redis_id": stmt.excluded.redis_id,
                "clock": stmt.excluded.clock, "rejected": stmt.excluded.rejected})
            self.cx.execute(stmt, {"id": 1, "offset": offset, "redis_id": redis_id, "clock": clock,
                                   "rejected": rejected})
        done, self.new_cards = self.new_cards, []
        self.dirty = {}
        self.offset, self.redis_id, self.clock, self.rejected = offset, redis_id, clock, rejected
        return done

    def close(self):
        self.cx.close()
        self.engine.dispose()
