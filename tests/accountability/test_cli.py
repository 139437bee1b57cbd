"""`zhunsheng accountability` through click: exit codes, the recommendation notice, files, end to end."""
import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from cli import main

from .helpers import finding, roster_file, write_review

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "问责建议仅供法制部门审核，不自动产生处分"


def invoke(*args):
    return CliRunner().invoke(main, ["accountability", *map(str, args)])


def test_success_writes_every_file_and_says_recommendations_only(tmp_path):
    review = write_review(tmp_path / "r", [finding("K1", officers=["A", "B"], category="overreach",
                                                   severity="high")])
    out = tmp_path / "out"
    res = invoke(review, "--roster", roster_file(tmp_path), "--as-of", "2024-12-31", "--out", out,
                 "--excel", out / "问责建议.xlsx")
    assert res.exit_code == 0, res.output
    assert NOTICE in res.output and "问责建议 notices: 4" in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["notice_zh"] == NOTICE and summary["notices"] == 4
    assert summary["by_subject_type"] == {"department": 1, "leader": 1, "officer": 2}
    assert len((out / "notices.jsonl").read_text(encoding="utf-8").splitlines()) == 4
    book = pd.read_excel(out / "问责建议.xlsx", sheet_name=None)
    assert list(book) == ["说明", "问责建议", "容错免责", "拒收行", "部门排名"]
    assert NOTICE in book["说明"].iloc[0, 1] and NOTICE in book["问责建议"].columns[0]
    sheet = pd.read_excel(out / "问责建议.xlsx", sheet_name="问责建议", skiprows=2)
    assert {"对象类型", "对象编号", "问责措施建议", "规则编号", "统计起日", "统计止日", "问题清单（案件编号 问题代码）",
            "依据"} <= set(sheet.columns)
    assert sorted(sheet["问责措施建议"]) == ["效能告诫", "效能告诫", "效能告诫", "领导责任"]


def test_bad_input_exits_2_without_traceback(tmp_path):
    roster = roster_file(tmp_path)
    res = invoke(tmp_path / "missing", "--roster", roster, "--as-of", "2024-12-31", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "审查输出文件夹不存在" in res.output and "Traceback" not in res.output
    (tmp_path / "empty").mkdir()
    res = invoke(tmp_path / "empty", "--roster", roster, "--as-of", "2024-12-31", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "no findings.jsonl" in res.output
    review = write_review(tmp_path / "r", [finding("K1")])
    res = invoke(review, "--roster", tmp_path / "nope.csv", "--as-of", "2024-12-31", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "nope.csv" in res.output
    res = invoke(review, "--roster", roster, "--as-of", "31/12/2024", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "not a date" in res.output
    res = invoke(review, "--roster", roster, "--out", tmp_path / "o")
    assert res.exit_code == 2 and "--as-of" in res.output
    assert not (tmp_path / "o").exists()


def test_rule_file_error_exits_2_with_file_and_line(tmp_path):
    import shutil
    rules = tmp_path / "acc"
    shutil.copytree(ROOT / "rules" / "accountability", rules)
    f = rules / "ACC-COUNT.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("subjects:", "subject:"), encoding="utf-8")
    review = write_review(tmp_path / "r", [finding("K1")])
    res = invoke(review, "--roster", roster_file(tmp_path), "--as-of", "2024-12-31", "--out", tmp_path / "o",
                 "--triggers", rules)
    assert res.exit_code == 2 and f"{f}:" in res.output and "subject: 未知的键" in res.output


def test_end_to_end_real_review_then_accountability(tmp_path):
    runner = CliRunner()
    review = tmp_path / "sample"
    res = runner.invoke(main, ["review", str(ROOT / "cases" / "penalties.csv"), "--out", str(review),
                               "--as-of", "2024-12-31"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "acc"
    res = runner.invoke(main, ["accountability", str(review),
                               "--roster", str(ROOT / "cases" / "accountability" / "roster.csv"),
                               "--exemptions", str(ROOT / "cases" / "accountability" / "exemptions.csv"),
                               "--as-of", "2024-12-31", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert NOTICE in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    notices = [json.loads(l) for l in (out / "notices.jsonl").read_text(encoding="utf-8").splitlines()]
    # every officer id of the sample is in the bundled roster
    assert summary["not_in_roster"] == {"officers": [], "departments": [], "departments_without_leader": []}
    # the bundled exemption file: one applied (with its reason), one rejected for its missing approver
    assert summary["exemptions"]["accepted"] == 1 and summary["exemptions"]["findings_removed"] == 1
    (bad,) = summary["exemptions"]["rejected_rows"]
    assert bad["row"] == 3 and "approved_by missing" in bad["reason"]
    # findings → notices, checked against the review's own findings.jsonl
    findings = [json.loads(l) for l in (review / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    exempt = {(e["case_id"], e["code"]) for e in summary["exemptions"]["list"]}
    counted = [f for f in findings if f["severity"] in ("medium", "high") and (f["case_id"], f["code"]) not in exempt
               and "2024-01-02" <= f["event_date"] <= "2024-12-31"]
    for n in notices:
        if n["rule_id"] == "ACC-COUNT" and n["subject_type"] == "officer":
            mine = [f for f in counted if n["subject_id"] in f["officers"]]
            assert n["count"] == len(mine)
            assert sorted((f["case_id"], f["code"]) for f in mine) == sorted(
                (f["case_id"], f["code"]) for f in n["findings"])
    high_overreach = [f for f in counted if f["category"] == "overreach" and f["severity"] == "high"]
    assert len([n for n in notices if n["rule_id"] == "ACC-DOUBLE-CHECK"]) == len(high_overreach)
    for n in notices:
        assert n["citations"] and n["reason_zh"] and n["reason_en"]
