"""Events of the live monitor: one JSON object per line, checked before anything reaches the rules engine.

An event names what happened to one case and when::

    {"event": "approval.accepted", "case_id": "A1", "time": "2025-09-24T10:00:00+08:00", "department": "…"}

Checks, in order, each with a stable reason: the line is a JSON object; it has
at most ``max_keys`` keys (durable-rules crashes on facts above 28 keys, the
contract allows 10); ``event`` is a known kind; ``time`` is an ISO 8601 time
with a UTC offset; ``case_id`` is a non-empty string (``clock.tick`` needs
none); every other key is one the kind allows, with the right type.  A valid
event becomes a small update of its case's record (the review record fields of
``engine.records.kinds``): the event's local (+08:00) date goes into the date
field its kind sets.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

LOCAL = dt.timezone(dt.timedelta(hours=8))

# event kind -> (record kind, date field the event sets)
KINDS: dict[str, tuple[str, str | None]] = {
    "approval.received": ("approval", "received_date"),
    "approval.accepted": ("approval", "accepted_date"),
    "approval.extended": ("approval", None),
    "approval.decided": ("approval", "decided_date"),
    "disclosure.received": ("disclosure", "received_date"),
    "disclosure.extended": ("disclosure", None),
    "disclosure.replied": ("disclosure", "replied_date"),
    "complaint.received": ("complaint", "received_date"),
    "complaint.accepted": ("complaint", "accepted_date"),
    "complaint.verified": ("complaint", "verified_date"),
    "complaint.handled": ("complaint", "handled_date"),
    "penalty.filed": ("penalty", "filed_date"),
    "penalty.decided": ("penalty", "decision_date"),
    "penalty.publicized": ("penalty", "publicized_date"),
    "clock.tick": ("", None),
}

_STR, _NUM, _BOOL, _LIST = "string", "number", "boolean", "list"
_COMMON = {"department": _STR, "officers": _LIST}
# optional keys per event kind (besides event, case_id, time) and their JSON types
EXTRA: dict[str, dict[str, str]] = {
    "approval.received": {**_COMMON, "item_code": _STR, "applicant": _STR, "extension_approved": _BOOL},
    "approval.accepted": {**_COMMON, "item_code": _STR, "preconditions": _LIST, "intermediaries": _LIST},
    "approval.extended": {**_COMMON, "extension_approved": _BOOL, "excluded_days": _NUM},
    "approval.decided": {**_COMMON, "outcome": _STR},
    "disclosure.received": {**_COMMON, "applicant": _STR},
    "disclosure.extended": {**_COMMON, "extension_approved": _BOOL},
    "disclosure.replied": dict(_COMMON),
    "complaint.received": {**_COMMON, "kind": _STR},
    "complaint.accepted": {**_COMMON, "extension_approved": _BOOL},
    "complaint.verified": dict(_COMMON),
    "complaint.handled": dict(_COMMON),
    "penalty.filed": {**_COMMON, "violation_code": _STR, "extension_approved": _BOOL},
    "penalty.decided": {**_COMMON, "violation_code": _STR, "procedure": _STR, "fine": _NUM, "sanctions": _LIST,
                        "extension_approved": _BOOL},
    "penalty.publicized": dict(_COMMON),
    "clock.tick": {},
}
COMPLAINT_KINDS = {"投诉": "投诉", "complaint": "投诉", "举报": "举报", "report": "举报"}
PROCEDURES = {"ordinary": "ordinary", "普通": "ordinary", "simple": "simple", "简易": "simple"}


class EventError(ValueError):
    """An event refused before it reaches the engine; ``reason`` is a stable one-line text."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Event:
    kind: str                 # e.g. approval.accepted
    record_kind: str          # approval | disclosure | complaint | penalty | "" (clock.tick)
    case_id: str | None
    time: dt.datetime         # aware
    date: dt.date             # local (+08:00) date of ``time``
    updates: dict = field(default_factory=dict)   # record field -> value (dates as ISO strings)


def parse_time(text) -> dt.datetime:
    if not isinstance(text, str):
        raise EventError("time: must be an ISO 8601 string such as 2025-09-24T10:00:00+08:00")
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise EventError(f"time: not an ISO 8601 time: {text[:40]!r}") from None
    if t.tzinfo is None:
        raise EventError(f"time: {text[:40]!r} has no UTC offset (write e.g. +08:00)")
    return t


def _typed(kind: str, key: str, want: str, value):
    ok = {_STR: isinstance(value, str),
          _NUM: isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and value >= 0,
          _BOOL: isinstance(value, bool),
          _LIST: isinstance(value, (list, str))}[want]
    if not ok:
        raise EventError(f"{key}: must be a {'non-negative number' if want == _NUM else want} on {kind}")
    if want == _LIST:
        items = value.split(";") if isinstance(value, str) else value
        if not all(isinstance(i, str) for i in items):
            raise EventError(f"{key}: must be a list of strings on {kind}")
        return ";".join(i.strip() for i in items if i.strip())
    return value


def parse_event(obj, max_keys: int = 10) -> Event:
    """Validate one decoded JSON value; raise EventError with the reason."""
    if not isinstance(obj, dict):
        raise EventError("an event must be a JSON object")
    if len(obj) > max_keys:
        raise EventError(f"too many keys: {len(obj)} > {max_keys} (the limit keeps facts small for the rules "
                         "engine; send fewer fields)")
    kind = obj.get("event")
    if kind not in KINDS:
        raise EventError(f"event: unknown kind {str(kind)[:40]!r} (known: {', '.join(KINDS)})")
    t = parse_time(obj.get("time"))
    record_kind, date_field = KINDS[kind]
    case_id = obj.get("case_id")
    if kind == "clock.tick":
        case_id = None
    elif not isinstance(case_id, str) or not case_id.strip():
        raise EventError("case_id: a non-empty string is required")
    allowed = EXTRA[kind]
    local = t.astimezone(LOCAL)
    updates = {}
    if date_field:
        updates[date_field] = local.date().isoformat()
    for key, value in obj.items():
        if key in ("event", "time", "case_id") or value is None:
            continue
        want = allowed.get(key)
        if want is None:
            raise EventError(f"{key}: not a field of {kind} (allowed: "
                             f"{', '.join(['event', 'case_id', 'time', *allowed]) if allowed else 'event, time'})")
        updates[key] = _typed(kind, key, want, value)
    if kind == "complaint.received":
        k = COMPLAINT_KINDS.get(str(updates.get("kind", "")).strip())
        if k is None:
            raise EventError("kind: complaint.received needs kind 投诉 (complaint) or 举报 (report)")
        updates["kind"] = k
    if "procedure" in updates:
        p = PROCEDURES.get(updates["procedure"].strip())
        if p is None:
            raise EventError("procedure: ordinary/普通 or simple/简易")
        updates["procedure"] = p
    if kind.endswith(".extended"):
        updates.setdefault("extension_approved", True)
    return Event(kind, record_kind, case_id.strip() if case_id else None, t, local.date(), updates)


def parse_line(line: str | bytes, max_keys: int = 10) -> Event:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as e:
        raise EventError(f"not JSON: {e.__class__.__name__}: {str(e)[:80]}") from None
    return parse_event(obj, max_keys)

