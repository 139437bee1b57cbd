"""A blank fact is unknown (issue 16 §1): what the known facts decide is definite, what a blank leaves
open is possible, and filling a blank never contradicts either.

Every expected verdict below is worked by hand from the article cited next to it.
"""
import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.results import case_table, finding_rows
from engine.review import review_frame

AS_OF = dt.date(2026, 6, 30)
BASE = {"case_id": "U1", "party_type": "organization", "party_id": "91110105MA0000001X", "officers": "T1;T2",
        "procedure": "ordinary", "violation_date": "2024-03-01", "discovered_date": "2024-03-05",
        "filed_date": "2024-03-06", "decision_date": "2024-04-20", "publicized_date": "2024-04-25",
        "hearing_notified": "true", "harm": "general", "serious": "false", "illegal_gain": 0}


def judge(ruleset, calendar, *records):
    raw = pd.DataFrame([{**BASE, **r} for r in records]).astype(object)
    ev = review_frame(raw, ruleset, AS_OF, calendar)
    cases = case_table(ev).to_pylist()
    findings = finding_rows(ev)
    return cases, findings


def one(ruleset, calendar, **record):
    cases, findings = judge(ruleset, calendar, record)
    return cases[0], findings


def test_both_branches_below_minimum_is_definite(ruleset, calendar):
    # 食品安全法 Art. 124 ¶1: 货值 < 10,000 → 50,000–100,000; ≥ 10,000 → 10–20倍 (≥ 100,000).
    # A 5,000 fine is below the minimum of both: definite whatever the goods were worth.
    case, findings = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods",
                         goods_value=None, fine=5000)
    assert case["status"] == "evaluated"
    assert case["codes"] == ["penalty.below_statutory_min"] and case["possible_codes"] == []
    assert case["lawful_fine_max_unbounded"] is True and case["lawful_fine_max"] is None
    # the lowest lawful fine over both branches: 一般 tier of the first, 50,000 + 0.3 × 50,000
    assert case["lawful_fine_min"] == 65000
    [f] = findings
    assert f["certainty"] == "definite" and f["depends_on"] == []


def test_60000_is_open_between_outside_tier_and_below_minimum(ruleset, calendar):
    # Same article, 60,000: under 10,000 it is inside 50,000–100,000 but below the 一般 tier 65,000–85,000;
    # from 10,000 up it is below 100,000 = 10 × 10,000.  Neither is definite; goods_value decides.
    case, findings = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods",
                         goods_value=None, fine=60000)
    assert case["codes"] == []
    assert case["possible_codes"] == ["penalty.below_statutory_min", "penalty.outside_tier"]
    assert case["undetermined"] == ["goods_value"]
    by_code = {f["code"]: f for f in findings}
    below, tier = by_code["penalty.below_statutory_min"], by_code["penalty.outside_tier"]
    assert below["certainty"] == tier["certainty"] == "possible"
    assert below["depends_on"] == tier["depends_on"] == ["goods_value"]
    assert "货值金额不低于10,000元" in below["message_zh"] and "货值金额低于10,000元" in tier["message_zh"]


def test_a_known_zero_is_not_unknown(ruleset, calendar):
    # 货值金额 0 is a stated fact: the first branch only, 65,000–85,000 一般; 60,000 is outside that tier.
    case, _ = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods", goods_value=0,
                  fine=60000)
    assert case["codes"] == ["penalty.outside_tier"] and case["possible_codes"] == [] and case["undetermined"] == []


def test_unknown_refused_correction_under_food_safety_126(ruleset, calendar):
    # 食品安全法 Art. 126 ¶1: 责令改正，给予警告; 拒不改正的，处五千元以上五万元以下罚款.
    common = dict(violation_code="FSL-126-1", refused_correction=None, sanctions="warning")
    # 20,000: no fine is lawful before a refusal (above the maximum), lawful after one (一般 18,500–36,500).
    case, findings = one(ruleset, calendar, **common, fine=20000)
    assert case["codes"] == [] and case["possible_codes"] == ["penalty.above_statutory_max"]
    assert [f["depends_on"] for f in findings] == [["refused_correction"]]
    # 60,000 is above 50,000 too: above the maximum under both.
    case, _ = one(ruleset, calendar, **common, fine=60000)
    assert case["codes"] == ["penalty.above_statutory_max"] and case["possible_codes"] == []


