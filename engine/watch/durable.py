"""The one module that talks to durable-rules: per-case state and event correlation.

durable-rules (2.0.28, unmaintained since 2020) keeps one session per case
(``sid`` = case_id) whose state is the case's record; one rule per event kind
matches the posted event and merges it into that state.  Its known failure
modes are guarded here and in ``engine.watch.events``:

* facts above 28 keys crash the engine — the fact posted holds at most
  ``watch_max_event_keys`` (10) keys whatever the input line holds (events.py
  leaves the rest out), and a posted message or a session state above
  ``MAX_KEYS`` raises here instead of reaching the C engine;
* lone surrogates, floats in exponent notation and non-finite numbers make
  the C engine raise — events.py refuses or rounds them first, and any other
  error of the engine on a post is a refused event here, never a crash;
* very many rules crash it — ONE ruleset per process with one rule per event
  kind (14), never one per case or per deadline; monitors in one process share
  it and keep their cases apart by a sid prefix;
* a message no rule matches raises ``MessageNotHandledException`` — caught and
  reported as "no rule matched" (the event is then ignored, never a crash);
* at most 1,024 sessions per ruleset (MemoryError beyond) — at most 512 cases
  are resident, least recently used out first, and a case with nothing left to
  watch is deleted at once; a case that comes back is restored from its record
  (memory or database).

Timers are not durable-rules timers: those run on the wall clock only, and
replay must take event time as the clock.  The monitor keeps its own
threshold heap (engine.watch.monitor).
"""
from __future__ import annotations

import itertools
import json

from durable import engine as _engine
from durable import lang as _lang

from engine.watch.events import KINDS, Event

MAX_KEYS = 28                       # durable-rules' documented crash threshold per fact
_SYSTEM = ("sid", "id", "$s")
_names = itertools.count(1)


class EngineRefused(ValueError):
    pass


def merge_updates(record: dict, updates: dict) -> dict:
    """Apply an event's updates to a case record in place; return what changed.

    Dates keep the earliest value seen (a second 'decided' never moves a decision later);
    ``excluded_days`` add up (each hearing, test or expert review adds its time); other fields take
    the last value.
    """
    changed = {}
    for k, v in updates.items():
        old = record.get(k)
        if k.endswith("_date"):
            if old is not None and old <= v:
                continue
        elif k == "excluded_days":
            v = (old or 0) + v
        elif old == v:
            continue
        record[k] = v
        changed[k] = v
    return changed


_RULESET: str | None = None
_slot: dict = {}                    # the action's answer to the post that triggered it (posts are synchronous)


def _action(record_kind: str):
    def action(c):
        state = c.s._d
        msg = c._m.get("m", c._m)          # a single-fact rule's message comes wrapped as {"m": …}
        have = state.get("record_kind")
        if have and have != record_kind:
            _slot["conflict"] = have
            return
        state["record_kind"] = record_kind
        merge_updates(state, {k: v for k, v in msg.items() if k not in ("sid", "id", "event")})
        if len(state) > MAX_KEYS:
            raise EngineRefused(f"案件状态将有 {len(state)} 个键，超过 {MAX_KEYS} (case state would hold "
                                f"{len(state)} keys, > {MAX_KEYS})")
        _slot["result"] = {k: v for k, v in state.items() if k not in _SYSTEM}
    return action


class _QuietHost(_engine.Host):
    """A host without durable-rules' two background dispatch threads: they poll the C engine every
    0.1–0.5 s for queued messages and timers (neither is used here) and race with the caller's own
    calls — the test suite hit SIGSEGV with them running."""

    def _run(self):
        pass


_HOST: _QuietHost | None = None


def _ruleset() -> str:
    """The ruleset, created once per process on a private host: every Correlator shares it (durable-rules
    also misbehaves when many rulesets pile up) and keeps its cases apart by a sid prefix."""
    global _RULESET, _HOST
    if _RULESET is None:
        name = "zhunsheng_watch"
        with _lang.ruleset(name):
            for kind, (record_kind, _) in KINDS.items():
                if record_kind:
                    _lang.when_all(_lang.m.event == kind)(_action(record_kind))
        full, definition = _lang._rulesets.pop(name).define()
        _HOST = _QuietHost()
        _HOST.register_rulesets({full: definition})
        _RULESET = name
    return _RULESET


class Correlator:
    """Cases' records held in the durable-rules ruleset; ``post`` returns the record after the event.

    durable-rules keeps at most 1,024 sessions per ruleset (the 1,025th raises MemoryError — found by the
    restart tests), so at most ``resident`` cases live in the engine at once, least recently used out
    first; a case that comes back is restored from the record the caller holds (memory or database).
    """

    def __init__(self, resident: int = 512):
        from collections import OrderedDict
        self.name = _ruleset()
        self.prefix = f"{next(_names)}:"
        self.cap = resident
        self.resident: OrderedDict = OrderedDict()

    def post(self, ev: Event, record: dict | None = None) -> dict:
        """The case's record after ``ev`` (``record``: what the caller holds, restored if the case is not
        resident); raises EngineRefused with a reason when the engine cannot take it."""
        msg = {"sid": self.prefix + ev.case_id, "event": ev.kind, **ev.updates}
        if len(msg) > MAX_KEYS:
            raise EngineRefused(f"{len(msg)} 个键超过规则引擎上限 {MAX_KEYS} ({len(msg)} keys exceed the engine "
                                f"limit of {MAX_KEYS})")
        self._make_resident(ev.case_id, record)
        _slot.clear()
        try:
            _HOST.post(self.name, msg)
        except _engine.MessageNotHandledException:
            raise EngineRefused(f"没有规则匹配该事件 (no rule matched event {ev.kind!r})") from None
        except EngineRefused:
            raise
        except Exception as e:           # the C engine's own error: the event is refused, the monitor goes on
            raise EngineRefused(f"规则引擎拒绝该事件 (the rules engine refused the event): "
                                f"{e.__class__.__name__}: {str(e)[:80]}") from None
        if "conflict" in _slot:
            raise EngineRefused(f"案件 {ev.case_id} 是 {_slot['conflict']} 案件，{ev.kind} 不适用 (case {ev.case_id} "
                                f"is a {_slot['conflict']} case; {ev.kind} does not apply to it)")
        if "result" not in _slot:
            raise EngineRefused(f"没有规则匹配该事件 (no rule matched event {ev.kind!r})")
        return _slot["result"]

    def _make_resident(self, case_id: str, record: dict | None):
        if case_id in self.resident:
            self.resident.move_to_end(case_id)
            return
        while len(self.resident) >= self.cap:
            old, _ = self.resident.popitem(last=False)
            _HOST.delete_state(self.name, self.prefix + old)
        if record:
            if len(record) + 3 > MAX_KEYS:
                raise EngineRefused(f"案件状态将有 {len(record) + 3} 个键，超过 {MAX_KEYS} (case state would "
                                    f"hold {len(record) + 3} keys, > {MAX_KEYS})")
            _HOST.update_state(self.name, {"sid": self.prefix + case_id, **record})
        self.resident[case_id] = None

    def evict(self, case_id: str):
        if self.resident.pop(case_id, 0) is None:
            _HOST.delete_state(self.name, self.prefix + case_id)

    def close(self):
        """Give back every resident session: the 1,024-session limit is per ruleset, and the ruleset is
        shared by every Correlator of the process."""
        for case_id in list(self.resident):
            self.evict(case_id)

    def state(self, case_id: str) -> dict | None:
        s = _HOST.get_state(self.name, self.prefix + case_id)
        return {k: v for k, v in s.items() if k not in _SYSTEM} if s else None


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
