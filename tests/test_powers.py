"""The power list (权力清单, issue 4 §2) and deadline rule files with mistakes."""
from __future__ import annotations

import datetime as dt
import shutil
import textwrap

import pandas as pd
import pytest

from engine.batch import review_batch
from engine.errors import InputError, RuleFileError
from engine.powers import read_powers
from engine.results import finding_rows

from conftest import BASE, ROOT


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def powers(tmp_path):
    return read_powers(write(tmp_path / "powers.csv", """
        权力编码,权力名称,权力类型,实施部门,设定依据,有效期起,有效期止,违法行为编码
        XK-001,食品经营许可,许可,市场监管局,食品安全法第三十五条,2019-01-01,,
        CF-1,食品安全处罚,处罚,甲局,食品安全法第一百二十四条,2020-01-01,2024-03-31,FSL-124-1
        CF-2,食品安全处罚,处罚,乙局,食品安全法第一百二十四条,2024-04-01,,FSL-124-1;FSL-125-1
        CF-3,缺违法行为编码,处罚,乙局,某法,2024-04-01,,
        """))


def test_power_list_rows_and_rejections(powers):
    assert powers.input_rows == 4 and len(powers.frame) == 3
    assert powers.rejected.to_dict("records") == [
        {"row": 5, "power_code": "CF-3",
         "reason": "处罚类权力须列出其涵盖的违法行为编码 (a penalty power must list the violation codes it covers)"}]


def test_penalty_backed_by_power_in_force_on_decision_date(ruleset, calendar, powers):
    # CF-1 (甲局) ends 2024-03-31; CF-2 (乙局) starts 2024-04-01. A decision of 甲局 on 2024-04-20 is no longer
    # backed by its own power but by 乙局's: wrong department. 乙局 on the same day: backed.
    recs = [{**BASE, "case_id": "P1", "department": "甲局"}, {**BASE, "case_id": "P2", "department": "乙局"},
            {**BASE, "case_id": "P3", "department": "甲局", "decision_date": "2024-03-30",
             "publicized_date": "2024-04-02"},
            {**BASE, "case_id": "P4", "department": "丙局", "violation_code": "FSL-126-1"}]
    b = review_batch(pd.DataFrame(recs).astype(object), ruleset, dt.date(2024, 12, 31), calendar, powers=powers)
    got = {(f["case_id"], f["code"]) for f in finding_rows(b) if f["code"].startswith("overreach.")}
    assert ("P1", "overreach.wrong_department") in got
    assert not any(c == "P2" or c == "P3" for c, _ in got)
    assert ("P4", "overreach.power_not_listed") in got
    wrong = [f for f in finding_rows(b) if f["code"] == "overreach.wrong_department"][0]
    assert wrong["expected"]["departments_holding"] == ["乙局"]
    assert wrong["citations"] == [{"law": "中华人民共和国行政处罚法", "article": 17}]


def test_approval_backed_by_licensing_power(ruleset, calendar, powers):
    recs = [{"record_kind": "approval", "case_id": "A1", "department": "市场监管局", "item_code": "XK-001",
             "received_date": "2024-05-06", "accepted_date": "2024-05-06", "decided_date": "2024-05-10"},
            {"record_kind": "approval", "case_id": "A2", "department": "市场监管局", "item_code": "XK-001",
             "received_date": "2018-05-07", "accepted_date": "2018-05-07", "decided_date": "2018-05-10"},
            {"record_kind": "disclosure", "case_id": "D1", "department": "无权力部门", "received_date": "2024-05-06",
             "replied_date": "2024-05-07"}]
    b = review_batch(pd.DataFrame(recs).astype(object), ruleset, dt.date(2024, 12, 31), calendar, powers=powers)
    got = {(f["case_id"], f["code"]) for f in finding_rows(b)}
    assert got == {("A2", "overreach.power_not_listed")}      # before the power's valid_from; disclosures are duties


def test_yaml_power_list(tmp_path):
    p = write(tmp_path / "powers.yaml", """
        powers:
          - {power_code: XK-001, name: 食品经营许可, type: 许可, department: 市场监管局, legal_basis: 食品安全法第三十五条}
          - {power_code: CF-9, name: 处罚, type: penalty, department: 甲局, legal_basis: 某法, violation_codes: [FSL-124-1, PVR-7]}
          - {power_code: X, name: 无类型, department: 甲局, legal_basis: 某法}
        """)
    pl = read_powers(p)
    assert set(pl.penalties()["key"]) == {"FSL-124-1", "PVR-7"}
    assert pl.rejected["row"].tolist() == [4] and pl.rejected["reason"][0].startswith("权力类型 (type)：缺少 (is missing)")


def test_missing_power_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="权力清单文件不存在"):
        read_powers(tmp_path / "nope.csv")


# -- deadline rule files with mistakes: file, line, what is wrong ----------------------------------------
@pytest.fixture
def rules_copy(tmp_path):
    dst = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dst, ignore=shutil.ignore_patterns("watch", "accountability"))
    return dst


@pytest.mark.parametrize("edit, line, message", [
    (("start: received_date", "start: recieved_date"), 13, "'recieved_date' 不是 disclosure 记录的字段"),
    (("start: received_date", "start: extension_approved"), 13, "'extension_approved' 为是/否字段，此处须为日期"),
    (("code: inaction.disclosure_overdue", "code: inaction.disclosure_late"), 10, "不是已知的问题编码"),
    (("valid_to: 2019-05-14", "valid_to: 2019-05-20"), 26, "版本重叠"),
    (("working_days: 15\n", "working_dayz: 15\n"), 20, "unknown key"),
    (("      - when: extension_approved\n        working_days: 20",
      "      - when: extension_aproved\n        working_days: 20"), 31, "extension_aproved"),
])
def test_deadline_rule_errors_name_file_and_line(rules_copy, edit, line, message):
    from engine.ruleset.loader import load_rules
    path = rules_copy / "deadlines" / "disclosure" / "OGI-33.yaml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as e:
        load_rules(rules_copy)
    problems = [p for p in e.value.problems if p.file == str(path)]
    assert problems and message in problems[0].reason, e.value
    assert problems[0].line == line, str(problems[0])


def test_dangling_and_cyclic_deadline_references(rules_copy):
    from engine.ruleset.loader import load_rules
    path = rules_copy / "deadlines" / "complaint" / "CMP-unhandled.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[CMP-14, PRC-18]", "[CMP-14, PRC-99]"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="after_deadlines: 没有 complaint 类期限 'PRC-99'"):
        load_rules(rules_copy)
    path.write_text(path.read_text(encoding="utf-8").replace("[CMP-14, PRC-99]", "[CMP-unhandled]"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="期限之间循环引用"):
        load_rules(rules_copy)
