"""Hostile rule files, expressions and reference files end in a file:line message (exit 2), never a
traceback: expression size limits, bytes YAML cannot hold, absurd amounts, missing reference columns,
and spreadsheet cells that would run as formulas."""
from __future__ import annotations

import shutil
import sys
import textwrap
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from conftest import BASE, ROOT
from engine.errors import ExprError, InputError, RuleFileError
from engine.expr import Expression
from engine.expr.limits import MAX_DEPTH, MAX_EXPRESSION_CHARS, MAX_NESTING
from engine.records.frame import normalize
from engine.records.schema import expression_choices, expression_schema
from engine.ruleset.lint import lint
from engine.ruleset.loader import load_rules

SCHEMA, CHOICES = expression_schema(), expression_choices()
PROVISION = ROOT / "rules" / "penalty" / "food_safety" / "FSL-124-1.yaml"
WHEN = "when: goods_value < 10000"          # the first branch condition of FSL-124-1.yaml
WHEN_LINE = 1 + (ROOT / "rules/penalty/food_safety/FSL-124-1.yaml").read_text(encoding="utf-8") \
    .splitlines().index("        " + WHEN)

# the inputs of the issue: each reached Python's recursion limit in the parser, the passes or a compiler
DEEP = {
    "parentheses_90": "(" * 90 + "goods_value < 10000" + ")" * 90,
    "not_5000": "not " * 5000 + "goods_value < 10000",
    "minus_5000": "-" * 5000 + "goods_value < 10000",
    "plus_zero_50000": "goods_value" + " + 0" * 50_000 + " < 10000",
    "plus_zero_150": "goods_value" + " + 0" * 150 + " < 10000",      # short, but 150 levels of '+'
}
LIMIT_WORDS = ("表达式嵌套过深", "表达式过长", "表达式运算层次过深")


def rules_with(tmp_path, replace: str, by: str, name: str = "FSL-124-1.yaml"):
    """A copy of the shipped rules with one text replaced in one provision file."""
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    path = next(root.rglob(name))
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, by), encoding="utf-8")
    return root


def quoted(expr: str) -> str:
    return f"when: '{expr}'"


def problems_of(root) -> str:
    problems, _ = lint(root)
    return "\n".join(map(str, problems))


# -- 1. expression size --------------------------------------------------------------------------------
@pytest.mark.parametrize("source", DEEP.values(), ids=DEEP.keys())
def test_deep_expression_is_an_expr_error_not_recursion(source):
    with pytest.raises(ExprError) as e:
        Expression.compile(source, SCHEMA, CHOICES)
    assert any(w in str(e.value) for w in LIMIT_WORDS)


@pytest.mark.parametrize("name", DEEP)
def test_deep_expression_in_a_rule_file_is_a_lint_problem_at_its_line(tmp_path, name):
    msg = problems_of(rules_with(tmp_path, WHEN, quoted(DEEP[name])))
    assert f"FSL-124-1.yaml:{WHEN_LINE}: versions.0.branches.0.when: " in msg
    assert any(w in msg for w in LIMIT_WORDS)


@pytest.mark.parametrize("command", [
    ["rules", "test"],
    ["review", str(ROOT / "cases" / "penalties.csv"), "--as-of", "2024-12-31", "--out", "{out}"],
    ["check", "--violation-code", "FSL-124-1", "--goods-value", "8000", "--fine", "75000"],
], ids=["rules test", "review --rules", "check"])
def test_deep_expression_exits_2_with_file_and_line_from_every_command(tmp_path, command):
    root = rules_with(tmp_path, WHEN, quoted(DEEP["parentheses_90"]))
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    res = CliRunner().invoke(main, ["--rules", str(root), *args])
    assert res.exit_code == 2, res.output
    assert f"FSL-124-1.yaml:{WHEN_LINE}:" in res.output and "表达式嵌套过深" in res.output
    assert "Traceback" not in res.output


def test_rules_lint_reports_deep_expression_and_exits_1(tmp_path):
    root = rules_with(tmp_path, WHEN, quoted(DEEP["not_5000"]))
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code == 1, res.output
    assert f"FSL-124-1.yaml:{WHEN_LINE}:" in res.output and "表达式过长" in res.output


