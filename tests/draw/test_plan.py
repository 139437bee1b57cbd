"""Plan loading: exact decimals, the two-inspector minimum, and errors that name the file and line."""
from __future__ import annotations

from decimal import Decimal
import math

import pytest

from engine.draw.algorithm import sample_size
from engine.draw.plan import load_plan
from engine.errors import RuleFileError
from engine.types import FieldType

from .conftest import CASES

BASE = """\
plan_id: T-1
department: 测试局
year: 2025
items:
  - item_id: FOOD-01
    name: 餐饮服务食品安全检查
    basis: {law: 中华人民共和国食品安全法, article: 87}
    kind: general
    filter: "industry == '餐饮'"
    rates: {A: 0.03, B: 0.05, C: 0.10, D: 1.0}
    inspectors_per_target: 2
    frequency_cap: {max: 1, window_days: 365}
"""


def load(tmp_path, text):
    p = tmp_path / "plan.yaml"
    p.write_text(text, encoding="utf-8")
    return load_plan(p)


def errors(tmp_path, text) -> str:
    with pytest.raises(RuleFileError) as e:
        load(tmp_path, text)
    return str(e.value)


def test_bundled_plan_loads():
    lp = load_plan(CASES / "plan.yaml")
    assert [i.item_id for i in lp.plan.items] == ["FOOD-01", "ADV-01", "PUB-01"]
    assert lp.plan.items[2].kind == "key" and lp.plan.items[2].frequency_cap is None


def test_rates_are_exact_decimals(tmp_path):
    lp = load(tmp_path, BASE.replace("C: 0.10", "C: 0.07").replace("A: 0.03", "A: 3%"))
    rates = lp.plan.items[0].rates
    assert rates["C"] == Decimal("0.07") and rates["A"] == Decimal("0.03")
    # float arithmetic would draw 8 of 100 here: 0.07 * 100 = 7.000000000000001
    assert math.ceil(0.07 * 100) == 8
    assert sample_size(rates["C"], 100) == 7
    assert sample_size(Decimal("0.1"), 30) == 3
    assert sample_size(Decimal("0.05"), 29) == 2
    assert sample_size(Decimal("1.0"), 0) == 0


def test_fewer_than_two_inspectors_is_an_error_with_line_and_citation(tmp_path):
    msg = errors(tmp_path, BASE.replace("inspectors_per_target: 2", "inspectors_per_target: 1"))
    assert "plan.yaml:11:" in msg and "行政处罚法》第四十二条" in msg


def test_unknown_key_names_its_line(tmp_path):
    msg = errors(tmp_path, BASE.replace("frequency_cap:", "frequncy_cap:"))
    assert "plan.yaml:12:" in msg and "frequncy_cap" in msg
    assert "未知的键" in msg and "是否应为 'frequency_cap'" in msg


def test_duplicate_key(tmp_path):
    msg = errors(tmp_path, BASE + "year: 2026\n")
    assert "plan.yaml:13:" in msg and "键重复 'year'，首次出现在第 3 行" in msg


def test_key_items_have_no_cap(tmp_path):
    msg = errors(tmp_path, BASE.replace("kind: general", "kind: key"))
    assert "plan.yaml:5:" in msg and "重点检查事项不设抽查频次上限" in msg


def test_rates_must_cover_a_to_d_in_range(tmp_path):
    msg = errors(tmp_path, BASE.replace("D: 1.0", "E: 1.0").replace("A: 0.03", "A: 1.5"))
    assert "missing D" in msg and "unknown E" in msg
    msg = errors(tmp_path, BASE.replace("A: 0.03", "A: 1.5"))
    assert "plan.yaml:10:" in msg and "应在 0 与 1 之间" in msg


def test_filter_errors_point_into_the_plan(tmp_path):
    lp = load(tmp_path, BASE.replace("industry == '餐饮'", "industy == '餐饮'"))
    schema = {"industry": FieldType.STRING, "credit_class": FieldType.STRING}
    with pytest.raises(RuleFileError) as e:
        lp.compile_filters(schema, {"department": FieldType.STRING})
    assert "plan.yaml:9: items[0].filter (FOOD-01): 未知字段 (unknown field) 'industy'" in str(e.value)


def test_not_yaml(tmp_path):
    assert "plan.yaml:3:" in errors(tmp_path, "plan_id: x\nitems: [\n  - a: b\n")


DEEP_FILTERS = {
    "parentheses": "(" * 90 + "industry == '餐饮'" + ")" * 90,
    "not": "not " * 5000 + "industry == '餐饮'",
    "minus": "-" * 5000 + "1 == 1",
    "plus_zero": "1" + " + 0" * 50_000 + " == 1",
}


@pytest.mark.parametrize("kind", sorted(DEEP_FILTERS))
@pytest.mark.parametrize("key", ["filter", "inspector_filter"])
def test_deep_filter_is_a_file_line_error(cli, sample, kind, key):
    """Needs the expression code's nesting and length limits (engine.expr); the plan names the line."""
    text = sample["plan"].read_text(encoding="utf-8")
    lines = text.splitlines()
    if key == "filter":
        at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("filter:"))
    else:
        at = next(i for i, ln in enumerate(lines) if ln.strip().startswith("inspector_filter:"))
    lines[at] = lines[at].split(":")[0] + ": >-\n      " + DEEP_FILTERS[kind]
    sample["plan"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("prepare", sample["plan"], "--entities", sample["entities"], "--inspectors", sample["inspectors"],
            "--conflicts", sample["conflicts"])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output[:300]
    assert f"plan.yaml:{at + 1}: items[" in r.output and f"].{key} (" in r.output, r.output[:300]


@pytest.mark.parametrize("text, says", [
    ("plan_id: x\nitems: " + "[" * 5000 + "]" * 5000 + "\n", "plan.yaml:2: 计划嵌套过深"),
    ("plan_id: x\nitems: &a [*a]\n", "计划嵌套过深"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi")), "计划过大"),
])
def test_deep_or_exploding_yaml_is_a_file_line_error(tmp_path, text, says):
    assert says in errors(tmp_path, text)
