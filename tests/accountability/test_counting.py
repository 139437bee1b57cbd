"""Counting per officer and per department: thresholds, the window, severity, exemptions, roster gaps."""
from .helpers import finding, pick, run

CONTRACT = ["subject_type", "subject_id", "measure", "rule_id", "window_start", "window_end", "findings",
            "citations"]


def test_thresholds_one_two_three_or_more(tmp_path):
    # A: 1 finding, B: 2, C: 4 (each a medium leniency finding in D1, no overreach → no 一案双查)
    fs = [finding("K1", officers=["A"]),
          finding("K2", officers=["B"]), finding("K3", officers=["B"]),
          *[finding(f"K{i}", officers=["C"]) for i in range(4, 8)]]
    _, notices = run(tmp_path, fs)
    officer = {n["subject_id"]: n for n in pick(notices, "officer")}
    assert officer["A"]["measure"] == "效能告诫" and officer["A"]["count"] == 1
    assert officer["B"]["measure"] == "诫勉谈话" and officer["B"]["count"] == 2
    assert officer["C"]["measure"] == "通报批评" and officer["C"]["count"] == 4
    assert officer["C"]["recommend"] == ["调整岗位"] and officer["A"]["recommend"] == []
    assert [f["case_id"] for f in officer["B"]["findings"]] == ["K2", "K3"]
    # the department: 7 findings → 通报批评
    (dept,) = pick(notices, "department")
    assert (dept["subject_id"], dept["count"], dept["measure"]) == ("D1", 7, "通报批评")
    for n in notices:
        assert list(n)[:8] == CONTRACT
        assert n["rule_id"] == "ACC-COUNT" and n["citations"]
        assert (n["window_start"], n["window_end"]) == ("2024-01-02", "2024-12-31")


def test_window_is_365_days_ending_at_as_of_inclusive(tmp_path):
    # as_of 2024-12-31 − 364 days = 2024-01-02 (2024 is a leap year)
    fs = [finding("IN-FIRST", officers=["A"], event_date="2024-01-02"),
          finding("IN-LAST", officers=["A"], event_date="2024-12-31"),
          finding("OUT-BEFORE", officers=["A"], event_date="2024-01-01"),
          finding("OUT-AFTER", officers=["A"], event_date="2025-01-01")]
    summary, notices = run(tmp_path, fs)
    (a,) = pick(notices, "officer", "A")
    assert a["count"] == 2 and a["measure"] == "诫勉谈话"
    assert [f["case_id"] for f in a["findings"]] == ["IN-FIRST", "IN-LAST"]
    assert summary["window_start"] == "2024-01-02" and summary["findings_in_window"] == 2
    assert summary["findings_after_as_of"] == 1


def test_low_severity_is_not_counted(tmp_path):
    fs = [finding("K1", officers=["A"], severity="low", category="inaction"),
          finding("K2", officers=["B"], severity="low"), finding("K3", officers=["B"], severity="high")]
    _, notices = run(tmp_path, fs)
    assert pick(notices, "officer", "A") == []
    (b,) = pick(notices, "officer", "B")
    assert b["count"] == 1 and b["findings"] == [{"case_id": "K3", "code": "penalty.outside_tier"}]


def test_department_counts_the_findings_of_its_cases_once_each(tmp_path):
    # one finding with two officers: each officer 1, the department 1 (not 2)
    _, notices = run(tmp_path, [finding("K1", officers=["A", "B"]), finding("K2", department="D2", officers=["X"])])
    assert {n["subject_id"]: n["count"] for n in pick(notices, "department")} == {"D1": 1, "D2": 1}
    assert {n["subject_id"] for n in pick(notices, "officer")} == {"A", "B", "X"}


