"""Rule-file mistakes fail with file:line and what is wrong."""
import shutil
import textwrap


from conftest import ROOT
from engine.ruleset.lint import lint

GOOD = textwrap.dedent("""\
    kind: provision
    id: TEST-1
    title: 测试条款
    citation: {law: 测试法, article: 1}
    versions:
      - valid_from: 2020-01-01
        source: 测试法 第一条
        requires: [goods_value]
        branches:
          - id: low
            when: goods_value < 10000
            fine: {min: 50000, max: 100000}
          - id: high
            when: goods_value >= 10000
            fine: {base: goods_value, min_multiple: 10, max_multiple: 20}
    """)


def make(tmp_path, text, name="TEST-1"):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "procedure", root / "procedure")
    (root / "penalty").mkdir(parents=True)
    (root / "penalty" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def messages(tmp_path, text):
    problems, _ = lint(make(tmp_path, text))
    return [str(p) for p in problems]


def test_good_file_passes(tmp_path):
    assert messages(tmp_path, GOOD) == []


def test_shipped_rules_pass():
    problems, count = lint(ROOT / "rules")
    assert problems == [] and count >= 10


def one(tmp_path, text) -> str:
    msgs = messages(tmp_path, text)
    assert len(msgs) >= 1, "expected a problem"
    return "\n".join(msgs)


def test_branch_gap_names_line_and_a_witness(tmp_path):
    msg = one(tmp_path, GOOD.replace("goods_value >= 10000", "goods_value > 10000"))
    assert "TEST-1.yaml:9:" in msg and "gap" in msg and "goods_value=10000.0" in msg


def test_branch_overlap(tmp_path):
    msg = one(tmp_path, GOOD.replace("goods_value < 10000", "goods_value <= 10000"))
    assert "TEST-1.yaml:14:" in msg and "分支 'low' 与 'high' 重叠" in msg and "goods_value=10000" in msg


def test_unknown_field_in_expression(tmp_path):
    msg = one(tmp_path, GOOD.replace("goods_value < 10000", "goods_valu < 10000"))
    assert "TEST-1.yaml:11:" in msg and "未知字段 (unknown field) 'goods_valu'" in msg


def test_wrong_type_comparison(tmp_path):
    msg = one(tmp_path, GOOD.replace("goods_value < 10000", "goods_value < '10000'"))
    assert "TEST-1.yaml:11:" in msg and "数值不能与文本比较" in msg


def test_missing_citation(tmp_path):
    msg = one(tmp_path, GOOD.replace("citation: {law: 测试法, article: 1}\n", ""))
    assert "TEST-1.yaml:" in msg and "citation: 缺少必填的键 (required key is missing)" in msg


def test_citation_without_article(tmp_path):
    msg = one(tmp_path, GOOD.replace("{law: 测试法, article: 1}", "{law: 测试法}"))
    assert "TEST-1.yaml:4:" in msg and "引用须有 article" in msg


def test_mistyped_key(tmp_path):
    msg = one(tmp_path, GOOD.replace("requires:", "require:"))
    assert "TEST-1.yaml:8:" in msg and "unknown key" in msg


def test_duplicate_key(tmp_path):
    msg = one(tmp_path, GOOD.replace("title: 测试条款\n", "title: 测试条款\ntitle: 又一个\n"))
    assert "TEST-1.yaml:4:" in msg and "duplicate key 'title'" in msg


def test_overlapping_versions(tmp_path):
    text = GOOD.replace("  - valid_from: 2020-01-01\n", "  - valid_from: 2020-01-01\n    valid_to: 2022-12-31\n")
    second = GOOD[GOOD.index("  - valid_from"):].replace("2020-01-01", "2022-06-01")
    msgs = messages(tmp_path, text + second)
    line = [m for m in msgs if "版本重叠" in m]
    assert line and "2022-06-01" in line[0]
    assert line[0].split(":")[1] == "17"   # the second version's valid_from


TIERED = GOOD.replace("        fine: {min: 50000, max: 100000}\n",
                      "        fine: {{min: 50000, max: 500000}}\n        tiers:\n"
                      "          减轻处罚: [{a}, {b}]\n          从轻处罚: [{c}, {d}]\n"
                      "          一般处罚: [{e}, {f}]\n          从重处罚: [{g}, {h}]\n").replace(
                      "fine: {base: goods_value, min_multiple: 10, max_multiple: 20}",
                      "fine: {{base: goods_value, min_multiple: 10, max_multiple: 20}}").replace(
                      "citation: {law: 测试法, article: 1}", "citation: {{law: 测试法, article: 1}}")


def tiered(**kw):
    vals = dict(a=0, b=50000, c=50000, d=100000, e=100000, f=250000, g=250000, h=500000)
    vals.update(kw)
    return TIERED.format(**vals)


def test_explicit_tiers_that_fit_pass(tmp_path):
    assert messages(tmp_path, tiered()) == []


def test_mitigated_tier_not_below_minimum(tmp_path):
    # law_facts §3 B: a local benchmark set "减轻" at 5–10万 for a 5万–50万 article: not below the minimum
    msg = one(tmp_path, tiered(a=50000, b=100000))
    assert "TEST-1.yaml:14:" in msg and "减轻处罚档次 0–50000" not in msg and "须低于法定最低 50000" in msg


def test_tier_outside_branch(tmp_path):
    msg = one(tmp_path, tiered(h=600000))
    assert "TEST-1.yaml:17:" in msg and "档次 从重处罚 250000–600000元 超出法定幅度" in msg


def test_tier_gap_and_overlap(tmp_path):
    msg = one(tmp_path, tiered(e=120000))
    assert "TEST-1.yaml:16:" in msg and "从轻处罚（至 100000）与 一般处罚（自 120000）之间有空档" in msg
    msg = one(tmp_path / "second", tiered(e=90000))
    assert "从轻处罚（至 100000）与 一般处罚（自 90000）重叠" in msg


def test_lint_cli_exit_code_and_output(tmp_path):
    from click.testing import CliRunner

    from cli import main
    root = make(tmp_path, GOOD.replace("goods_value >= 10000", "goods_value > 10000"))
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code == 1
    assert "TEST-1.yaml:9:" in res.output
    res = CliRunner().invoke(main, ["rules", "lint", str(ROOT / "rules")])
    assert res.exit_code == 0, res.output


def test_explicit_benchmark_tiers_drive_the_lawful_range(tmp_path, calendar):
    """A branch's own tiers (set by a benchmark document) replace the default 0.3/0.7 split.

    50,000–500,000 yuan with 一般 = 100,000–250,000: a fine of 260,000 is outside the tier.
    """
    import datetime as dt

    from engine.penalty.check import check_record
    from engine.ruleset.loader import load_rules
    rs = load_rules(make(tmp_path, tiered()))
    base = {"case_id": "T1", "violation_code": "TEST-1", "party_type": "organization", "officers": "A;B", "goods_value": 9000,
            "violation_date": "2024-03-01", "decision_date": "2024-04-01", "hearing_notified": "true",
            "procedure": "ordinary"}
    ok = check_record({**base, "fine": 200000}, rs, dt.date(2024, 12, 31), calendar)
    assert (ok["lawful_fine_min"], ok["lawful_fine_max"]) == (100000.0, 250000.0)
    assert ok["codes"] == []
    out = check_record({**base, "fine": 260000}, rs, dt.date(2024, 12, 31), calendar)
    assert out["codes"] == ["penalty.outside_tier"]
