"""Cards from replay: the sample log, the card rules, and the review-equivalence property."""
import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import (ROOT, explained, local_date, read_jsonl, records_from, records_from_log, replay,
                      review_inaction)

SAMPLE = ROOT / "cases" / "events.jsonl"


def sample_lines():
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def test_sample_log_across_national_day_2024(ruleset, calendar, tmp_path):
    m, cards = replay(ruleset, calendar, sample_lines(), tmp_path)
    got = {(c["case_id"], c["card"], c["code"]): (c["deadline"], c["at"]) for c in cards}
    # 投诉 received Fri 27 Sep: 7 working days with the 29 Sep make-up day and 12 Oct (Sat) → 12 Oct
    assert got[("示诉〔2024〕090号", "red", "inaction.complaint_acceptance_overdue")] == \
        ("2024-10-12", "2024-10-13T00:00:00+08:00")
    # yellow when 3 working days remain, the day itself included: 10, 11, 12 Oct from 00:00 of 10 Oct
    assert got[("示诉〔2024〕090号", "yellow", "inaction.complaint_acceptance_overdue")] == \
        ("2024-10-12", "2024-10-10T00:00:00+08:00")
    # accepted 30 Sep → 20 working days → 1 Nov; decided 29 Oct 10:00, when four working days still
    # remained (29, 30, 31 Oct, 1 Nov): no yellow card (due from 00:00 of 30 Oct) and no red
    assert ("示许〔2024〕001号", "yellow", "inaction.approval_overdue") not in got
    assert ("示许〔2024〕001号", "red", "inaction.approval_overdue") not in got
    # never decided: red at 24:00 of 2 Dec
    assert got[("示许〔2024〕002号", "red", "inaction.approval_overdue")] == ("2024-12-02", "2024-12-03T00:00:00+08:00")
    assert got[("示罚〔2024〕017号", "red", "procedure.decision_overdue")][0] == "2024-09-29"
    assert all(set(c) == {"case_id", "card", "code", "deadline", "at"} for c in cards)
    keys = [(c["case_id"], c["code"], c["card"]) for c in cards]
    assert len(keys) == len(set(keys))                       # one card of each colour per case and code
    assert not read_jsonl(tmp_path / "rejected_events.jsonl")


def test_sample_red_cards_match_review(ruleset, calendar, tmp_path):
    m, cards = replay(ruleset, calendar, sample_lines(), tmp_path)
    recs = records_from_log(sample_lines())
    assert_monitor_records_agree(recs, records_from(f"sqlite:///{tmp_path / 'watch.sqlite'}"))
    as_of = dt.date(2024, 12, 31)
    review = review_inaction(ruleset, calendar, recs, as_of)
    red = {(c["case_id"], c["code"]) for c in cards if c["card"] == "red" and c["code"].startswith("inaction.")}
    assert review <= red
    assert red - review <= explained(ruleset, calendar, recs, cards, as_of)
    assert red - review == {("示诉〔2024〕088号", "inaction.complaint_unhandled"),
                            ("示诉〔2024〕090号", "inaction.complaint_unhandled")}
    assert assert_each_red_card_justified(ruleset, calendar, sample_lines(), cards) == len(red)


def test_closing_event_before_the_deadline_stops_cards(ruleset, calendar, tmp_path):
    lines = [{"event": "disclosure.received", "case_id": "D1", "time": "2024-10-08T09:00:00+08:00"},
             {"event": "disclosure.replied", "case_id": "D1", "time": "2024-10-09T09:00:00+08:00"},
             {"event": "clock.tick", "time": "2025-01-10T00:00:00+08:00"}]
    m, cards = replay(ruleset, calendar, lines, tmp_path)
    assert cards == [] and m.summary()["watched_cases"] == 0      # evicted once nothing is left to watch


def test_yellow_window_is_a_parameter(ruleset, calendar, tmp_path):
    lines = [{"event": "disclosure.received", "case_id": "D1", "time": "2024-10-08T09:00:00+08:00"},
             {"event": "clock.tick", "time": "2024-11-06T12:00:00+08:00"}]
    _, cards = replay(ruleset, calendar, lines, tmp_path / "a", yellow_working_days=10)
    yellow = [c for c in cards if c["card"] == "yellow"]
    assert yellow[0]["deadline"] == "2024-11-04" and yellow[0]["at"] == "2024-10-22T00:00:00+08:00"   # 10 working days: 22 Oct … 4 Nov
    assert [c["card"] for c in cards] == ["yellow", "red"]


def test_deadline_learnt_after_it_passed_gets_a_red_card_at_once(ruleset, calendar, tmp_path):
    lines = [{"event": "clock.tick", "time": "2024-12-20T08:00:00+08:00"},
             {"event": "complaint.received", "case_id": "C1", "time": "2024-11-01T09:00:00+08:00", "kind": "投诉"}]
    _, cards = replay(ruleset, calendar, lines, tmp_path)
    assert {(c["card"], c["code"], c["at"]) for c in cards} == {
        ("red", "inaction.complaint_acceptance_overdue", "2024-12-20T08:00:00+08:00"),
        ("red", "inaction.complaint_unhandled", "2024-12-20T08:00:00+08:00")}


