"""Event validation and the durable-rules guards: key limit, unknown kinds, unmatched events."""
import json

import pytest

from engine.watch.durable import Correlator, EngineRefused
from engine.watch.events import Event, EventError, parse_line
from .helpers import read_jsonl, replay

T = "2024-09-27T09:30:00+08:00"


def ev(**kw):
    return json.dumps({"event": "approval.received", "case_id": "A1", "time": T, **kw}, ensure_ascii=False)


def test_valid_event_becomes_a_record_update():
    e = parse_line(ev(department="市场监管局", item_code="XK-001"))
    assert e.record_kind == "approval" and e.case_id == "A1"
    assert e.updates == {"received_date": "2024-09-27", "department": "市场监管局", "item_code": "XK-001"}


def test_local_date_is_taken_at_plus_eight():
    e = parse_line(ev(time="2024-09-27T17:30:00+00:00"))      # 01:30 on the 28th in Beijing
    assert e.updates["received_date"] == "2024-09-28"


@pytest.mark.parametrize("line,reason", [
    ("not json", "not JSON"),
    ("[1]", "must be a JSON object"),
    (ev(time="2024-09-27T09:30:00"), "has no UTC offset"),
    (ev(time="yesterday"), "not an ISO 8601 time"),
    (json.dumps({"event": "approval.approved", "case_id": "A1", "time": T}), "unknown kind"),
    (json.dumps({"event": "approval.received", "time": T}), "case_id: a non-empty string"),
    (ev(colour="red"), "colour: not a field of approval.received"),
    (json.dumps({"event": "complaint.received", "case_id": "C1", "time": T}), "needs kind 投诉"),
    (json.dumps({"event": "approval.extended", "case_id": "A1", "time": T, "excluded_days": -1}),
     "non-negative number"),
])
def test_refused_with_a_stable_reason(line, reason):
    with pytest.raises(EventError, match=reason):
        parse_line(line)


def test_eleven_keys_are_refused_before_the_engine():
    obj = {"event": "approval.received", "case_id": "A1", "time": T, **{f"k{i}": i for i in range(8)}}
    assert len(obj) == 11
    with pytest.raises(EventError, match=r"too many keys: 11 > 10"):
        parse_line(json.dumps(obj))


def test_over_limit_event_is_listed_and_processing_continues(ruleset, calendar, tmp_path, capsys):
    big = {"event": "approval.received", "case_id": "A0", "time": T, **{f"k{i}": i for i in range(8)}}
    lines = [big, {"event": "approval.received", "case_id": "A1", "time": T},
             {"event": "clock.tick", "time": "2024-12-31T12:00:00+08:00"}]
    m, cards = replay(ruleset, calendar, lines, tmp_path)
    rej = read_jsonl(tmp_path / "rejected_events.jsonl")
    assert [(r["line"], r["reason"][:22]) for r in rej] == [(1, "too many keys: 11 > 10")]
    assert "refused event (events line 1): too many keys" in capsys.readouterr().err
    assert {c["case_id"] for c in cards} == {"A1"}                 # the next events were processed
    assert m.summary()["events"] == 3


def test_unmatched_event_does_not_raise():
    c = Correlator()
    odd = Event("approval.approved", "approval", "A1", None, None, {"received_date": "2024-09-27"})
    with pytest.raises(EngineRefused, match="no rule matched"):
        c.post(odd)
    ok = Event("approval.received", "approval", "A1", None, None, {"received_date": "2024-09-27"})
    assert c.post(ok)["received_date"] == "2024-09-27"        # the engine is still usable


def test_event_of_another_kind_for_a_case_is_refused(ruleset, calendar, tmp_path):
    lines = [{"event": "approval.received", "case_id": "X", "time": T},
             {"event": "disclosure.replied", "case_id": "X", "time": T}]
    replay(ruleset, calendar, lines, tmp_path)
    rej = read_jsonl(tmp_path / "rejected_events.jsonl")
    assert rej[0]["line"] == 2 and "is a approval case" in rej[0]["reason"]


def test_engine_refuses_oversized_messages():
    c = Correlator()
    e = Event("approval.received", "approval", "A1", None, None, {f"k{i}": 1 for i in range(30)})
    with pytest.raises(EngineRefused, match="exceed the engine limit of 28"):
        c.post(e)
