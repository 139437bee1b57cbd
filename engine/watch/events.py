"""Events of the live monitor: one JSON object per line, checked before anything reaches the rules engine.

An event names what happened to one case and when::

    {"event": "approval.accepted", "case_id": "A1", "time": "2025-09-24T10:00:00+08:00", "department": "…"}

An event is refused only when it cannot be used: the line is not a JSON object
(bad JSON, or nesting too deep to parse), ``event`` is not a known kind,
``time`` is not an ISO 8601 time with a UTC offset in a plausible year,
``case_id`` is missing (``clock.tick`` needs none), or one of the kind's own
keys has the wrong type.  Other keys never refuse an event: a key the case's
record kind has (``item_code`` on ``approval.decided``, ``kind`` on
``complaint.accepted``) is carried into the record when its value is usable,
anything else is left out.  What goes to durable-rules is bounded, not the
input line: the fact posted holds at most ``max_keys`` keys (durable-rules
crashes on facts above 28 keys), the kind's own keys first.  A valid event
becomes a small update of its case's record (the review record fields of
``engine.records.kinds``): the event's local (+08:00) date goes into the date
field its kind sets.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

LOCAL = dt.timezone(dt.timedelta(hours=8))
MAX_CASE_ID = 200                  # the state database's case_id column (VARCHAR(200) on PostgreSQL)
MAX_NUMBER = 1e12                  # numbers above are no fine nor a count of days; durable-rules mangles 1e16+
YEARS = (1900, 2999)               # an event time outside these years is a typo, and dates near 9999 overflow
FACT_OVERHEAD = 2                  # sid and event, posted with every fact

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
_ZH_TYPE = {_STR: "字符串", _NUM: "不超过 10^12 的非负数", _BOOL: "布尔值 true/false", _LIST: "字符串列表或以 ; 分隔的文本"}
_EN_TYPE = {_STR: "a string", _NUM: "a non-negative number up to 10^12", _BOOL: "a boolean",
            _LIST: "a list of strings or ;-separated text"}
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


def _record_fields() -> dict[str, dict[str, str]]:
    """Record kind -> every field an event of that kind may set: what a case record of the kind holds."""
    out: dict[str, dict[str, str]] = {}
    for kind, (record_kind, _) in KINDS.items():
        if record_kind:
            out.setdefault(record_kind, {}).update(EXTRA[kind])
    return out


RECORD_FIELDS = _record_fields()
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
    ignored: tuple = ()       # keys of the line left out (not the kind's, not usable, or over the fact limit)


def shown(value, limit: int = 40) -> str:
    """A short printable form of any decoded JSON value for a reason: never the whole of a huge or deeply
    nested value, never a lone surrogate (the reasons are written to UTF-8 files)."""
    if isinstance(value, str):
        return repr(value[:limit])
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)[:limit]
    return type(value).__name__


def clean_text(s: str) -> bool:
    """A string the state database and the rules engine can hold: no NUL (PostgreSQL), no lone surrogate
    (durable-rules and UTF-8 files refuse them)."""
    if "\x00" in s:
        return False
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_time(text) -> dt.datetime:
    if not isinstance(text, str):
        raise EventError("time: 须为带时区的 ISO 8601 时间字符串 (must be an ISO 8601 string such as "
                         "2025-09-24T10:00:00+08:00)")
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise EventError(f"time: 不是 ISO 8601 时间 (not an ISO 8601 time): {shown(text)}") from None
    if t.tzinfo is None:
        raise EventError(f"time: {shown(text)} 缺少时区 (has no UTC offset; write e.g. +08:00)")
    try:
        year = t.astimezone(LOCAL).year
    except (OverflowError, ValueError):
        year = 0
    if not YEARS[0] <= year <= YEARS[1]:
        raise EventError(f"time: 年份须在 {YEARS[0]}–{YEARS[1]} 之间 (year outside {YEARS[0]}–{YEARS[1]}): "
                         f"{shown(text)}")
    return t


def _type_ok(want: str, value) -> bool:
    if want == _STR:
        return isinstance(value, str) and clean_text(value)
    if want == _NUM:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and 0 <= value <= MAX_NUMBER)
    if want == _BOOL:
        return isinstance(value, bool)
    items = value.split(";") if isinstance(value, str) else value
    return isinstance(items, list) and all(isinstance(i, str) and clean_text(i) for i in items)


def typed(kind: str, key: str, want: str, value):
    """The record value of ``value`` for field ``key`` of type ``want``; EventError when it has another type.

    Numbers are kept to 4 decimals: durable-rules cannot read floats written in exponent notation."""
    if not _type_ok(want, value):
        raise EventError(f"{shown(key)[1:-1]}: 须为{_ZH_TYPE[want]} (must be {_EN_TYPE[want]} on {kind})")
    if want == _LIST:
        items = value.split(";") if isinstance(value, str) else value
        return ";".join(i.strip() for i in items if i.strip())
    if want == _NUM and isinstance(value, float):
        return round(value, 4)
    return value


def _normalised(kind: str, updates: dict) -> None:
    """complaint kind and penalty procedure in their canonical spelling; EventError on an unknown one."""
    if kind == "complaint.received" or "kind" in updates:
        k = COMPLAINT_KINDS.get(str(updates.get("kind", "")).strip())
        if k is None:
            raise EventError("kind: complaint.received 须注明 kind 为 投诉 或 举报 (complaint.received needs kind "
                             "投诉 (complaint) or 举报 (report))")
        updates["kind"] = k
    if "procedure" in updates:
        p = PROCEDURES.get(updates["procedure"].strip())
        if p is None:
            raise EventError("procedure: 须为 ordinary/普通 或 simple/简易 (ordinary/普通 or simple/简易)")
        updates["procedure"] = p


def _case_id(kind: str, obj: dict) -> str | None:
    if kind == "clock.tick":
        return None
    case_id = obj.get("case_id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise EventError("case_id: 须为非空字符串 (a non-empty string is required)")
    case_id = case_id.strip()
    if len(case_id) > MAX_CASE_ID or not clean_text(case_id):
        raise EventError(f"case_id: 须为不超过 {MAX_CASE_ID} 个字符的文本，不含 NUL (at most {MAX_CASE_ID} "
                         f"characters of text without NUL): {shown(case_id)}")
    return case_id


def _carried(kind: str, record_kind: str, key: str, value):
    """A key outside the kind's own list, as a record update, or None when the record kind has no such field
    or the value is not usable (left out, the event stays)."""
    want = RECORD_FIELDS.get(record_kind, {}).get(key)
    if want is None:
        return None
    try:
        one = {key: typed(kind, key, want, value)}
        _normalised("", one)
    except EventError:
        return None
    return one[key]


def parse_event(obj, max_keys: int = 10) -> Event:
    """Validate one decoded JSON value; raise EventError with the reason."""
    if not isinstance(obj, dict):
        raise EventError("事件须为 JSON 对象 (an event must be a JSON object)")
    kind = obj.get("event")
    if not isinstance(kind, str) or kind not in KINDS:
        raise EventError(f"event: 未知的事件类型 {shown(kind)} (unknown kind; known: {', '.join(KINDS)})")
    t = parse_time(obj.get("time"))
    record_kind, date_field = KINDS[kind]
    case_id = _case_id(kind, obj)
    local = t.astimezone(LOCAL)
    own: dict = {date_field: local.date().isoformat()} if date_field else {}
    carried: dict = {}
    ignored: list = []
    for key, value in obj.items():
        if key in ("event", "time", "case_id") or value is None:
            continue
        want = EXTRA[kind].get(key)
        if want is not None:
            own[key] = typed(kind, key, want, value)
            continue
        v = _carried(kind, record_kind, key, value)
        if v is None:
            ignored.append(key)
        else:
            carried[key] = v
    _normalised(kind, own)
    if kind.endswith(".extended"):
        own.setdefault("extension_approved", True)
    updates, over = _bounded(own, carried, max_keys)
    return Event(kind, record_kind, case_id, t, local.date(), updates, tuple(ignored + over))


def _bounded(own: dict, carried: dict, max_keys: int) -> tuple[dict, list]:
    """The updates posted to the engine (at most ``max_keys`` keys with sid and event): the kind's own keys
    first, then the carried ones by name; the keys left over."""
    room = max(max_keys - FACT_OVERHEAD, len(own))
    updates = dict(own)
    over = []
    for key in sorted(carried):
        if len(updates) < room:
            updates[key] = carried[key]
        else:
            over.append(key)
    return updates, over


def parse_line(line: str | bytes, max_keys: int = 10) -> Event:
    """One input line as an Event; EventError with the reason for anything that cannot be used.

    Whatever parsing raises becomes a reason: a line of 100,000 ``[`` makes json raise RecursionError,
    and a line that crashed the monitor would crash it again at every restart (it is never committed)."""
    try:
        obj = json.loads(line)
    except RecursionError:
        raise EventError("不是可用的 JSON：嵌套过深 (not JSON: nested too deeply)") from None
    except Exception as e:
        raise EventError(f"不是 JSON (not JSON): {e.__class__.__name__}: {_one_line(e)}") from None
    try:
        return parse_event(obj, max_keys)
    except EventError:
        raise
    except Exception as e:                      # deep values, odd numbers: refused, never a crash
        raise EventError(f"事件无法解析 (event cannot be parsed): {e.__class__.__name__}: {_one_line(e)}") from None


def _one_line(e: Exception) -> str:
    text = str(e)[:80].replace("\n", " ")
    return text.encode("utf-8", "replace").decode("utf-8")