def test_deep_draw_plan_filter_is_a_plan_line_error(tmp_path):
    from engine.draw.plan import load_plan
    from engine.types import FieldType
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(f"""\
        plan_id: T-1
        department: 测试局
        year: 2025
        items:
          - item_id: FOOD-01
            name: 餐饮服务食品安全检查
            basis: {{law: 中华人民共和国食品安全法, article: 87}}
            kind: general
            filter: "{'not ' * 5000}industry == '餐饮'"
            rates: {{A: 0.03, B: 0.05, C: 0.10, D: 1.0}}
            inspectors_per_target: 2
            frequency_cap: {{max: 1, window_days: 365}}
        """), encoding="utf-8")
    lp = load_plan(plan)
    with pytest.raises(RuleFileError) as e:
        lp.compile_filters({"industry": FieldType.STRING, "credit_class": FieldType.STRING}, {})
    assert "plan.yaml:9: items[0].filter (FOOD-01): 表达式过长" in str(e.value)


def test_long_shallow_expression_still_compiles_and_evaluates():
    source = " or ".join(f"goods_value == {i}" for i in range(200))
    e = Expression.compile(source, SCHEMA, CHOICES)
    assert e.evaluate_record({"goods_value": 199}) is True
    assert e.evaluate_record({"goods_value": 200}) is False
    frame = normalize(pd.DataFrame([{**BASE, "case_id": "C1", "goods_value": 150},
                                    {**BASE, "case_id": "C2", "goods_value": 250}]).astype(object)).frame
    assert e.evaluate(frame).tolist() == [True, False]


def test_long_shallow_condition_in_a_rule_file_passes_lint(tmp_path):
    low = " or ".join(f"goods_value < {i}" for i in range(9801, 10001))     # 200 terms: goods_value < 10000
    assert problems_of(rules_with(tmp_path, WHEN, quoted(low))) == ""


def _frames_in_use() -> int:
    f, n = sys._getframe(), 0
    while f:
        f, n = f.f_back, n + 1
    return n


AT_THE_LIMITS = {
    "nesting": "(" * (MAX_NESTING - 1) + "abs(goods_value) > 1" + ")" * (MAX_NESTING - 1),
    "calls": "min(" * MAX_NESTING + "goods_value" + ", 1)" * MAX_NESTING + " > 0",
    "depth": "goods_value" + " + 1" * (MAX_DEPTH - 2) + " > 1",
    "length": "goods_value > 1 or " * ((MAX_EXPRESSION_CHARS - 4) // 19) + "true",
}


@pytest.mark.parametrize("name", AT_THE_LIMITS)
def test_expressions_at_the_limits_need_under_500_frames(name):
    """The limits leave room for callers: an expression just inside them compiles and runs on both back
    ends with 500 frames to spare, whatever the stack of the command that loads it."""
    source = AT_THE_LIMITS[name]
    assert len(source) <= MAX_EXPRESSION_CHARS
    frame = normalize(pd.DataFrame([{**BASE, "case_id": "C1"}]).astype(object)).frame
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames_in_use() + 500)
    try:
        e = Expression.compile(source, SCHEMA, CHOICES)
        e.evaluate_record({**BASE})
        e.evaluate(frame)
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize("source", [
    "(" * (MAX_NESTING + 1) + "goods_value > 1" + ")" * (MAX_NESTING + 1),
    "goods_value" + " + 1" * MAX_DEPTH + " > 1",
    "goods_value > 1 or " + "x" * MAX_EXPRESSION_CHARS,
])
def test_one_past_each_limit_is_refused(source):
    with pytest.raises(ExprError):
        Expression.compile(source, SCHEMA, CHOICES)


def test_nested_calls_evaluate_each_argument_once():
    """abs(abs(…)) 24 deep ran its argument 2**24 times per record (the missing-value test ran it again)."""
    e = Expression.compile("abs(" * 24 + "goods_value" + ")" * 24 + " > 1", SCHEMA, CHOICES)
    neg = Expression.compile("-" * 24 + "goods_value > 1", SCHEMA, CHOICES)
    start = time.perf_counter()
    assert e.evaluate_record({"goods_value": -5}) is True
    assert neg.evaluate_record({"goods_value": 5}) is True
    assert time.perf_counter() - start < 1.0