def test_unlisted_precondition_is_reported_at_once(ruleset, calendar, tmp_path):
    from engine.review import load_references
    cat = load_references(ROOT / "cases" / "catalog.csv", None, dt.date(2024, 12, 31), ruleset.root).catalogue
    lines = [{"event": "approval.received", "case_id": "A1", "time": "2024-09-27T09:30:00+08:00",
              "department": "市场监管局", "item_code": "XK-001"},
             {"event": "approval.accepted", "case_id": "A1", "time": "2024-09-30T10:00:00+08:00",
              "preconditions": ["QZ-001", "QZ-002"]},
             {"event": "approval.decided", "case_id": "A1", "time": "2024-10-29T10:00:00+08:00"}]
    _, cards = replay(ruleset, calendar, lines, tmp_path, catalogue=cat)
    over = read_jsonl(tmp_path / "overreach.jsonl")
    assert over == [{"case_id": "A1", "finding": "overreach", "code": "overreach.unlisted_precondition",
                     "item_code": "XK-001", "preconditions": ["QZ-002"], "at": "2024-09-30T10:00:00+08:00"}]
    # the catalogue's committed limit (14 working days → 24 Oct) is watched too
    red = {(c["code"], c["deadline"]) for c in cards if c["card"] == "red"}
    assert red == {("inaction.commitment_overdue", "2024-10-24")}


# -- the review-equivalence property ---------------------------------------------------------------
STARTS = [dt.datetime(2024, 9, 20, 9), dt.datetime(2024, 12, 20, 9), dt.datetime(2025, 1, 20, 9),
          dt.datetime(2025, 9, 22, 9), dt.datetime(2024, 4, 28, 9)]     # before 国庆, 元旦, 春节, 国庆, 劳动节
STEPS = {"approval": ["accepted", "extended", "decided"], "disclosure": ["extended", "replied"],
         "complaint": ["accepted", "verified", "handled"]}


@st.composite
def case_log(draw, i, timely=False):
    kind = draw(st.sampled_from(sorted(STEPS)))
    t = draw(st.sampled_from(STARTS)) + dt.timedelta(hours=draw(st.integers(0, 24 * 20)))
    cid = f"{kind[0].upper()}{i}"
    first = {"event": f"{kind}.received", "case_id": cid}
    if kind == "complaint":
        first["kind"] = draw(st.sampled_from(["投诉", "举报"]))
    out = [(t, first)]
    for step in STEPS[kind]:
        if not draw(st.booleans()):
            continue
        gap = draw(st.integers(0, 24 * (6 if timely else 45)))
        t = t + dt.timedelta(hours=gap)
        e = {"event": f"{kind}.{step}", "case_id": cid}
        if step == "extended" and kind == "approval" and draw(st.booleans()):
            e["excluded_days"] = draw(st.integers(1, 5))
        out.append((t, e))
    return out


@st.composite
def event_log(draw, timely=False):
    n = draw(st.integers(1, 6))
    timed = [x for i in range(n) for x in draw(case_log(i, timely))]
    for _ in range(draw(st.integers(0, 3))):
        timed.append((draw(st.sampled_from(STARTS)) + dt.timedelta(hours=draw(st.integers(0, 24 * 90))),
                      {"event": "clock.tick"}))
    timed.sort(key=lambda x: x[0])                               # a log is in time order
    tz = dt.timezone(dt.timedelta(hours=8))
    return [json.dumps({**e, "time": t.replace(tzinfo=tz).isoformat()}, ensure_ascii=False) for t, e in timed]


def assert_monitor_records_agree(from_log: dict, from_monitor: dict):
    """The monitor's persisted case records hold every fact the log gives (merging is checked too)."""
    for cid, rec in from_log.items():
        for k, v in rec.items():
            assert from_monitor[cid].get(k) == v, (cid, k, v, from_monitor[cid].get(k))


def assert_each_red_card_justified(ruleset, calendar, lines, cards) -> int:
    """Exactly, card by card: every red card is a finding of review on what the log had said by the time
    the card was raised (events before it, or up to and including it), judged as of that day."""
    checked = 0
    for c in cards:
        if c["card"] != "red" or not c["code"].startswith("inaction."):
            continue
        at = dt.datetime.fromisoformat(c["at"])
        when = local_date(c["at"])
        before = [x for x in lines if dt.datetime.fromisoformat(json.loads(x)["time"]) < at]
        upto = [x for x in lines if dt.datetime.fromisoformat(json.loads(x)["time"]) <= at]
        key = (c["case_id"], c["code"])
        assert key in review_inaction(ruleset, calendar, records_from_log(before), when) or \
            key in review_inaction(ruleset, calendar, records_from_log(upto), when), c
        checked += 1
    return checked


def _check(ruleset, calendar, tmp_path, lines, strict):
    import shutil
    shutil.rmtree(tmp_path / "p", ignore_errors=True)
    _, cards = replay(ruleset, calendar, lines, tmp_path / "p")
    recs = records_from_log(lines)                         # review's records: folded from the log itself
    assert_monitor_records_agree(recs, records_from(f"sqlite:///{tmp_path / 'p' / 'watch.sqlite'}"))
    as_of = local_date(json.loads(lines[-1])["time"])
    review = review_inaction(ruleset, calendar, recs, as_of)
    red = {(c["case_id"], c["code"]) for c in cards if c["card"] == "red"}
    assert review <= red
    assert red - review <= explained(ruleset, calendar, recs, cards, as_of)
    assert_each_red_card_justified(ruleset, calendar, lines, cards)
    if strict:
        assert red == review
    return red, review


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(event_log())
def test_replay_red_cards_equal_review_findings(ruleset, calendar, tmp_path, lines):
    """Red cards = review's inaction findings on the final records (folded from the log by the test) as of
    the log's last local date, except the red cards the later record no longer supports (each explained
    by the batch evaluator: moved deadline, open_only deadline closed afterwards, subsumed by
    unless_overdue); and every red card is a review finding on the log as it stood when it was raised."""
    _check(ruleset, calendar, tmp_path, lines, strict=False)
