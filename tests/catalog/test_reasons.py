"""Every clean-up reason, worked by hand from the texts, with the citation it must carry.

Texts relied on (../shared/law/行政许可法(2019-04-23).md, 优化营商环境条例(2019-10-22).md, seed 004):
- 行政许可法 Art. 14: 法律 / 行政法规 / 国务院决定 may set a permit; Art. 15 ¶1: 地方性法规, and a
  省级政府规章 a temporary one, "实施满一年需要继续实施的，应当提请…制定地方性法规"; Art. 17: "其他规范性文件
  一律不得设定行政许可"; Art. 3 ¶2: internal approvals are outside the Act.
- 国办发〔2014〕59号 三（一）清理原则 (quoted in seed 004): 企业自主权 (1), 法律法规未明确规定 (2),
  征求部门意见 (4), 除特殊需要并有法律法规依据的外不得设定强制性中介服务和指定中介机构 (5).
- 优化营商环境条例 Art. 43: an intermediary service as an approval condition needs a 法律、法规 or 国务院决定 basis.
- seed 004 二（二）: 非行政许可审批 — 除调整为内部审批或依法转为行政许可外，其他一律取消.
"""
import datetime as dt

import pytest

from .helpers import GB59, GB59_TITLE, XKF, YS, cites, item, judge, mid, pre, row_of

ALL = {"cancel.enterprise_autonomy", "cancel.no_statutory_basis", "cancel.temporary_rule_expired",
       "cancel.resolvable_by_consultation", "cancel.intermediary_without_basis", "cancel.non_licensing_approval"}


def test_lawful_item_and_precondition_are_retained_without_citations():
    res = judge([item(), pre("QZ-1")])
    for r in (row_of(res), row_of(res, "QZ-1")):
        assert r["verdict"] == "retain" and r["reasons"] == [] and r["citations"] == []


# -- cancel.enterprise_autonomy: 59号 三（一）清理原则一 ------------------------------------------------
def test_enterprise_autonomy_precondition_is_cancelled_citing_59_principle_1():
    r = row_of(judge([item(), pre("QZ-1", enterprise_autonomy="是")]), "QZ-1")
    assert r["verdict"] == "cancel" and r["reasons"] == ["cancel.enterprise_autonomy"]
    assert cites(r, GB59_TITLE, document=GB59, article=3, paragraph=1, item=1)
    assert "企业自主权" in r["citations"][0]["note"]


# -- cancel.no_statutory_basis: 行政许可法 Arts. 14, 15, 17 ---------------------------------------------
@pytest.mark.parametrize("level", ["法律", "行政法规", "国务院决定", "地方性法规"])
def test_the_four_statutory_levels_may_set_a_permit(level):
    # Art. 14 (法律, 行政法规, 国务院决定) and Art. 15 ¶1 (地方性法规)
    assert row_of(judge([item(basis_level=level)]))["verdict"] == "retain"


@pytest.mark.parametrize("level", ["部门规章", "规范性文件", "无"])
def test_other_levels_may_not_set_a_permit(level):
    # Art. 17: 除本法第十四条、第十五条规定的外，其他规范性文件一律不得设定行政许可
    r = row_of(judge([item(basis_level=level)]))
    assert r["verdict"] == "cancel" and r["reasons"] == ["cancel.no_statutory_basis"]
    assert cites(r, XKF, 17) and cites(r, XKF, 14) and cites(r, XKF, 15, 1)


def test_precondition_needs_a_statutory_basis_citing_59_principle_2():
    r = row_of(judge([item(), pre("QZ-1", basis_level="规范性文件")]), "QZ-1")
    assert r["reasons"] == ["cancel.no_statutory_basis"]
    assert cites(r, GB59_TITLE, document=GB59, item=2)
    assert cites(r, XKF, 15, 2)  # 规章 may not set 前置性行政许可


def test_provincial_rule_precondition_has_no_statutory_basis_even_within_the_year():
    # a 规章 is not 法律法规 (59号 principle 2); Art. 15 ¶2 bars it from setting 前置性行政许可
    res = judge([item(), pre("QZ-1", basis_level="省级政府规章", basis_date="2024-06-01")])
    assert row_of(res, "QZ-1")["reasons"] == ["cancel.no_statutory_basis"]


def test_internal_approval_is_outside_the_licensing_act():
    # Art. 3 ¶2: 对其他机关或者对其直接管理的事业单位的…审批，不适用本法
    r = row_of(judge([item(item_type="内部审批", basis_level="规范性文件")]))
    assert r["verdict"] == "retain"


# -- cancel.temporary_rule_expired: Art. 15 ¶1 "实施满一年" -------------------------------------------
@pytest.mark.parametrize("basis_date, as_of, expired", [
    ("2023-03-05", dt.date(2024, 3, 4), False),
    ("2023-03-05", dt.date(2024, 3, 5), False),   # exactly one year: the year is just complete (满一年)
    ("2023-03-05", dt.date(2024, 3, 6), True),    # one day more: in force more than one year
    ("2020-02-29", dt.date(2021, 2, 28), False),  # no 29 Feb in 2021: the year ends on the month's last day
    ("2020-02-29", dt.date(2021, 3, 1), True),
    ("2023年3月5日", dt.date(2024, 3, 6), True),
])
def test_temporary_permit_one_year_boundary(basis_date, as_of, expired):
    r = row_of(judge([item(basis_level="省级政府规章", basis_date=basis_date)], as_of=as_of))
    if expired:
        assert r["verdict"] == "cancel" and r["reasons"] == ["cancel.temporary_rule_expired"]
        assert cites(r, XKF, 15, 1) and "满一年" in r["citations"][0]["note"]
    else:
        assert r["verdict"] == "retain" and r["reasons"] == []