def test_unknown_party_type_at_the_hearing_threshold(ruleset, calendar):
    # 行政处罚法 Art. 63 ¶1 (1) with the parameters' 较大数额: 10,000 for a natural person, 100,000 for a unit.
    # 50,000 without a hearing notice: a finding if the party is a person, none if it is a unit.
    common = dict(violation_code="PVR-7", party_id=None, illegal_gain=0, hearing_notified="false",
                  publicized_date="2024-04-25")
    case, findings = one(ruleset, calendar, **common, party_type=None, fine=50000)
    assert "procedure.hearing_not_offered" in case["possible_codes"]
    hearing = [f for f in findings if f["code"] == "procedure.hearing_not_offered"]
    assert hearing[0]["depends_on"] == ["party_type"]
    # 150,000 is at or above both thresholds: definite whoever the party is
    case, _ = one(ruleset, calendar, **common, party_type=None, fine=150000)
    assert "procedure.hearing_not_offered" in case["codes"]
    # a unified social credit code decides the type (GB 32100: 91… enterprise → unit, 50,000 < 100,000)
    case, _ = one(ruleset, calendar, **{**common, "party_id": "91110105MA0000001X"}, party_type=None, fine=50000)
    assert "procedure.hearing_not_offered" not in case["codes"] + case["possible_codes"]
    # 92… 个体工商户 counts as a natural person by the cited parameter (民法典 Art. 54): 50,000 ≥ 10,000
    case, _ = one(ruleset, calendar, **{**common, "party_id": "92110105MA0000001X"}, party_type=None, fine=50000)
    assert "procedure.hearing_not_offered" in case["codes"]


def test_unknown_act_date_leaves_the_version_open(ruleset, calendar):
    # 安全生产法 Art. 114 (2014 text Art. 109, in force to 2021-08-31) 一般事故: 2014 text 200,000–500,000,
    # 2021 text 300,000–1,000,000.  Decided 2021-10-01 with the act date blank: an act before 2021-09-01
    # keeps the lighter 2014 range (行政处罚法 Art. 37), where 250,000 is inside but below the 一般 tier
    # (290,000–410,000); an act after it is judged by the 2021 range, where 250,000 is below the minimum.
    case, findings = one(ruleset, calendar, violation_code="WSL-114", accident_level="一般", harm="serious",
                         violation_date=None, discovered_date="2021-09-15", filed_date="2021-09-16",
                         decision_date="2021-10-01", fine=250000)
    assert case["provision_version"] is None
    assert {"penalty.below_statutory_min", "penalty.outside_tier"} <= set(case["possible_codes"])
    assert case["codes"] == []
    assert "violation_date" in case["undetermined"]
    below = next(f for f in findings if f["code"] == "penalty.below_statutory_min")
    assert "violation_date" in below["depends_on"]


def test_blank_officers_and_hearing_notice_are_possible_not_definite(ruleset, calendar):
    # 行政处罚法 Art. 42 (two officers) and Art. 63 (hearing): a blank cell says nothing about either.
    case, findings = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods",
                         goods_value=8000, fine=150000, officers=None, hearing_notified=None)
    assert case["codes"] == ["penalty.above_statutory_max"]
    assert {"procedure.too_few_officers", "procedure.hearing_not_offered"} <= set(case["possible_codes"])
    by_code = {f["code"]: f for f in findings}
    assert by_code["procedure.too_few_officers"]["depends_on"] == ["officers"]
    assert by_code["procedure.hearing_not_offered"]["depends_on"] == ["hearing_notified"]


def test_a_record_deciding_nothing_is_rejected(ruleset, calendar):
    cases, _ = judge(ruleset, calendar, {"violation_code": "FSL-124-1", "fine": None, "sanctions": None})
    assert cases[0]["status"] == "rejected" and "没有可评查的处罚" in cases[0]["reason"]


def test_complete_records_have_empty_new_fields(ruleset, calendar):
    case, findings = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods",
                         goods_value=8000, fine=150000)
    assert case["possible_codes"] == [] and case["undetermined"] == [] and case["lawful_fine_max_unbounded"] is False
    assert all(f["certainty"] == "definite" and f["depends_on"] == [] for f in findings)


# -- properties ------------------------------------------------------------------------------------

