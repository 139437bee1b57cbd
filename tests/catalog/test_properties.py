"""Hypothesis: every catalogue row gets exactly one verdict, and the counts add up."""
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.catalog.rules import load_cleanup
from .helpers import judge

RULES = load_cleanup()
LEVELS = ["法律", "行政法规", "国务院决定", "地方性法规", "省级政府规章", "部门规章", "规范性文件", "无", "县级文件", None]
BOOLS = ["是", "否", "1", "0", "Y", "N", "true", "", None, "也许"]


@st.composite
def catalogue_row(draw):
    return {
        "item_code": draw(st.sampled_from(["A", "B", "C", None])),
        "item_name": draw(st.sampled_from(["某许可", None])),
        "item_type": draw(st.sampled_from(["行政许可", "非行政许可审批", "内部审批", "审批", None])),
        "department": draw(st.sampled_from(["市场监管局", "住建局", None])),
        "precondition_code": draw(st.sampled_from([None, "", "P1", "P2", "P3", "Z1"])),
        "basis_level": draw(st.sampled_from(LEVELS)),
        "basis_date": draw(st.sampled_from([None, "2023-03-05", "2024年1月1日", "2020-02-29", "bad"])),
        **{k: draw(st.sampled_from(BOOLS)) for k in (
            "enterprise_autonomy", "resolvable_by_consultation", "is_intermediary", "intermediary_mandatory",
            "designated_intermediary", "special_need", "deemed_approval")},
        "statutory_limit_wd": draw(st.sampled_from([None, "20", "10", "-1", "x"])),
        "committed_limit_wd": draw(st.sampled_from([None, "15", "20"])),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(catalogue_row(), min_size=1, max_size=25),
       as_of=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2026, 12, 31)))
def test_every_row_gets_exactly_one_verdict(rows, as_of):
    res = judge(rows, as_of=as_of)
    judged = res.rows["__row__"].tolist()
    rejected = res.rejected["row"].tolist()
    n = len(rows)
    # each input row is judged once or rejected once, never both, never dropped
    assert sorted(judged + rejected) == list(range(2, 2 + n))
    assert set(res.rows["verdict"]) <= {"retain", "cancel"}
    for verdict, reasons, citations in zip(res.rows["verdict"], res.rows["reasons"], res.rows["citations"]):
        assert (verdict == "cancel") == bool(reasons)          # cancel iff some reason applies
        assert bool(reasons) == bool(citations)                # every reason cited
        assert set(reasons) <= set(RULES.codes) and len(set(reasons)) == len(reasons)
    s = res.summary
    assert s["input_rows"] == n == s["retained"] + s["cancelled"] + s["rejected"]
    assert s["retained"] == len(res.retained) == (res.rows["verdict"] == "retain").sum()
    assert sum(d["retained"] + d["cancelled"] + d["rejected"] for d in s["by_department"].values()) == n