def test_officer_not_in_roster_still_gets_a_notice_flagged(tmp_path):
    summary, notices = run(tmp_path, [finding("K1", officers=["A", "GHOST"]), finding("K2", department="D9",
                                                                                    officers=["A"])])
    (ghost,) = pick(notices, "officer", "GHOST")
    assert ghost["not_in_roster"] is True and ghost["subject_name"] is None and ghost["department"] == "D1"
    assert ghost["measure"] == "效能告诫"
    (a,) = pick(notices, "officer", "A")
    assert a["not_in_roster"] is False and a["subject_name"] == "甲" and a["count"] == 2
    assert summary["not_in_roster"]["officers"] == ["GHOST"]
    assert summary["not_in_roster"]["departments"] == ["D9"]
    (d9,) = pick(notices, "department", "D9")
    assert d9["not_in_roster"] is True


def test_exemption_removes_the_finding_and_is_listed_with_its_reason(tmp_path):
    fs = [finding("K1", officers=["B"]), finding("K2", officers=["B"])]
    summary, notices = run(tmp_path, fs, exemptions=[("K2", "penalty.outside_tier", "政策界限不明，已纠正", "法制科")])
    (b,) = pick(notices, "officer", "B")
    assert b["count"] == 1 and b["measure"] == "效能告诫"       # 2 → 1 after the exemption
    assert b["findings"] == [{"case_id": "K1", "code": "penalty.outside_tier"}]
    assert b["exemptions_applied"] == [{"case_id": "K2", "code": "penalty.outside_tier",
                                        "reason": "政策界限不明，已纠正", "approved_by": "法制科", "row": 2}]
    assert "容错免责" in b["reason_zh"]
    assert summary["exemptions"]["list"] == [{"case_id": "K2", "code": "penalty.outside_tier",
                                              "reason": "政策界限不明，已纠正", "approved_by": "法制科",
                                              "row": 2, "findings_removed": 1}]
    assert (tmp_path / "out" / "exemptions.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("K2,")


def test_exemption_of_the_only_finding_leaves_no_notice(tmp_path):
    summary, notices = run(tmp_path, [finding("K1", officers=["A"])],
                           exemptions=[("K1", "penalty.outside_tier", "理由", "批准人")])
    assert notices == [] and summary["findings_exempted"] == 1


def test_rejected_exemption_rows_are_reported_and_not_applied(tmp_path):
    rows = [("K1", "penalty.outside_tier", "理由", None),          # no approver
            ("K1", "penalty.outside_tier", None, "法制科"),        # no reason
            (None, "penalty.outside_tier", "理由", "法制科"),      # no case
            ("K2", "penalty.outside_tier", "理由", "法制科"),      # used
            ("K2", "penalty.outside_tier", "又一次", "法制科"),    # duplicate of row 5
            ("NOPE", "penalty.outside_tier", "理由", "法制科")]    # valid, matches nothing
    summary, notices = run(tmp_path, [finding("K1", officers=["A"]), finding("K2", officers=["A"])],
                           exemptions=rows)
    rej = {r["row"]: r["reason"] for r in summary["exemptions"]["rejected_rows"]}
    assert set(rej) == {2, 3, 4, 6}
    assert "approved_by missing" in rej[2] and "reason missing" in rej[3] and "case_id missing" in rej[4]
    assert "duplicate of row 5" in rej[6]
    ex = summary["exemptions"]
    assert ex["rows"] == 6 and ex["accepted"] == 2 and ex["rejected"] == 4      # every row accounted for
    assert {e["case_id"]: e["findings_removed"] for e in ex["list"]} == {"K2": 1, "NOPE": 0}
    assert any("matches no finding" in w for w in summary["warnings"])
    (a,) = pick(notices, "officer", "A")
    assert a["findings"] == [{"case_id": "K1", "code": "penalty.outside_tier"}]   # K1 still counts
    text = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "exemptions" in text and "approved_by missing" in text


def test_findings_without_event_date_or_officers_are_reported_not_counted(tmp_path):
    summary, notices = run(tmp_path, [finding("K1", officers=None), finding("K2", officers=["A"], event_date=None)])
    assert summary["inputs"]["findings_without_officers"] == 1
    assert summary["inputs"]["findings_without_event_date"] == 1
    assert pick(notices, "officer") == []
    (d,) = pick(notices, "department")
    assert d["count"] == 1