def test_error_at_the_end_of_a_block_scalar_names_a_shown_line():
    """A YAML block scalar ends with a newline: the end of expression was on a line the source does
    not have, and describing the error raised IndexError."""
    with pytest.raises(ExprError) as e:
        Expression.compile("goods_value >\n", SCHEMA, CHOICES)
    assert "end of expression" in str(e.value)


@pytest.mark.parametrize("source", ["is_null([true])", "is_null([1, 2])"])
def test_list_outside_in_is_refused_when_compiled(source):
    """Found by fuzzing: it type-checked, then no back end could evaluate it (NotImplementedError)."""
    with pytest.raises(ExprError, match="列表只能用在 in 之后"):
        Expression.compile(source, SCHEMA, CHOICES)


# -- 2. bytes YAML cannot hold ------------------------------------------------------------------------
def _write_bytes(root, name, data: bytes):
    path = next(root.rglob(name))
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("bad, line, words", [
    (b"\x00", 3, "U+0000"),
    (b"\x07", 3, "U+0007"),
    (b"\x1b", 3, "U+001B"),
    (b"\xff\xfe", 3, "UTF-8"),
], ids=["NUL", "BEL", "ESC", "invalid UTF-8"])
def test_unreadable_bytes_in_a_rule_file_are_a_problem_at_their_line(tmp_path, bad, line, words):
    root = rules_with(tmp_path, WHEN, WHEN)
    path = next(root.rglob("FSL-124-1.yaml"))
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] += bad
    path.write_bytes(b"\n".join(lines))
    msg = problems_of(root)
    assert f"FSL-124-1.yaml:{line}:" in msg and words in msg
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code == 1 and f"FSL-124-1.yaml:{line}:" in res.output


@pytest.mark.parametrize("text, line, words", [
    ("id: x\n? [a, b]\n: 1\n", 2, "键必须是单个值"),
    ("id: x\nn: 1" + "0" * 5000 + "\n", 2, "value cannot be read"),
    ("id: x\nv: " + "[" * 300 + "]" * 300 + "\n", 2, "YAML 嵌套过深"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]\n" for i in range(1, 9)),
     1, "别名展开过多"),
    ("a: &x [1, *x]\n", 1, "别名引用了自身"),
], ids=["list key", "5000-digit integer", "300 levels", "billion laughs", "self alias"])
def test_yaml_that_cannot_be_built_is_a_problem_at_its_line(tmp_path, text, line, words):
    root = rules_with(tmp_path, WHEN, WHEN)
    _write_bytes(root, "FSL-124-1.yaml", text.encode())
    start = time.perf_counter()
    msg = problems_of(root)
    assert f"FSL-124-1.yaml:{line}:" in msg and words in msg
    assert time.perf_counter() - start < 30


def test_control_character_in_a_yaml_power_list_is_an_input_error_with_line(tmp_path):
    from engine.powers import read_powers
    p = tmp_path / "powers.yaml"
    p.write_bytes("powers:\n  - {power_code: XK-1, type: 许可, department: 甲局, legal_basis: 某法\x00}\n".encode())
    with pytest.raises(InputError, match=r"powers.yaml:2: .*U\+0000"):
        read_powers(p)


def test_bad_cases_file_is_a_problem_not_a_crash(tmp_path):
    root = rules_with(tmp_path, WHEN, WHEN)
    cases = next(root.rglob("FSL-124-1.cases.yaml"))
    text = cases.read_text(encoding="utf-8")
    text = text.replace("input: {goods_value: 9999.99, fine: 75000}", "input: [goods_value]", 1)
    text = text.replace("input: {goods_value: 10000, fine: 150000}",
                        "input: {goods_value: 10000, fine: 150000}\n    as_of: 2024-13-45", 1)
    cases.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["--rules", str(root), "rules", "test"])
    assert res.exit_code == 2, res.output
    assert "FSL-124-1.cases.yaml:22: input: 应为字段到值的映射" in res.output
    assert "FSL-124-1.cases.yaml:27: cases.1.as_of: 不是日期" in res.output