FILLS = {
    "goods_value": st.sampled_from([0, 1, 5000, 6000, 9999.99, 10000, 12000, 50000, 1e6]),
    "illegal_gain": st.sampled_from([0, 100, 49999.99, 50000, 99999.99, 100000, 3e5]),
    "ad_fee": st.sampled_from([0, 1, 60000, 100000, 150000, 1e6]),
    "refused_correction": st.sampled_from(["是", "否"]),
    "serious": st.sampled_from(["是", "否"]),
    "party_type": st.sampled_from(["individual", "organization"]),
    "hearing_notified": st.sampled_from(["是", "否"]),
    "officers": st.sampled_from(["A", "A;B"]),
    "procedure": st.sampled_from(["simple", "ordinary"]),
    "accident_level": st.sampled_from(["一般", "较大", "重大", "特别重大"]),
    "harm": st.sampled_from(["none", "minor", "general", "serious"]),
    "violation_date": st.dates(dt.date(2012, 1, 1), dt.date(2024, 4, 20)).map(dt.date.isoformat),
    "discovered_date": st.dates(dt.date(2024, 3, 1), dt.date(2024, 4, 20)).map(dt.date.isoformat),
}
CODES = ["FSL-124-1", "FSL-123-1", "FSL-126-1", "ADL-55-1", "ADL-63", "WSL-103-1", "WSL-114", "PVR-7", "APL-101"]


@st.composite
def partial_record(draw):
    rec = {**BASE, "violation_code": draw(st.sampled_from(CODES)),
           "fine": draw(st.sampled_from([0, 200, 5000, 20000, 60000, 120000, 250000, 600000, 5e6])),
           "sanctions": draw(st.sampled_from(["", "warning", "confiscate_goods", "revoke_license"])),
           "goods_value": 8000, "ad_fee": 100000, "refused_correction": "否", "accident_level": "一般",
           "prior_violations_2y": 0, "ad_fee_uncomputable": "否",
           "party_id": None}     # no identity number: no party type inferred, no act shared with the filled copy
    blanks = draw(st.lists(st.sampled_from(sorted(FILLS)), min_size=1, max_size=3, unique=True))
    for b in blanks:
        rec[b] = None
    return rec, blanks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(partial_record(), st.data())
def test_filling_a_blank_keeps_definite_findings_and_lands_on_an_alternative(ruleset, calendar, drawn, data):
    """Filling an unknown fact never turns a definite finding into no finding — it stays, unless the filled
    fact bars the penalty altogether (time bar, no provision in force: a finding the blank left possible) —
    and the filled record's findings are always among those the blank left open (definite or possible)."""
    rec, blanks = drawn
    fact = data.draw(st.sampled_from(blanks))
    filled = {**rec, fact: data.draw(FILLS[fact]), "case_id": "F1"}
    cases, _ = judge(ruleset, calendar, rec, filled)
    before, after = cases
    if before["status"] == "rejected":
        return
    assume(" is before " not in (after["reason"] or ""))     # a filling out of date order is no alternative
    assert after["status"] == "evaluated", after["reason"]
    definite_before = set(before["codes"])
    open_before = definite_before | set(before["possible_codes"])
    barred = {"penalty.time_barred", "penalty.no_provision"} & set(after["codes"])
    assert barred or definite_before <= set(after["codes"]), (rec, fact, filled[fact], before, after)
    assert not barred or barred <= open_before
    assert set(after["codes"]) | set(after["possible_codes"]) <= open_before, (rec, fact, filled[fact], before, after)


def test_a_file_without_a_publication_column_leaves_publication_open(ruleset, calendar):
    # 市场监督管理行政处罚信息公示规定 Art. 9: published within 20 working days of the decision.  A blank cell
    # in a 公示日期 column says "not published"; a file with no such column says nothing about it.
    rec = {k: v for k, v in BASE.items() if k != "publicized_date"}
    raw = pd.DataFrame([{**rec, "violation_code": "FSL-124-1", "sanctions": "confiscate_goods",
                         "goods_value": 8000, "fine": 75000}]).astype(object)
    ev = review_frame(raw, ruleset, AS_OF, calendar)
    case = case_table(ev).to_pylist()[0]
    assert "procedure.publication_overdue" in case["possible_codes"] and case["codes"] == []
    [f] = [f for f in finding_rows(ev) if f["code"] == "procedure.publication_overdue"]
    assert f["depends_on"] == ["publicized_date"]
    case, _ = one(ruleset, calendar, violation_code="FSL-124-1", sanctions="confiscate_goods", goods_value=8000,
                  fine=75000, publicized_date=None)          # the column, left blank: not published
    assert "procedure.publication_overdue" in case["codes"]
