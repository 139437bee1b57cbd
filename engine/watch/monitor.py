"""The live monitor: a clock, a heap of upcoming thresholds, yellow and red cards.

For every open deadline of a case (engine.watch.deadlines) two thresholds are
scheduled: yellow (预警) at 00:00 +08:00 of the first day at whose start
``watch_yellow_working_days`` working days or fewer remain (that day included), red (超时) at 24:00
+08:00 of the due date.  The clock is the event time in replay (the latest
time seen; ``clock.tick`` only moves it) and the wall clock live.  Before an
event is applied the clock moves to it and every threshold it passes fires in
time order, with ``at`` = the threshold instant (what a timer would have done);
a deadline first learnt after its threshold fires at once with ``at`` = the
clock.  A deadline learnt only after its red threshold gets a red card only.
A closing event stops every further card of that deadline; one card of each
colour per case and code, ever.

Per event the work is O(log n) in the number of watched thresholds: no scan
over cases.  A case with nothing left to watch leaves the durable-rules engine
and memory; its record stays in the database.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.watch.deadlines import CalendarGap, DueDates
from engine.watch.durable import Correlator, EngineRefused, dumps
from engine.watch.events import LOCAL, Event, EventError, parse_line, shown
from engine.watch.show import StdoutPosition, display, stdout_gone, write_stdout
from engine.watch.state import Store

_EPOCH_ORD = dt.date(1970, 1, 1).toordinal()
_TZ = 8 * 3600


def day_start(ordinal: int) -> float:
    """Epoch seconds of 00:00 +08:00 on the day."""
    return (ordinal - _EPOCH_ORD) * 86400 - _TZ


def iso_at(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, LOCAL).isoformat()


@dataclass
class Case:
    kind: str
    record: dict
    emitted: set
    version: int = 0
    pending: int = 0                     # heap entries of the current version not yet fired


class Monitor:
    def __init__(self, ruleset, calendar, store: Store, out_dir: Path, replay: bool = True,
                 catalogue=None, echo=None, yellow_working_days: int | None = None, max_keys: int | None = None,
                 commit_every: int = 2000, commit_seconds: float = 0.05):
        self.ruleset = ruleset
        self.dues = DueDates(ruleset, calendar)
        self.store = store
        self.out = Path(out_dir)
        self.replay = replay
        self.catalogue = catalogue
        self.echo = echo or write_stdout            # gets the stdout form of a card line (show.display)
        self._stdout_open = True
        self.yellow_wd = int(yellow_working_days if yellow_working_days is not None
                             else ruleset.value("watch_yellow_working_days"))
        self.max_keys = int(max_keys if max_keys is not None else ruleset.value("watch_max_event_keys"))
        self.commit_every, self.commit_seconds = commit_every, commit_seconds
        self.engine = Correlator()
        self.cases: dict[str, Case] = {}
        self.heap: list = []
        self.clock: float | None = store.clock
        self.offset = store.offset
        self.start_offset = store.offset          # input lines an earlier run already committed
        self.redis_id = store.redis_id
        self.rejected = store.rejected
        self.rejected_lines: list[str] = []
        self.uncommitted = 0
        self.last_commit = time.monotonic()
        self.events = 0                      # lines handled by this run: used + refused + blank
        self.used = 0
        self.refused = 0
        self.blank = 0
        self._noted: set = set()             # (kind, key) pairs of keys left out already noted on stderr
        self._catalogue_cache: dict = {}
        self._versions = itertools.count(1)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._resume_files()
        except OSError as e:
            raise InputError(f"无法写入输出目录 (cannot write to the output folder) {self.out}: "
                             f"{e.__class__.__name__}: {e.strerror or e}") from None
        for case_id, record, emitted in store.pending_cases():
            self._restore(case_id, record, emitted)

    # -- start and files --------------------------------------------------------------------------
    def _resume_files(self):
        """cards.jsonl / overreach.jsonl rewritten from the database (the truth); committed cards that
        never reached stdout before a crash (stdout.pos) are printed now; rejected_events.jsonl cut to its
        committed lines."""
        paths = {"card": self.out / "cards.jsonl", "overreach": self.out / "overreach.jsonl"}
        legacy = sum(_count_lines(p) for p in paths.values())      # a folder written before stdout.pos
        lines = self.store.card_lines()
        by = {"card": [], "overreach": []}
        for _, card, line in lines:
            by["overreach" if card == "overreach" else "card"].append(line)
        for k, p in paths.items():
            p.write_text("".join(x + "\n" for x in by[k]), encoding="utf-8")
        rp = self.out / "rejected_events.jsonl"
        kept = rp.read_bytes().split(b"\n")[:-1][:self.rejected] if rp.exists() else []    # whole lines only
        rp.write_bytes(b"".join(x + b"\n" for x in kept))
        self._cards_f = open(paths["card"], "a", encoding="utf-8")
        self._over_f = open(paths["overreach"], "a", encoding="utf-8")
        self._rej_f = open(rp, "a", encoding="utf-8")
        self.stdout_pos = StdoutPosition(self.out / "stdout.pos", legacy)
        if self.stdout_pos.value > len(lines):         # another database's count: show this one's cards
            self.stdout_pos.set(0)
        for _, _, line in lines[self.stdout_pos.value:]:
            self._show(line)

    def _show(self, line: str):
        """Print one committed card line on stdout, then count it as shown (stdout.pos)."""
        if not self._stdout_open:
            return
        try:
            self.echo(display(line))
        except BrokenPipeError:
            self._stdout_open = False
            stdout_gone()
            return
        try:
            self.stdout_pos.advance()
        except OSError as e:
            raise InputError(f"无法写入输出目录 (cannot write to the output folder) {self.out}: "
                             f"{e.__class__.__name__}: {e.strerror or e}") from None

    def _restore(self, case_id, record, emitted):
        case = Case(record.get("record_kind", ""), record, emitted)
        self.cases[case_id] = case
        self._schedule(case_id, case)

    # -- input ------------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time()

    def handle_line(self, line, lineno: int | None = None, source: str = "events", redis_id: str | None = None):
        """One input line (str or bytes) at line ``lineno`` of the events input, or Redis entry ``redis_id``.

        Every line is used, refused with a reason, or blank (counted, nothing done).  The position is
        recorded with the state it produced, so a restart never applies an event twice (excluded_days add
        up) nor skips one."""
        self.events += 1
        if not line.strip():
            self.blank += 1
        else:
            try:
                ev = parse_line(line, self.max_keys)
            except EventError as e:
                self._reject(lineno, source, e.reason, line)
            else:
                if self.handle(ev, lineno, source, line):
                    self.used += 1
                    if ev.ignored:
                        self._note_left_out(ev, lineno, source)
        if redis_id is not None:
            self.redis_id = redis_id
        else:
            self.offset = lineno if lineno is not None else self.offset + 1
        self.uncommitted += 1
        if self.uncommitted >= self.commit_every or \
                time.monotonic() - self.last_commit >= self.commit_seconds:
            self.commit()

    def handle(self, ev: Event, lineno=None, source="events", line="") -> bool:
        """Apply one event; False when it was refused (listed with its reason)."""
        t = ev.time.timestamp() if self.replay else self.now()
        self.advance(t)
        if ev.case_id is None:            # clock.tick
            return True
        case = self.cases.get(ev.case_id)
        if case is None:
            loaded = self.store.load(ev.case_id)
            if loaded is not None:
                record, emitted = loaded
                case = Case(record.get("record_kind", ""), record, emitted)
            else:
                case = Case(ev.record_kind, {}, set())
            self.cases[ev.case_id] = case
        try:
            record = self.engine.post(ev, case.record)
        except EngineRefused as e:
            self._reject(lineno, source, str(e), line)
            self._settle(ev.case_id, case)
            return False
        case.record, case.kind = record, record["record_kind"]
        if self.catalogue is not None and case.kind == "approval":
            self._catalogue(ev, case)
        used = True
        try:
            self._schedule(ev.case_id, case)
        except CalendarGap as e:
            self._reject(lineno, source, str(e), line)
            used = False
        self._settle(ev.case_id, case)
        return used

    def _settle(self, case_id, case):
        self.store.save(case_id, case.record, case.emitted, case.pending > 0)
        if case.pending == 0:
            self.cases.pop(case_id, None)
            self.engine.evict(case_id)

    def _reject(self, lineno, source, reason, line):
        self.rejected += 1
        self.refused += 1
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
        text = text.strip()[:500].encode("utf-8", "replace").decode("utf-8")
        obj = {"line": lineno, "source": source, "reason": reason, "event": text}
        self.rejected_lines.append(dumps(obj))
        sys.stderr.write(f"事件无法使用 (event refused) [{_where(source, lineno)}]: {reason}\n")

    def _note_left_out(self, ev: Event, lineno, source):
        """Keys of a used event left out, on stderr the first time per event kind and key (20 at most):
        the line stays in the events log; only what goes to the rules engine is bounded."""
        for key in ev.ignored:
            if len(self._noted) >= 20 or (ev.kind, key) in self._noted:
                continue
            self._noted.add((ev.kind, key))
            sys.stderr.write(f"字段未使用 (key not used) [{_where(source, lineno)}]: {shown(key)}：{ev.kind} 及其记录无此"
                             f"字段、值不可用或超出键数上限 (not a field of {ev.kind} nor of its record, not usable, "
                             "or over the key limit of the rules engine's fact)\n")

    # -- catalogue (overreach visible in one event) ----------------------------------------------------
    def _catalogue(self, ev: Event, case: Case):
        r = case.record
        key = (r.get("department") or "", r.get("item_code") or "", r.get("received_date"))
        attrs = self._catalogue_cache.get(key)
        if attrs is None:
            attrs = self._catalogue_attrs(*key)
            self._catalogue_cache[key] = attrs
        case.record = r = {**r, **{k: v for k, v in attrs.items() if k != "item_listed"}}
        if ev.kind != "approval.accepted" or not attrs["item_listed"]:
            return
        item = r.get("item_code") or ""
        rs = self.ruleset
        for column, allowed, code, param in (
                ("preconditions", self.catalogue.preconditions, "overreach.unlisted_precondition",
                 "unlisted_precondition_check"),
                ("intermediaries", self.catalogue.intermediaries, "overreach.mandatory_intermediary",
                 "mandatory_intermediary_check")):
            if column not in ev.updates or not rs.value(param) or f"overreach:{code}" in case.emitted:
                continue
            extra = [c for c in ev.updates[column].split(";") if c and (item, c) not in allowed]
            if extra:
                case.emitted.add(f"overreach:{code}")
                line = dumps({"case_id": ev.case_id, "finding": "overreach", "code": code,
                              "item_code": item, column: extra, "at": iso_at(self.clock)})
                self.store.add_card(ev.case_id, code, "overreach", line)

    def _catalogue_attrs(self, department, item, received):
        import numpy as np
        when = np.array([received or "NaT"], dtype="datetime64[D]")
        listed = bool(self.catalogue.listed(np.array([department], dtype=object), np.array([item], dtype=object),
                                            when)[0])
        out = {"item_listed": listed, "statutory_limit_wd": None, "committed_limit_wd": None,
               "deemed_approval": False}
        key = f"{department.strip()}\x1f{item.strip()}"
        if listed and key in self.catalogue.attributes.index:
            a = self.catalogue.attributes.loc[key]
            for name in ("statutory_limit_wd", "committed_limit_wd"):
                v = a[name]
                out[name] = float(v) if v is not None and v == v else None
            out["deemed_approval"] = bool(a["deemed_approval"]) if a["deemed_approval"] == a["deemed_approval"] \
                else False
        return out

    # -- thresholds ----------------------------------------------------------------------------------
    def _schedule(self, case_id: str, case: Case):
        """Push the thresholds of the case's open deadlines (a new version voids older heap entries)."""
        case.version = next(self._versions)
        case.pending = 0
        clock = self.clock if self.clock is not None else float("-inf")
        now_cards = []
        for d in self.dues.schedule(case.kind, case.record):
            if d.due is None or d.closed is not None:
                continue
            red_at = day_start(d.due + 1)
            if f"red:{d.code}" in case.emitted:
                continue
            if red_at <= clock:
                now_cards.append(("red", d, clock))
                continue
            if f"yellow:{d.code}" not in case.emitted:
                yellow_at = day_start(self.dues.yellow_day(d.due, self.yellow_wd))
                if yellow_at <= clock:
                    now_cards.append(("yellow", d, clock))
                else:
                    heapq.heappush(self.heap, (yellow_at, 0, case_id, case.version, d.code, d.due))
                    case.pending += 1
            heapq.heappush(self.heap, (red_at, 1, case_id, case.version, d.code, d.due))
            case.pending += 1
        for card, d, at in now_cards:
            self._emit(case_id, case, card, d.code, d.due, at)

    def advance(self, t: float):
        """Move the clock to ``t`` (never back) and fire every threshold up to it, in time order."""
        if self.clock is not None and t <= self.clock:
            return
        heap = self.heap
        while heap and heap[0][0] <= t:
            at, colour, case_id, version, code, due = heapq.heappop(heap)
            case = self.cases.get(case_id)
            if case is None or case.version != version:
                continue
            case.pending -= 1
            self.clock = at
            self._emit(case_id, case, "red" if colour else "yellow", code, due, at)
            if case.pending == 0:
                self._settle(case_id, case)
        self.clock = t

    def _emit(self, case_id, case, card, code, due, at):
        key = f"{card}:{code}"
        if key in case.emitted:
            return
        case.emitted.add(key)
        if not self.replay:
            at = max(at, self.now())
        line = dumps({"case_id": case_id, "card": card, "code": code,
                      "deadline": dt.date.fromordinal(due).isoformat(), "at": iso_at(at)})
        self.store.add_card(case_id, code, card, line)
        self.store.save(case_id, case.record, case.emitted, case.pending > 0)

    # -- commit ------------------------------------------------------------------------------------
    def commit(self):
        done = self.store.commit(self.offset, self.redis_id, self.clock, self.rejected)
        self.uncommitted = 0
        try:
            self._append(done)
        except OSError as e:        # disk full, folder removed: rerun once fixed, the database has it all
            raise InputError(f"无法写入输出目录 (cannot write to the output folder) {self.out}: "
                             f"{e.__class__.__name__}: {e.strerror or e}") from None
        for c in done:
            self._show(c["line"])
        self.last_commit = time.monotonic()

    def _append(self, done: list[dict]):
        for c in done:
            f = self._over_f if c["card"] == "overreach" else self._cards_f
            f.write(c["line"] + "\n")
        self._cards_f.flush()
        self._over_f.flush()
        if self.rejected_lines:
            self._rej_f.write("".join(x + "\n" for x in self.rejected_lines))
            self._rej_f.flush()
            self.rejected_lines = []

    def next_threshold(self) -> float | None:
        while self.heap:
            at, _, case_id, version, *_ = self.heap[0]
            case = self.cases.get(case_id)
            if case is None or case.version != version:
                heapq.heappop(self.heap)
                continue
            return at
        return None

    def close(self):
        self.commit()
        for f in (self._cards_f, self._over_f, self._rej_f):
            f.close()
        self.stdout_pos.close()
        self.engine.close()

    def summary(self) -> dict:
        """``events`` = ``used`` + ``refused`` + ``blank`` (this run); ``rejected`` counts every run's refusals."""
        return {"events": self.events, "used": self.used, "refused": self.refused, "blank": self.blank,
                "rejected": self.rejected, "watched_cases": len(self.cases), "heap": len(self.heap)}


def _where(source: str, lineno) -> str:
    return source if lineno is None else f"{source} 第 {lineno} 行 (line {lineno})"


def _count_lines(p: Path) -> int:
    if not p.exists():
        return 0
    with open(p, "rb") as f:
        return sum(1 for line in f if line.endswith(b"\n"))
