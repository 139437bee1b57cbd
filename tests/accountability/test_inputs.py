"""Roster and exemption files (Chinese headers, GBK, bad rows) and review folders (errors, duplicates)."""
import pytest

from engine.accountability.inputs import read_reviews
from engine.accountability.people import Rejected, read_exemptions, read_roster
from engine.errors import InputError

from .helpers import finding, pick, run, write_csv, write_review


def test_roster_with_chinese_headers_in_gbk(tmp_path):
    path = write_csv(tmp_path / "名册.csv", ["人员编号", "姓名", "部门", "角色"],
                     [("A", "甲", "市场监管局", "执法人员"), ("L", "局长", "市场监管局", "负责人")], encoding="gbk")
    rej = Rejected()
    roster = read_roster(path, rej)
    assert rej.rows == []
    assert roster.people.loc["A", "role"] == "officer" and roster.leaders == {"市场监管局": ("L", "局长")}


def test_roster_excel(tmp_path):
    import pandas as pd
    path = tmp_path / "roster.xlsx"
    pd.DataFrame({"人员编号": ["A", "L"], "姓名": ["甲", "长"], "部门": ["D", "D"],
                  "角色": ["officer", "leader"]}).to_excel(path, index=False)
    roster = read_roster(path, Rejected())
    assert roster.leaders == {"D": ("L", "长")}


def test_every_bad_roster_row_is_rejected_with_row_and_reason(tmp_path):
    rows = [("A", "甲", "D1", "officer"),        # row 2 used
            ("B", "乙", "D1", "boss"),           # row 3 bad role
            (None, "丙", "D1", "officer"),       # row 4 no id
            ("C", "丁", None, "officer"),        # row 5 no department
            ("E", "戊", "D1", "officer"),        # row 6 duplicate id (with row 7)
            ("E", "戊", "D2", "officer"),        # row 7
            ("L1", "一", "D3", "leader"),        # rows 8, 9: two leaders of D3
            ("L2", "二", "D3", "负责人"),
            ("L4", "四", "D4", "leader")]        # row 10 used
    path = write_csv(tmp_path / "r.csv", ["person_id", "name", "department", "role"], rows)
    rej = Rejected()
    roster = read_roster(path, rej)
    reasons = {r["row"]: r["reason"] for r in rej.rows}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "role not officer" in reasons[3] and "person_id missing" in reasons[4]
    assert "department missing" in reasons[5] and "repeated in rows 6, 7" in reasons[6]
    assert "more than one leader" in reasons[8] and "more than one leader" in reasons[9]
    assert sorted(roster.people.index) == ["A", "L4"] and roster.leaders == {"D4": ("L4", "四")}
    assert roster.rows == 9


def test_roster_without_a_required_column_is_an_input_error(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["人员编号", "姓名", "部门"], [("A", "甲", "D")])
    with pytest.raises(InputError, match=r"role \(角色\)"):
        read_roster(path, Rejected())


def test_exemptions_with_chinese_headers_in_gbk(tmp_path):
    path = write_csv(tmp_path / "容错.csv", ["案件编号", "问题代码", "免责理由", "批准人"],
                     [("K1", "penalty.outside_tier", "改革探索，已纠正", "区司法局")], encoding="gbk")
    ex = read_exemptions(path, Rejected())
    assert ex.table.to_dict("records") == [{"case_id": "K1", "code": "penalty.outside_tier",
                                            "reason": "改革探索，已纠正", "approved_by": "区司法局", "row": 2}]


def test_missing_folder_and_folder_without_findings(tmp_path):
    with pytest.raises(InputError, match="审查输出文件夹不存在"):
        read_reviews([tmp_path / "nope"])
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "cases.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no findings.jsonl"):
        read_reviews([tmp_path / "half"])


def test_empty_review_folder_gives_no_notices(tmp_path):
    summary, notices = run(tmp_path, [], cases=[])
    assert notices == [] and summary["notices"] == 0


def test_duplicate_findings_across_folders_are_merged_and_counted(tmp_path):
    k1 = finding("K1", officers=["A"])
    a = write_review(tmp_path / "m1", [k1, finding("K2", officers=["A"])])
    b = write_review(tmp_path / "m2", [k1, finding("K3", officers=["A"])])
    summary, notices = run(tmp_path, None, folders=[a, b])
    assert summary["inputs"]["findings_read"] == 4 and summary["inputs"]["duplicates_merged"] == 1
    (a_notice,) = pick(notices, "officer", "A")
    assert a_notice["count"] == 3 and a_notice["measure"] == "通报批评"


def test_same_case_and_code_on_another_date_is_not_a_duplicate(tmp_path):
    a = write_review(tmp_path / "m1", [finding("K1", officers=["A"], event_date="2024-05-01")])
    b = write_review(tmp_path / "m2", [finding("K1", officers=["A"], event_date="2024-06-01")])
    summary, notices = run(tmp_path, None, folders=[a, b])
    assert summary["inputs"]["duplicates_merged"] == 0 and pick(notices, "officer", "A")[0]["count"] == 2


def test_record_kind_and_unknown_codes_are_read(tmp_path):
    # new record kinds and codes: counted by category/severity, never by a code list
    fs = [finding("AP1", code="inaction.approval_overdue", category="inaction", severity="medium",
                  record_kind="approval", officers=["A"]),
          finding("PW1", code="overreach.power_not_listed", category="overreach", severity="high",
                  record_kind="approval", officers=["A"])]
    _, notices = run(tmp_path, fs)
    assert pick(notices, "officer", "A")[0]["count"] == 2
    assert pick(notices, "leader", "L1")[0]["findings"] == [{"case_id": "PW1", "code": "overreach.power_not_listed"}]
