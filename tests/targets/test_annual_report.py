"""经营异常名录 from annual reports, hand-worked from 企业信息公示暂行条例.

Art. 8: "企业应当于每年1月1日至6月30日 … 报送上一年度年度报告": the report for 2025 is due from
2026-01-01 to 2026-06-30.  Art. 17 ¶1 (一): not published within that period → 列入经营异常名录; the
first day in default is 2026-07-01, the listing date reported.  Art. 17 ¶2: removed once it files;
满3年 without filing → 严重违法企业名单 (listed 2023-07-01: 满3年 at the end of 2026-07-01 read with
民法典 Arts. 201–202, so from 2026-07-02).
"""
from __future__ import annotations

from .helpers import code, csv_rows, entities_of, register, write_csv

HEAD = ["统一社会信用代码", "年度", "报送日期"]


def _run(tmp_path, run_targets, reports, as_of, entities=None):
    reg = register(tmp_path / "reg.csv", entities or [{"n": 1}])
    rep = write_csv(tmp_path / "reports.csv", HEAD, reports)
    res, out = run_targets(reg, "--as-of", as_of, "--reports", rep)
    assert res.exit_code == 0, res.output
    return out


def _earlier_years(n=1, upto=2024):
    return [[code(n), y, f"{y + 1}-05-20"] for y in range(2019, upto + 1)]


def test_filed_on_30_june_is_on_time(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, _earlier_years() + [[code(1), 2025, "2026-06-30"]], "2026-07-15")
    e = entities_of(out)[code(1)]
    assert e["flags"] == [] and e["class"] == "A"
    assert csv_rows(out / "abnormal.csv") == []


def test_filed_on_1_july_is_listed_from_1_july_and_removed_on_filing(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, _earlier_years() + [[code(1), 2025, "2026-07-01"]], "2026-07-15")
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["report_year"], r["listed_on"], r["removed_on"], r["status"]) for r in rows] == \
        [("2025", "2026-07-01", "2026-07-01", "已移出 removed")]
    e = entities_of(out)[code(1)]
    assert e["flags"] == []            # removed: no longer in the list
    assert e["class"] == "A"           # the class rule reads an unfiled report, and it is filed


def test_not_filed_is_listed_from_1_july_and_class_c(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, _earlier_years(), "2026-07-01")
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["report_year"], r["listed_on"], r["removed_on"], r["serious_list_from"]) for r in rows] == \
        [("2025", "2026-07-01", "", "2029-07-02")]
    e = entities_of(out)[code(1)]
    assert e["flags"] == ["abnormal"] and e["class"] == "C"
    hit = [r for r in e["rules"] if r["rule"] == "TGT-ABNORMAL-ANNUAL-REPORT"][0]
    assert hit["listed_on"] == "2026-07-01" and hit["removed_on"] is None
    assert {"law": "企业信息公示暂行条例", "article": 17, "paragraph": 1, "item": 1} in hit["citations"]


def test_on_30_june_the_year_is_not_yet_due(tmp_path, run_targets):
    """As of 2026-06-30 the 2025 period is still open: nothing is late for 2025 (2024 was filed)."""
    out = _run(tmp_path, run_targets, _earlier_years(), "2026-06-30")
    assert csv_rows(out / "abnormal.csv") == []


def test_across_the_year_boundary_the_listing_stays(tmp_path, run_targets):
    """On 2027-01-01 the last report due is still 2025's (2026's is due by 2027-06-30)."""
    out = _run(tmp_path, run_targets, _earlier_years(), "2027-01-01")
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["report_year"], r["listed_on"]) for r in rows] == [("2025", "2026-07-01")]


def test_filing_after_as_of_is_not_seen(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, _earlier_years() + [[code(1), 2025, "2026-08-01"]], "2026-07-15")
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["listed_on"], r["removed_on"]) for r in rows] == [("2026-07-01", "")]


def test_three_years_listed_reaches_the_serious_list_the_day_after(tmp_path, run_targets):
    """2022 report not filed: listed 2023-07-01; 满3年 ends 2026-07-01; class D from 2026-07-02."""
    reports = [[code(1), y, f"{y + 1}-05-20"] for y in (2019, 2020, 2021, 2023, 2024, 2025)]
    out = _run(tmp_path, run_targets, reports, "2026-07-01", )
    e = entities_of(out)[code(1)]
    assert e["class"] == "C"
    (tmp_path / "out").rename(tmp_path / "first")
    out = _run(tmp_path, run_targets, reports, "2026-07-02")
    e = entities_of(out)[code(1)]
    assert e["class"] == "D"
    assert [s["rule"] for s in e["steps"] if s["applied"]] == ["TGT-C-ABNORMAL-LISTED", "TGT-D-SERIOUS-LIST"]
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["report_year"], r["listed_on"], r["serious_list_from"]) for r in rows] == \
        [("2022", "2023-07-01", "2026-07-02")]


def test_established_after_the_year_owes_no_report(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, [], "2026-07-15",
               entities=[{"n": 1, "established": "2026-03-01"}, {"n": 2, "established": "2025-12-31"}])
    rows = csv_rows(out / "abnormal.csv")
    assert [(r["entity_id"], r["report_year"]) for r in rows] == [(code(2), "2025")]


def test_unknown_establishment_date_lists_no_one(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, [], "2026-07-15", entities=[{"n": 1, "established": ""}])
    assert csv_rows(out / "abnormal.csv") == []
    assert entities_of(out)[code(1)]["flags"] == []


def test_closed_entities_owe_no_report(tmp_path, run_targets):
    out = _run(tmp_path, run_targets, [], "2026-07-15", entities=[{"n": 1, "status": "注销"}])
    assert csv_rows(out / "abnormal.csv") == []


def test_without_a_reports_file_the_rules_are_skipped_not_applied(tmp_path, run_targets):
    """No --reports: nothing is known about filings, so no one is listed for not filing."""
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    res, out = run_targets(reg, "--as-of", "2026-07-15")
    assert res.exit_code == 0, res.output
    assert csv_rows(out / "abnormal.csv") == []
    import json
    skipped = {s["rule"] for s in json.loads((out / "summary.json").read_text("utf-8"))["skipped_rules"]}
    assert {"TGT-ABNORMAL-ANNUAL-REPORT", "TGT-C-ABNORMAL-LISTED", "TGT-D-SERIOUS-LIST"} <= skipped
    assert "未运行" in res.output