def test_expired_provincial_rule_precondition_gets_both_reasons_in_rule_file_order():
    res = judge([item(), pre("QZ-1", basis_level="省级政府规章", basis_date="2022-01-01")])
    assert row_of(res, "QZ-1")["reasons"] == ["cancel.no_statutory_basis", "cancel.temporary_rule_expired"]


def test_local_regulation_replacing_the_rule_is_retained_after_the_year():
    # 提请…制定地方性法规: once the basis is a 地方性法规 the permit stands
    assert row_of(judge([item(basis_level="地方性法规", basis_date="2020-01-01")]))["verdict"] == "retain"


# -- cancel.resolvable_by_consultation: 59号 principle 4 ---------------------------------------------
def test_resolvable_by_consultation():
    r = row_of(judge([item(), pre("QZ-1", resolvable_by_consultation="Y")]), "QZ-1")
    assert r["reasons"] == ["cancel.resolvable_by_consultation"]
    assert cites(r, GB59_TITLE, document=GB59, item=4)
    assert r["citations"][0]["basis"] == "C"


# -- cancel.intermediary_without_basis: 59号 principle 5, 优化营商环境条例 Art. 43 -----------------------
@pytest.mark.parametrize("mandatory, designated, special, level, cancelled", [
    ("是", "否", "否", "法律", True),       # no special need
    ("是", "否", "是", "规范性文件", True),  # special need, no statutory basis
    ("否", "是", "是", "部门规章", True),    # designated intermediary, 部门规章 is not 法律法规
    ("是", "否", "是", "行政法规", False),   # 特殊需要并有法律法规依据
    ("否", "是", "是", "国务院决定", False),  # Art. 43: 法律、法规或者国务院决定
    ("是", "是", "是", "地方性法规", False),
    ("否", "否", "否", "无", False),         # voluntary: the applicant chooses, nothing to cancel
])
def test_intermediary_needs_special_need_and_statutory_basis(mandatory, designated, special, level, cancelled):
    rows = [item(), mid("ZJ-1", intermediary_mandatory=mandatory, designated_intermediary=designated,
                        special_need=special, basis_level=level)]
    r = row_of(judge(rows), "ZJ-1")
    assert r["row_kind"] == "intermediary"
    if cancelled:
        assert r["reasons"] == ["cancel.intermediary_without_basis"]
        assert cites(r, YS, 43, 1) and cites(r, YS, 43, 2)
        assert cites(r, GB59_TITLE, document=GB59, item=5)
    else:
        assert r["verdict"] == "retain"


def test_intermediary_rows_are_not_judged_as_preconditions():
    # an intermediary with 规范性文件 basis but voluntary: no no_statutory_basis either
    r = row_of(judge([item(), mid("ZJ-1", basis_level="规范性文件", enterprise_autonomy="是")]), "ZJ-1")
    assert r["verdict"] == "retain"


# -- cancel.non_licensing_approval: seed 004 二（二）, 国发〔2015〕27号 -------------------------------------
def test_non_licensing_approval_is_cancelled_with_its_preconditions():
    res = judge([item(item_code="SP-1", item_type="非行政许可审批"),
                 pre("QZ-1", item_code="SP-1", item_type="非行政许可审批"),
                 pre("QZ-2", item_code="SP-1", item_type="非行政许可审批", enterprise_autonomy="是")])
    it = row_of(res, None, "SP-1")
    assert it["reasons"] == ["cancel.non_licensing_approval"] and not it["item_cancelled"]
    assert any(c.get("document") == "十政办发〔2015〕32号" for c in it["citations"])
    assert any(c.get("document") == "国发〔2015〕27号" for c in it["citations"])
    q1 = row_of(res, "QZ-1", "SP-1")
    assert q1["verdict"] == "cancel" and q1["reasons"] == ["cancel.non_licensing_approval"] and q1["item_cancelled"]
    q2 = row_of(res, "QZ-2", "SP-1")
    assert q2["reasons"] == ["cancel.enterprise_autonomy", "cancel.non_licensing_approval"]


def test_cancelled_item_cancels_only_its_own_rows():
    res = judge([item(item_code="A", basis_level="规范性文件"), pre("QZ-1", item_code="A"),
                 item(item_code="B"), pre("QZ-1", item_code="B")])
    assert row_of(res, "QZ-1", "A")["reasons"] == ["cancel.no_statutory_basis"]
    assert row_of(res, "QZ-1", "A")["item_cancelled"]
    assert row_of(res, "QZ-1", "B")["verdict"] == "retain"


def test_every_reason_is_reachable_and_counted():
    rows = [item(), pre("P1", enterprise_autonomy="1"), pre("P2", basis_level="无"),
            pre("P3", resolvable_by_consultation="true"), mid("Z1", intermediary_mandatory="Y"),
            item(item_code="T", basis_level="省级政府规章", basis_date="2020-01-01"),
            item(item_code="S", item_type="非行政许可审批")]
    res = judge(rows)
    assert set(res.summary["by_reason"]) == ALL
    assert res.summary["by_reason"] == {c: 1 for c in ALL}
    assert res.summary["cancelled"] == 6 and res.summary["retained"] == 1
