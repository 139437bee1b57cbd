"""The monitor's scalar due dates agree with the batch evaluator (engine/deadlines/evaluate.py)."""
import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch import review_batch
from engine.watch.deadlines import DueDates

D0 = dt.date(2023, 12, 1)


def day(lo=0, hi=760):
    return st.integers(lo, hi).map(lambda n: D0 + dt.timedelta(days=n))


def later(d, hi=70):
    return st.one_of(st.none(), st.integers(0, hi).map(lambda n: (d + dt.timedelta(days=n))))


@st.composite
def record(draw, kind):
    r = {"record_kind": kind, "received_date": draw(day())}
    if kind == "approval":
        r["accepted_date"] = draw(later(r["received_date"], 25))
        r["incomplete_notice_date"] = draw(st.none() | st.just(r["received_date"] + dt.timedelta(days=2)))
        r["decided_date"] = draw(later(r["accepted_date"] or r["received_date"], 60))
        r["excluded_days"] = draw(st.none() | st.integers(0, 6))
    elif kind == "disclosure":
        r["received_date"] = draw(st.one_of(day(), st.just(dt.date(2019, 5, 14)), st.just(dt.date(2019, 5, 15))))
        r["replied_date"] = draw(later(r["received_date"], 60))
    else:
        r["kind"] = draw(st.sampled_from(["投诉", "举报"]))
        r["accepted_date"] = draw(later(r["received_date"], 15))
        r["verified_date"] = draw(later(r["received_date"], 40))
        r["handled_date"] = draw(later(r["received_date"], 60))
    r["extension_approved"] = draw(st.booleans())
    return r


def iso(r):
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items() if v is not None}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["approval", "disclosure", "complaint"]).flatmap(
    lambda k: st.lists(record(k), min_size=1, max_size=25)), day(300, 800))
def test_scalar_due_dates_equal_the_batch_evaluator(ruleset, calendar, records, as_of):
    records = [{"case_id": f"K{i}", **iso(r)} for i, r in enumerate(records)]
    raw = pd.DataFrame(records).astype(object)
    part = review_batch(raw, ruleset, as_of, calendar).parts[0]
    assert not part.records.rejections.mask.any()
    dues = DueDates(ruleset, calendar)
    for i, rec in enumerate(records):
        mine = {d.rule_id: d for d in dues.schedule(rec["record_kind"], rec)}
        for o in part.outcomes:
            d = mine[o.rule.id]
            if o.applies[i]:
                assert d.due == o.due[i].astype(dt.date).toordinal(), (rec, o.rule.id)
                closed = None if np.isnat(o.closed[i]) else o.closed[i].astype(dt.date).toordinal()
                assert d.closed == closed
            else:
                assert d.due is None, (rec, o.rule.id)


def test_rule_file_examples(ruleset, calendar):
    dues = DueDates(ruleset, calendar)
    o = dt.date.fromordinal
    s = {d.rule_id: d for d in dues.schedule("approval", {"received_date": "2024-09-27",
                                                           "accepted_date": "2024-09-30"})}
    assert o(s["LIC-32"].due) == dt.date(2024, 10, 10) and o(s["LIC-42"].due) == dt.date(2024, 11, 1)
    s = {d.rule_id: d for d in dues.schedule("approval", {"received_date": "2024-09-27", "accepted_date":
                                                           "2024-09-30", "extension_approved": True,
                                                           "excluded_days": 3})}
    assert o(s["LIC-42"].due) == dt.date(2024, 11, 20)
    s = {d.rule_id: d for d in dues.schedule("complaint", {"received_date": "2024-09-27", "kind": "投诉"})}
    assert o(s["CMP-14"].due) == dt.date(2024, 10, 12) and o(s["CMP-unhandled"].due) == dt.date(2024, 10, 12)
    assert s["PRC-18"].due is None


def test_yellow_day_counts_working_days(ruleset, calendar):
    dues = DueDates(ruleset, calendar)
    due = dt.date(2024, 10, 10).toordinal()
    # at 00:00 of a day the whole day remains: working days in [day, 10 Oct]. At the start of 30 Sep four
    # remain (30 Sep, 8, 9, 10 Oct); from 1 Oct (the National Day break, 1–7 Oct) three: 8, 9, 10 Oct
    assert dt.date.fromordinal(dues.yellow_day(due, 3)) == dt.date(2024, 10, 1)
    # none remain once 10 Oct has ended: 00:00 of 11 Oct, the red threshold
    assert dt.date.fromordinal(dues.yellow_day(due, 0)) == dt.date(2024, 10, 11)


def test_penalty_deadlines(ruleset, calendar):
    dues = DueDates(ruleset, calendar)
    s = {d.code: d for d in dues.schedule("penalty", {"filed_date": "2024-07-01", "decision_date": "2024-10-08",
                                                       "procedure": "ordinary", "fine": 5000,
                                                       "violation_code": "FSL-124-1"})}
    assert dt.date.fromordinal(s["procedure.decision_overdue"].due) == dt.date(2024, 9, 29)
    assert s["procedure.decision_overdue"].late
    assert "procedure.publication_overdue" in s
    s = dues.schedule("penalty", {"filed_date": "2024-07-01", "extension_approved": True,
                                  "decision_date": "2024-10-08", "procedure": "ordinary",
                                  "sanctions": "warning", "violation_code": "FSL-124-1"})
    assert s == []
