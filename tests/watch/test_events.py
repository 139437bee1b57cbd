"""Event validation and the durable-rules guards: key limit, unknown kinds, unmatched events."""
import json

import pytest

from engine.watch.durable import Correlator, EngineRefused
from engine.watch.events import Event, EventError, parse_line
from .helpers import read_jsonl, records_from, replay

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
    (json.dumps({"event": "approval.received", "time": T}), "case_id: .*a non-empty string"),
    (ev(department=["a"]), "department: .*must be a string on approval.received"),
    (ev(time="9999-12-31T23:00:00-10:00"), "year outside 1900–2999"),
    (ev(case_id="x" * 201), "at most 200 characters"),
    (ev(applicant="\ud800"), "applicant: .*must be a string"),
    ("[" * 100_000, "nested too deeply"),
    (json.dumps({"event": "complaint.received", "case_id": "C1", "time": T}), "needs kind 投诉"),
    (json.dumps({"event": "approval.extended", "case_id": "A1", "time": T, "excluded_days": -1}),
     "non-negative number"),
])
def test_refused_with_a_stable_reason(line, reason):
    with pytest.raises(EventError, match=reason):
        parse_line(line)


def test_key_limit_bounds_the_fact_not_the_line():
    """The limit keeps durable-rules' facts small (it crashes above 28 keys); an input line with more keys
    is still an event, its own keys first."""
    own = {"department": "市场监管局", "officers": ["张三"], "item_code": "XK-001", "applicant": "某公司",
           "extension_approved": False}
    carried = {"outcome": "准予", "excluded_days": 2, "preconditions": "QZ-1", "intermediaries": "ZJ-1"}
    obj = {"event": "approval.received", "case_id": "A1", "time": T, **own, **carried,
           **{f"k{i}": i for i in range(40)}}
    e = parse_line(json.dumps(obj, ensure_ascii=False))
    assert len(e.updates) + 2 <= 10                                  # sid and event go with it
    assert set(own) | {"received_date"} <= set(e.updates)
    assert {f"k{i}" for i in range(40)} <= set(e.ignored)
    assert len(parse_line(json.dumps(obj), max_keys=28).updates) == 1 + len(own) + len(carried)


def test_event_over_ten_keys_is_used_and_processing_continues(ruleset, calendar, tmp_path):
    big = {"event": "approval.received", "case_id": "A0", "time": T, **{f"k{i}": i for i in range(8)}}
    lines = [big, {"event": "approval.received", "case_id": "A1", "time": T},
             {"event": "clock.tick", "time": "2024-12-31T12:00:00+08:00"}]
    m, cards = replay(ruleset, calendar, lines, tmp_path)
    assert read_jsonl(tmp_path / "rejected_events.jsonl") == []
    assert {c["case_id"] for c in cards} == {"A0", "A1"}
    assert m.summary()["events"] == 3 and m.summary()["used"] == 3


def test_keys_outside_the_kind_are_carried_where_the_record_has_them():
    e = parse_line(json.dumps({"event": "approval.decided", "case_id": "A1", "time": T, "item_code": "XK-001",
                               "colour": "red", "kind": "投诉"}, ensure_ascii=False))
    assert e.updates == {"decided_date": "2024-09-27", "item_code": "XK-001"}
    assert sorted(e.ignored) == ["colour", "kind"]                    # kind is no approval field
    c = parse_line(json.dumps({"event": "complaint.accepted", "case_id": "C1", "time": T, "kind": "report"}))
    assert c.updates == {"accepted_date": "2024-09-27", "kind": "举报"}


def test_unusable_value_of_a_carried_key_leaves_the_key_out_not_the_event():
    e = parse_line(json.dumps({"event": "approval.decided", "case_id": "A1", "time": T, "item_code": 5,
                               "excluded_days": -3}))
    assert e.updates == {"decided_date": "2024-09-27"} and sorted(e.ignored) == ["excluded_days", "item_code"]
    c = parse_line(json.dumps({"event": "complaint.handled", "case_id": "C1", "time": T, "kind": "其他"}))
    assert c.updates == {"handled_date": "2024-09-27"} and c.ignored == ("kind",)


def test_closing_events_with_extra_fields_close_their_cases(ruleset, calendar, tmp_path):
    """An approval.decided carrying item_code, or a complaint.accepted carrying kind, was refused: the case
    never closed and false red cards followed."""
    lines = [{"event": "approval.received", "case_id": "A1", "time": "2024-10-08T09:00:00+08:00"},
             {"event": "approval.accepted", "case_id": "A1", "time": "2024-10-08T10:00:00+08:00"},
             {"event": "approval.decided", "case_id": "A1", "time": "2024-10-10T10:00:00+08:00",
              "item_code": "XK-001", "source_system": "一网通办"},
             {"event": "complaint.received", "case_id": "C1", "time": "2024-10-08T09:00:00+08:00", "kind": "投诉"},
             {"event": "complaint.accepted", "case_id": "C1", "time": "2024-10-09T09:00:00+08:00", "kind": "投诉"},
             {"event": "complaint.handled", "case_id": "C1", "time": "2024-10-10T09:00:00+08:00", "kind": "投诉"},
             {"event": "clock.tick", "time": "2025-03-31T12:00:00+08:00"}]
    m, cards = replay(ruleset, calendar, lines, tmp_path)
    assert read_jsonl(tmp_path / "rejected_events.jsonl") == []
    assert cards == []
    recs = records_from(f"sqlite:///{tmp_path / 'watch.sqlite'}")
    assert recs["A1"]["item_code"] == "XK-001" and recs["A1"]["decided_date"] == "2024-10-10"
    assert recs["C1"]["accepted_date"] == "2024-10-09" and "source_system" not in recs["A1"]


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


def test_engine_error_on_a_post_is_a_refusal_not_a_crash():
    """durable-rules raises its own error on a lone surrogate; events.py refuses those first, and should one
    get through, the engine's error is a refused event."""
    c = Correlator()
    bad = Event("approval.received", "approval", "A1", None, None, {"department": "\ud800"})
    with pytest.raises(EngineRefused, match="rules engine refused"):
        c.post(bad)


def test_engine_refuses_oversized_messages():
    c = Correlator()
    e = Event("approval.received", "approval", "A1", None, None, {f"k{i}": 1 for i in range(30)})
    with pytest.raises(EngineRefused, match="exceed the engine limit of 28"):
        c.post(e)
