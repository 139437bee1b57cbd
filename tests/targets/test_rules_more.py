"""The remaining shipped rules at their edges, and how review output is joined to entities."""
from __future__ import annotations

import json

from engine.targets.reviews import load_review

from .helpers import code, entities_of, penalty_case, register, review_folder, write_csv

COMPLAINT_HEAD = ["投诉举报编号", "统一社会信用代码", "收到日期", "是否属实", "检查事项"]
RESULT_HEAD = ["统一社会信用代码", "事项编号", "检查结果", "检查日期", "公示日期"]


def test_two_verified_complaints_are_b_three_are_c(tmp_path, run_targets):
    """complaints_for_class_c = 3 (a [U] parameter)."""
    reg = register(tmp_path / "reg.csv", [{"n": 1}, {"n": 2}])
    rows = [["C1", code(1), "2026-01-01", "是", ""], ["C2", code(1), "2026-02-01", "是", ""],
            ["C3", code(2), "2026-01-01", "是", ""], ["C4", code(2), "2026-02-01", "是", ""],
            ["C5", code(2), "2026-03-01", "是", ""]]
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--complaints",
                           write_csv(tmp_path / "c.csv", COMPLAINT_HEAD, rows))
    assert res.exit_code == 0, res.output
    ents = entities_of(out)
    assert (ents[code(1)]["class"], ents[code(2)]["class"]) == ("B", "C")
    assert ents[code(2)]["targeted_items"] == ["*"]


def test_inspection_problem_within_twelve_months(tmp_path, run_targets):
    """As of 2026-07-15 the result window starts 2025-07-15; "未发现问题" is no problem."""
    reg = register(tmp_path / "reg.csv", [{"n": 1}, {"n": 2}, {"n": 3}])
    rows = [[code(1), "FOOD-01", "发现问题已责令整改", "2025-07-15", "2025-07-30"],
            [code(2), "FOOD-01", "发现问题已责令整改", "2025-07-14", "2025-07-30"],
            [code(3), "FOOD-01", "未发现问题", "2026-03-01", "2026-03-10"]]
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--results",
                           write_csv(tmp_path / "r.csv", RESULT_HEAD, rows))
    assert res.exit_code == 0, res.output
    ents = entities_of(out)
    assert [ents[code(i)]["class"] for i in (1, 2, 3)] == ["B", "A", "A"]


def test_a_lenient_penalty_found_by_review_targets_the_entity(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}, {"n": 2}])
    cases = [penalty_case("P1", code(1), "2026-01-05", fine=1000), penalty_case("P2", code(2), "2026-01-06", fine=1000)]
    findings = [{"case_id": "P1", "code": "penalty.below_statutory_min", "category": "leniency", "severity": "high",
                 "event_date": "2026-01-05", "record_kind": "penalty", "row": 2, "facts": {}},
                {"case_id": "P2", "code": "procedure.too_few_officers", "category": "procedure", "severity": "medium",
                 "event_date": "2026-01-06", "record_kind": "penalty", "row": 3, "facts": {}}]
    rv = review_folder(tmp_path / "rv", cases, findings)
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--reviews", rv)
    assert res.exit_code == 0, res.output
    ents = entities_of(out)
    assert ents[code(1)]["flags"] == ["targeted"] and ents[code(2)]["flags"] == []
    hit = [r for r in ents[code(1)]["rules"] if r["rule"] == "TGT-TARGETED-REVIEW"][0]
    assert [(r["case_id"], r["code"]) for r in hit["records"]] == [("P1", "penalty.below_statutory_min")]


def test_review_party_is_read_from_the_case_its_extra_columns_or_finding_facts(tmp_path):
    cases = [{"case_id": "A", "status": "evaluated", "record_kind": "penalty", "event_date": "2026-01-01",
              "party_id": code(1), "fine": 5, "extra": {}},
             {"case_id": "B", "status": "evaluated", "record_kind": "penalty", "event_date": "2026-01-02",
              "extra": {"统一社会信用代码": code(2)}},
             {"case_id": "C", "status": "evaluated", "record_kind": "penalty", "event_date": "2026-01-03",
              "extra": {}},
             {"case_id": "D", "status": "rejected", "record_kind": "penalty", "event_date": None, "extra": {}},
             {"case_id": "E", "status": "evaluated", "record_kind": "penalty", "event_date": "2026-01-04",
              "extra": {}}]
    findings = [{"case_id": "C", "code": "penalty.double_fine", "category": "overreach", "severity": "high",
                 "event_date": "2026-01-03", "facts": {"party_id": code(3), "fine": 75000,
                                                       "sanctions": ["吊销许可证"]}}]
    pens, finds = load_review(review_folder(tmp_path / "rv", cases, findings))
    got = pens[["case_id", "entity_id", "fine"]].astype(object).where(pens[["case_id", "entity_id", "fine"]].notna(),
                                                                      None).values.tolist()
    assert got == [["A", code(1), 5.0], ["B", code(2), None], ["C", code(3), 75000.0], ["E", None, None]]
    assert pens["sanctions"].tolist() == [";", ";", ";revoke_license;", ";"]
    assert finds[["case_id", "entity_id"]].values.tolist() == [["C", code(3)]]


def test_review_records_of_unknown_parties_are_counted_not_rejected(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    rv = review_folder(tmp_path / "rv", [penalty_case("P1", code(1), "2026-01-05", fine=1),
                                          penalty_case("P2", "110105194912310021", "2026-01-05", fine=1),
                                          penalty_case("P3", None, "2026-01-05", fine=1)])
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--reviews", rv)
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["review_not_joined"]["penalties"] == {"records": 3, "joined": 1, "not_joined": 2}
    assert (out / "rejected.csv").read_text("utf-8-sig").strip() == "\"kind\",\"file\",\"row\",\"id\",\"reason\""
