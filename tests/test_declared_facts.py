"""Facts a provision declares (issue 12 §2): read like core columns, checked in conditions, and refused
where they would shadow a core field or contradict another provision's declaration."""
import shutil

import pandas as pd
from click.testing import CliRunner

from cli import main
from conftest import ROOT
from engine.records.frame import normalize
from engine.ruleset.loader import load_rules


def test_a_declared_fact_is_read_under_its_chinese_header(ruleset):
    schema = ruleset.penalty_schema
    records = normalize(pd.DataFrame({"case_id": ["A", "B"], "violation_code": ["FSL-124-1"] * 2,
                                      "已履行进货查验义务并如实说明进货来源": ["是", "否"]}), schema)
    assert records.frame["fsl136_exemption_met"].tolist() == [True, False]


def _rules_with(tmp_path, fact_yaml: str):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    p = root / "penalty/food_safety/FSL-125-1.yaml"
    text = p.read_text(encoding="utf-8")
    start, end = text.index("facts:\n"), text.index("exemptions:\n")
    p.write_text(text[:start] + fact_yaml + text[end:], encoding="utf-8")
    return root


def test_a_fact_shadowing_a_core_field_is_refused(tmp_path):
    root = _rules_with(tmp_path, "facts:\n  - {name: goods_value, zh: 货值, type: amount,\n"
                                 "     citation: {law: 中华人民共和国食品安全法, article: 125}}\n")
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code != 0 and "'goods_value' 是记录的基本字段" in res.output


def test_one_fact_declared_two_ways_is_refused(tmp_path):
    root = _rules_with(tmp_path, "facts:\n  - {name: fsl136_exemption_met, zh: 别的说法, type: bool,\n"
                                 "     citation: {law: 中华人民共和国食品安全法, article: 136}}\n")
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code != 0 and "已由" in res.output and "以不同方式声明" in res.output


def test_a_condition_on_an_undeclared_fact_is_refused(tmp_path):
    root = _rules_with(tmp_path, "facts: []\n")    # FSL-125-1's exemption now names a fact nobody declared
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code != 0 and "fsl136_exemption_met" in res.output