# -- 3. amounts and other numbers --------------------------------------------------------------------
@pytest.mark.parametrize("replace, by, words", [
    ("fine: {min: 50000, max: 100000}", "fine: {min: 1e308, max: 1e309}", "金额超过上限"),
    ("fine: {min: 50000, max: 100000}", "fine: {min: 50000, max: 10000000000001}", "金额超过上限"),
    ("min_multiple: 10, max_multiple: 20", "min_multiple: 10, max_multiple: 1e20", "倍数超过上限"),
    ("citation: {law: 中华人民共和国食品安全法, article: 124, paragraph: 1}",
     "citation: {law: 中华人民共和国食品安全法, article: 1000000000000, paragraph: 1}", "条款项序号超过上限"),
], ids=["1e309 yuan", "just over 10^13 yuan", "1e20 times", "article 10^12"])
def test_absurd_numbers_in_a_provision_are_lint_errors(tmp_path, replace, by, words):
    msg = problems_of(rules_with(tmp_path, replace, by))
    assert "FSL-124-1.yaml:" in msg and words in msg


def test_fine_at_the_ceiling_is_accepted(tmp_path):
    msg = problems_of(rules_with(tmp_path, "fine: {min: 50000, max: 100000}",
                                 "fine: {min: 50000, max: 10000000000000}"))
    assert "上限" not in msg


@pytest.mark.parametrize("name, file, replace, by, words", [
    ("hearing threshold as text", "administrative_penalty.yaml", "value: 10000", "value: 1e309", "参数值超过上限"),
    ("time bar in years", "administrative_penalty.yaml", "time_bar_years:\n    value: 2",
     "time_bar_years:\n    value: 1000000000000", "上限 100年"),
    ("deadline working days", "LIC-42.yaml", "working_days: 20", "working_days: 1000000000", "天数超过上限"),
])
def test_absurd_parameters_and_deadlines_are_lint_errors(tmp_path, name, file, replace, by, words):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    path = next(root.rglob(file))
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    msg = problems_of(root)
    assert f"{file}:" in msg and words in msg


def test_absurd_catalogue_period_is_a_rule_file_error(tmp_path):
    from engine.catalog.rules import load_cleanup
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "catalog", root / "catalog")
    path = root / "catalog" / "cleanup.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("temporary_period_years:")
    at = text.index("value:", start)
    end = text.index("\n", at)
    path.write_text(text[:at] + "value: 1000000000" + text[end:], encoding="utf-8")
    with pytest.raises(RuleFileError, match="上限 100年"):
        load_cleanup(root)


# -- 4. reference files missing a column ---------------------------------------------------------------
POWERS_CSV = (ROOT / "cases" / "powers.csv").read_text(encoding="utf-8")


