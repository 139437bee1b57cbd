"""Hypothesis properties of the batch review (issue: every row evaluated or rejected; a fine inside
the reported lawful range never yields a range finding; a fine above the statutory maximum always does)."""
import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.review import review_frame

RANGE_CODES = {"penalty.above_statutory_max", "penalty.below_statutory_min", "penalty.outside_tier"}
PROVISIONS = ["FSL-122-1", "FSL-124-1", "FSL-125-1", "FSL-125-2", "FSL-126-1", "ADL-55-1", "WSL-95",
              "WSL-114", "PVR-7", "RTSL-90"]
FACTORS = ["age_under_14", "no_fault", "first_offense", "corrected_promptly", "age_14_to_18",
           "eliminated_harm", "limited_capacity", "repeat_offense", "obstructed"]

dates = st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2026, 6, 30))
amount = st.one_of(st.none(), st.sampled_from([0, 1, 9999.99, 10000, 20000, 500000]),
                   st.floats(min_value=0, max_value=5e6, allow_nan=False).map(lambda x: round(x, 2)))


@st.composite
def records(draw, valid_only=False):
    vdate = draw(dates)
    dec = vdate + dt.timedelta(days=draw(st.integers(0 if valid_only else -30, 400)))
    rec = {
        "case_id": draw(st.text(alphabet="ABC123", min_size=1, max_size=4)) if not valid_only else None,
        "violation_code": draw(st.sampled_from(PROVISIONS + ([] if valid_only else ["BAD", None]))),
        "party_type": draw(st.sampled_from(["individual", "organization", "单位", "个人"]
                                           + ([] if valid_only else ["x", None]))),
        "violation_date": vdate.isoformat() if valid_only else draw(st.sampled_from(
            [vdate.isoformat(), f"{vdate.year}年{vdate.month}月{vdate.day}日", "not-a-date", None])),
        "decision_date": dec.isoformat(),
        "discovered_date": vdate.isoformat(),
        "filed_date": vdate.isoformat(),
        "goods_value": draw(amount), "illegal_gain": draw(amount), "ad_fee": draw(amount),
        "prior_year_income": draw(amount),
        "accident_level": draw(st.sampled_from(["一般", "较大", "重大", "特别重大", None])),
        "prior_violations_2y": draw(st.sampled_from([None, 0, 2, 3])),
        "ad_fee_uncomputable": draw(st.sampled_from(["true", "false", None])),
        "refused_correction": draw(st.sampled_from(["是", "否", None])),
        "serious": draw(st.booleans()),
        "fine": draw(amount) if not valid_only else None,
        "factors": ";".join(draw(st.lists(st.sampled_from(FACTORS), unique=True, max_size=3))),
        "harm": draw(st.sampled_from(["none", "minor", "general", "serious", None])),
        "officers": "A;B", "procedure": "ordinary", "hearing_notified": "true",
        "publicized_date": dec.isoformat(),
    }
    if not valid_only and draw(st.booleans()):
        rec["fine"] = draw(st.sampled_from(["-1", "abc", "1,000"]))
    return rec


def definite_codes(ev, n: int) -> list[set]:
    """Each row's definite finding codes (possible ones hang on blank facts the generators leave)."""
    out = [set() for _ in range(n)]
    for b in ev.findings.batches:
        if b.certainty == "definite":
            for r in b.rows.tolist():
                out[r].add(b.code)
    return out


def complete(ev) -> np.ndarray:
    """Rows judged without alternatives: every fact that matters was given."""
    return np.ones(ev.n, dtype=bool) if ev.partial is None else ~ev.partial


def run(rs, cal, recs):
    raw = pd.DataFrame(recs).astype(object)
    return review_frame(raw, rs, dt.date(2026, 6, 30), cal)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(records(), min_size=1, max_size=40))
def test_every_row_is_evaluated_or_rejected(ruleset, calendar, recs):
    ev = run(ruleset, calendar, recs)
    rejected = ev.records.rejections.mask
    assert len(ev.evaluated) == len(recs)
    assert (ev.evaluated ^ rejected).all()
    for i in np.flatnonzero(rejected):
        assert ev.records.rejections.text(int(i))          # every rejection says why
    from engine.results import case_table, finding_rows
    from engine.summary import summary
    findings = finding_rows(ev)
    s = summary(ev, len(recs))
    assert s["findings"] + s["possible_findings"] == len(findings)
    assert s["findings"] == sum(f["certainty"] == "definite" for f in findings)
    assert s["evaluated"] + s["rejected"] == s["input_rows"] == case_table(ev).num_rows


def _with_fine(recs, fines):
    return [{**r, "case_id": f"C{i}", "fine": f} for i, (r, f) in enumerate(zip(recs, fines))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(records(valid_only=True), min_size=1, max_size=25), st.floats(0, 1))
def test_fine_inside_lawful_range_never_yields_a_range_finding(ruleset, calendar, recs, where):
    probe = run(ruleset, calendar, _with_fine(recs, [0] * len(recs)))
    lo, hi = probe.lawful_min, probe.lawful_max
    ok = probe.evaluated & ~np.isnan(hi) & complete(probe)
    assume(ok.any())
    fines = np.where(ok, np.round(lo + where * (hi - lo), 2), 0)
    fines = np.clip(fines, np.nan_to_num(lo), np.nan_to_num(hi))
    ev = run(ruleset, calendar, _with_fine(recs, fines.tolist()))
    codes = definite_codes(ev, len(recs))
    for i in np.flatnonzero(ok & ev.evaluated):
        assert not RANGE_CODES & set(codes[i]), (recs[i], fines[i], lo[i], hi[i], codes[i])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(records(valid_only=True), min_size=1, max_size=25), st.floats(0.01, 1e6))
def test_fine_above_statutory_maximum_always_yields_a_finding(ruleset, calendar, recs, excess):
    probe = run(ruleset, calendar, _with_fine(recs, [0] * len(recs)))
    hi = np.nan_to_num(probe.hi, nan=0.0)
    fines = np.round(hi + excess, 2)
    ev = run(ruleset, calendar, _with_fine(recs, fines.tolist()))
    codes = definite_codes(ev, len(recs))
    punishable = ev.evaluated & (ev.branch_key >= 0) & (ev.tiers != 1) & complete(ev) & complete(probe)
    barred = getattr(ev, "time_barred", np.zeros(len(recs), bool))
    for i in np.flatnonzero(punishable & ~barred):
        assert "penalty.above_statutory_max" in codes[i], (recs[i], fines[i], hi[i], codes[i])
    # where the party may not be punished at all, a fine is still always flagged
    for i in np.flatnonzero(ev.evaluated & ~punishable & complete(ev) & complete(probe)):
        assert {"penalty.should_not_punish", "penalty.no_provision", "penalty.time_barred"} & set(codes[i])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=40_000), max_size=3000), st.data())
def test_rows_grouped_by_key_are_the_rows_of_each_key_in_order(keys, data):
    """engine.penalty.branches.groups (one stable sort, a radix sort for small keys) gives for each distinct key,
    ascending, exactly the rows holding it, ascending — what a pass per key gives."""
    from engine.penalty.branches import groups
    keys = np.array(keys, dtype=np.int64)
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, max(len(keys) - 1, 0)), max_size=len(keys))))
                    if len(keys) else [], dtype=np.int64)
    got = [(k, r.tolist()) for k, r in groups(keys, rows)]
    want = [(int(k), rows[keys[rows] == k].tolist()) for k in np.unique(keys[rows])]
    assert got == want