def test_power_list_without_its_basis_column_is_a_file_error(tmp_path):
    from engine.powers import read_powers
    lines = [l.split(",") for l in POWERS_CSV.splitlines()]
    i = lines[0].index("设定依据")
    p = tmp_path / "powers.csv"
    p.write_text("\n".join(",".join(l[:i] + l[i + 1:]) for l in lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_powers(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: 权力清单缺少必需的列：设定依据")
    assert "legal_basis" in msg and "basis" in msg and "依据" in msg


def test_review_with_a_power_list_missing_a_column_exits_2(tmp_path):
    p = tmp_path / "powers.csv"
    p.write_text(POWERS_CSV.replace("实施部门", "备注"), encoding="utf-8")
    res = CliRunner().invoke(main, ["review", str(ROOT / "cases" / "penalties.csv"), "--as-of", "2024-12-31",
                                    "--out", str(tmp_path / "out"), "--powers", str(p)])
    assert res.exit_code == 2, res.output
    assert "实施部门" in res.output and "department" in res.output
    assert not (tmp_path / "out" / "findings.jsonl").exists()


@pytest.mark.parametrize("header", ["basis", "依据", "设定依据", "legal_basis", "Legal Basis", "法律依据"])
def test_power_list_basis_header_variants(tmp_path, header):
    from engine.powers import read_powers
    p = tmp_path / "powers.csv"
    p.write_text(POWERS_CSV.replace("设定依据", header, 1), encoding="utf-8")
    pl = read_powers(p)
    assert len(pl.frame) == len(read_powers(ROOT / "cases" / "powers.csv").frame)
    assert pl.frame["legal_basis"].notna().all()


def test_power_list_header_variants_for_the_other_columns(tmp_path):
    from engine.powers import read_powers
    p = tmp_path / "powers.csv"
    header = POWERS_CSV.splitlines()[0]
    p.write_text(POWERS_CSV.replace(header, "power code,事项名称,power type,实施机关,basis,valid from,valid to,violation codes", 1),
                 encoding="utf-8")
    pl = read_powers(p)
    shipped = read_powers(ROOT / "cases" / "powers.csv")
    assert pl.rejected.equals(shipped.rejected) and len(pl.frame) == len(shipped.frame)


def test_yaml_power_list_without_a_department_anywhere_is_a_file_error(tmp_path):
    from engine.powers import read_powers
    p = tmp_path / "powers.yaml"
    p.write_text("powers:\n  - {power_code: XK-1, type: 许可, legal_basis: 某法}\n", encoding="utf-8")
    with pytest.raises(InputError, match="缺少必需的列：实施部门"):
        read_powers(p)


def test_penalty_powers_without_a_violation_codes_column_are_a_file_error(tmp_path):
    from engine.powers import read_powers
    p = tmp_path / "powers.csv"
    lines = [l.split(",") for l in POWERS_CSV.splitlines()]
    p.write_text("\n".join(",".join(l[:-1]) for l in lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="违法行为编码"):
        read_powers(p)


CATALOG_CSV = (ROOT / "cases" / "catalog.csv").read_text(encoding="utf-8")


def test_catalogue_missing_a_column_names_the_headers_accepted(tmp_path):
    from engine.catalog.audit import audit_catalog, read_catalog
    p = tmp_path / "catalog.csv"
    p.write_text(CATALOG_CSV.replace("设定依据层级", "层级", 1), encoding="utf-8")
    with pytest.raises(InputError) as e:
        audit_catalog(read_catalog(p), pd.Timestamp("2024-12-31").date())
    msg = str(e.value)
    assert msg.startswith("审批事项目录缺少必需的列：设定依据层级")
    assert "accepted headers" in msg and "依据层级" in msg and "basis level" in msg


def test_catalogue_basis_header_variants(tmp_path):
    from engine.catalog.audit import audit_catalog, read_catalog
    p = tmp_path / "catalog.csv"
    header = CATALOG_CSV.splitlines()[0]
    p.write_text(CATALOG_CSV.replace(header, header.replace(",设定依据,", ",basis,").replace("设定依据层级", "依据层级"),
                                     1), encoding="utf-8")
    result = audit_catalog(read_catalog(p), pd.Timestamp("2024-12-31").date())
    assert result.rows["basis_citation"].notna().any() and result.summary["rejected"] == 2


# -- 5. spreadsheet cells from the catalogue ------------------------------------------------------------
def _catalogue_workbook(tmp_path, rows):
    import openpyxl

    from engine.catalog.audit import audit_catalog, write_audit
    from catalog.helpers import AS_OF
    raw = pd.DataFrame(rows).astype(object)
    raw["__row__"] = range(2, 2 + len(raw))
    xlsx = tmp_path / "目录.xlsx"
    write_audit(audit_catalog(raw, AS_OF), tmp_path / "out", excel=xlsx)
    return [c for ws in openpyxl.load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row]


def test_catalogue_workbook_never_holds_a_formula(tmp_path):
    from catalog.helpers import item, pre
    code = "=HYPERLINK(\"http://x\",\"y\")"
    cells = _catalogue_workbook(tmp_path, [
        item(item_code=code, item_name="+1+1", department="@SUM(A1)"),
        pre("-2+3", item_code=code, precondition_name="\t=1", department="@SUM(A1)"),
        item(item_code="XK-7", item_name="-1", department="\r=2")])
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {code, "+1+1", "@SUM(A1)", "-2+3"} <= texts


def test_catalogue_workbook_survives_control_characters(tmp_path):
    from catalog.helpers import item
    cells = _catalogue_workbook(tmp_path, [item(item_code="XK-7", item_name="铃\x07声\x1b")])
    assert "铃\\x07声\\x1b" in {c.value for c in cells}
