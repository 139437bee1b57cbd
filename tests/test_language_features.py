"""The rule language's later features (issue 12 §2): 双罚制 persons a decision must punish beside the unit,
cross-references (依照…的规定处罚), no statutory maximum, 按日连续处罚, and yielding to special law — each
on real provisions with the numbers worked by hand from the statute text."""
import shutil

from click.testing import CliRunner

from cli import main
from conftest import ROOT
from engine.results import case_table, finding_rows

# 安全生产法(2021) 第九十七条: 责令限期改正，处十万元以下的罚款；逾期未改正的，责令停产停业整顿，并处十万元以上二十万元
# 以下的罚款，对其直接负责的主管人员和其他直接责任人员处二万元以上五万元以下的罚款
WSL97 = {"violation_code": "AQSC-97", "party_type": "organization", "officers": "T1;T2", "procedure": "ordinary",
         "violation_date": "2024-03-01", "discovered_date": "2024-03-05", "filed_date": "2024-03-06",
         "decision_date": "2024-04-20", "publicized_date": "2024-04-25", "hearing_notified": "true",
         "harm": "general", "extension_approved": "false", "department": "某县应急管理局"}


def _wsl97(case_id, decision_no, **kw):
    return {**WSL97, "case_id": case_id, "decision_no": decision_no, **kw}


def _codes(ev):
    return {c["case_id"]: c["codes"] for c in case_table(ev).to_pylist()}


def test_a_decision_fining_the_unit_after_the_deadline_must_fine_its_persons(review):
    ev = review([
        # D1: 逾期未改正 — the unit 150,000 (一般 130,000–170,000) with 停产停业整顿, and its manager 35,000
        _wsl97("D1-unit", "应急罚〔2024〕1号", refused_correction="true", fine=150000, sanctions="suspend"),
        _wsl97("D1-person", "应急罚〔2024〕1号", subject="责任人员", party_type="individual",
               refused_correction="true", fine=35000),
        # D2: the same unit penalty, nobody else in the decision: the persons' fine of Art. 97 is missing
        _wsl97("D2-unit", "应急罚〔2024〕2号", refused_correction="true", fine=150000, sanctions="suspend"),
        # D3: within the correction period only the unit is fined (第九十七条 first clause)
        _wsl97("D3-unit", "应急罚〔2024〕3号", refused_correction="false", fine=50000),
        # no decision number: whether the persons were punished is not judged
        _wsl97("D4-unit", None, refused_correction="true", fine=150000, sanctions="suspend"),
    ])
    codes = _codes(ev)
    assert codes == {"D1-unit": [], "D1-person": [], "D2-unit": ["penalty.persons_not_punished"],
                     "D3-unit": [], "D4-unit": []}
    (f,) = [f for f in finding_rows(ev) if f["code"] == "penalty.persons_not_punished"]
    assert f["certainty"] == "definite" and "应急罚〔2024〕2号" in f["message_zh"]
    assert f["citations"] == [{"law": "中华人民共和国安全生产法", "article": 97}]


def test_persons_of_the_unit_are_held_to_their_own_range(review):
    ev = review([_wsl97("P1", "应急罚〔2024〕5号", subject="责任人员", party_type="individual",
                        refused_correction="true", fine=50001),      # above 五万元
                 _wsl97("P2", "应急罚〔2024〕6号", subject="责任人员", party_type="individual",
                        refused_correction="true", fine=19999)])     # below 二万元
    cases = {c["case_id"]: c for c in case_table(ev).to_pylist()}
    assert cases["P1"]["codes"] == ["penalty.above_statutory_max"]
    assert cases["P2"]["codes"] == ["penalty.below_statutory_min"]
    assert (cases["P1"]["lawful_fine_min"], cases["P1"]["lawful_fine_max"]) == (29000, 41000)   # 20,000 + 0.3/0.7 × 30,000


def test_partial_rows_of_two_provisions_cite_each_its_own_article(review, base_record):
    # both above their maximum whatever the blank filed date was; each finding cites only its own article
    food = {**base_record, "case_id": "F", "fine": 100001, "filed_date": None}           # 食品安全法第124条: 5万–10万
    safety = _wsl97("W", None, refused_correction="false", fine=100001, filed_date=None)  # 安全生产法第97条: 十万元以下
    found = {f["case_id"]: f for f in finding_rows(review([food, safety])) if f["code"] == "penalty.above_statutory_max"}
    assert found["F"]["certainty"] == found["W"]["certainty"] == "definite"
    assert [c["article"] for c in found["F"]["citations"]] == [124]
    assert [c["article"] for c in found["W"]["citations"]] == [97]


def _rules_plus(tmp_path, name: str, text: str):
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    (root / "penalty" / "zz").mkdir()
    (root / "penalty" / "zz" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


REFERRING = """kind: provision
id: {id}
title: 依照条款测试
citation: {{law: 中华人民共和国食品安全法实施条例, article: 73}}
versions:
  - valid_from: {start}
    source: test
    branches:
      - id: serious
        refer: {{provision: {target}}}
"""


def test_a_reference_to_a_missing_provision_is_a_lint_problem(tmp_path):
    root = _rules_plus(tmp_path, "ZZ-1", REFERRING.format(id="ZZ-1", start="2020-01-01", target="FSL-999"))
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code == 1 and "ZZ-1.yaml:10: refer: 没有可依照的条款 'FSL-999'" in res.output


def test_a_reference_before_the_target_text_is_a_lint_problem(tmp_path):
    # 食品安全法 Art. 140 ¶5 is encoded from the 2015 text (in force 2015-10-01)
    root = _rules_plus(tmp_path, "ZZ-1", REFERRING.format(id="ZZ-1", start="2015-01-01", target="FSL-140-5"))
    res = CliRunner().invoke(main, ["rules", "lint", str(root)])
    assert res.exit_code == 1 and "FSL-140-5 在 2015-01-01 没有有效版本" in res.output


def test_a_reference_takes_the_target_range_and_cites_both(tmp_path, calendar):
    import pandas as pd

    from engine.review import review_frame
    from engine.ruleset.loader import load_rules
    root = _rules_plus(tmp_path, "ZZ-1", REFERRING.format(id="ZZ-1", start="2019-12-01", target="FSL-140-5"))
    rs = load_rules(root)
    row = {"case_id": "R", "violation_code": "ZZ-1", "party_type": "organization", "officers": "T1;T2",
           "procedure": "ordinary", "violation_date": "2024-03-01", "discovered_date": "2024-03-05",
           "filed_date": "2024-03-06", "decision_date": "2024-04-20", "publicized_date": "2024-04-25",
           "hearing_notified": "true", "harm": "general", "extension_approved": "false",
           "fine": 50001, "sanctions": "confiscate_goods", "illegal_gain": 0}
    import datetime as dt
    ev = review_frame(pd.DataFrame([row]).astype(object), rs, dt.date(2025, 1, 1), calendar)
    # 食品安全法第一百四十条第五款: 并处二万元以上五万元以下罚款 — 50,001 is above it
    (c,) = case_table(ev).to_pylist()
    assert c["codes"] == ["penalty.above_statutory_max"] and c["lawful_fine_max"] == 41000
    (f,) = finding_rows(ev)
    assert [(x["law"], x["article"], x.get("paragraph")) for x in f["citations"]] == [
        ("中华人民共和国食品安全法实施条例", 73, None), ("中华人民共和国食品安全法", 140, 5)]
    assert "依照中华人民共和国食品安全法第140条第5款" in f["message_zh"]


# ───────────── several violations in one decision (issue 16 §4): the procedure is the decision's ─────────────

def test_the_hearing_threshold_applies_to_the_decision_total(review, base_record):
    # 食品安全法第一百二十四条第一款, 货值 8,000 元: 50,000–100,000 each (一般 65,000–85,000). Two violations of one
    # decision fined 75,000 each: 150,000 in all, at or above the 100,000 of 行政处罚法第六十三条 (较大数额, the
    # organization threshold parameter) — the party had to be told of its right to a hearing.
    row = {**base_record, "hearing_notified": "false", "department": "某市市场监督管理局", "extension_approved": "false"}
    ev = review([{**row, "case_id": "X1", "decision_no": "市监罚〔2024〕7号"},
                 {**row, "case_id": "X2", "decision_no": "市监罚〔2024〕7号", "party_id": "91110105MA0000002X"},
                 {**row, "case_id": "Z1", "decision_no": "市监罚〔2024〕8号", "party_id": "91110105MA0000003X"}])
    codes = _codes(ev)
    assert codes == {"X1": ["procedure.hearing_not_offered"], "X2": [], "Z1": []}
    (f,) = [f for f in finding_rows(ev) if f["code"] == "procedure.hearing_not_offered"]
    assert "市监罚〔2024〕7号" in f["message_zh"] and "150,000" in f["message_zh"]


def test_each_violation_of_a_decision_keeps_its_own_range(review, base_record):
    row = {**base_record, "department": "某市市场监督管理局", "decision_no": "市监罚〔2024〕9号",
           "extension_approved": "false"}
    ev = review([{**row, "case_id": "Y1", "fine": 75000},
                 {**row, "case_id": "Y2", "fine": 100001, "party_id": "91110105MA0000002X"}])   # above 100,000
    assert _codes(ev) == {"Y1": [], "Y2": ["penalty.above_statutory_max"]}


# ───────────── no statutory maximum, 按日连续处罚, yielding: through `check --json` ─────────────

def _check(record: dict, *extra) -> dict:
    import json
    res = CliRunner().invoke(main, [*extra, "check", "--json", json.dumps(record, ensure_ascii=False),
                                    "--as-of", "2024-12-31"])
    assert res.exit_code in (0, 1, 2), res.output      # 2: a rejected record (the README's exit codes)
    return json.loads(res.output)


BASE_CHECK = {"party_type": "organization", "party_id": "91110105MA0000044X", "officers": "T1;T2",
              "procedure": "ordinary", "violation_date": "2024-02-20", "discovered_date": "2024-02-25",
              "filed_date": "2024-03-12", "decision_date": "2024-04-20", "publicized_date": "2024-04-25",
              "hearing_notified": True, "harm": "general", "extension_approved": False}


def test_a_fine_the_statute_sets_no_amount_for_has_no_maximum_and_no_tiers():
    # 价格法第四十四条: 逾期不改正的，可以处以罚款 — no amount: 2,000,000 yuan breaks no maximum
    out = _check({**BASE_CHECK, "violation_code": "PRL-44", "refused_correction": True, "fine": 2000000,
                  "sanctions": "warning"})
    assert out["codes"] == [] and out["statutory_range"] == {"min": 0.0, "max": None}
    assert out["lawful_fine_max"] is None and out["lawful_fine_max_unbounded"] is True
    assert out["tier_ranges"] == {}


def test_the_days_of_a_daily_penalty_follow_the_departments_parameter(tmp_path):
    # 安全生产法第一百一十二条: 原罚款100,000元, 2024-03-01责令改正, 2024-03-11复查 → 3月2日至11日 10日 = 1,000,000元;
    # a department that does not count the re-inspection day (daily_penalty_counts_last_day: false): 9日 = 900,000元
    rec = {**BASE_CHECK, "violation_code": "WSL-112", "refused_correction": True, "daily_original_fine": 100000,
           "daily_order_date": "2024-03-01", "daily_recheck_date": "2024年3月11日", "fine": 1000000}
    out = _check(rec)
    assert out["codes"] == [] and out["statutory_range"] == {"min": 1000000.0, "max": 1000000.0}
    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    params = root / "procedure" / "administrative_penalty.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("  daily_penalty_counts_last_day:\n    value: true",
                                   "  daily_penalty_counts_last_day:\n    value: false"), encoding="utf-8")
    out = _check(rec, "--rules", str(root))
    assert out["statutory_range"] == {"min": 900000.0, "max": 900000.0}
    assert out["codes"] == ["penalty.above_statutory_max"]


def test_a_provision_that_yields_says_so_and_names_what_it_may_yield_to():
    # 消费者权益保护法第五十六条: 其他有关法律、法规对处罚机关和处罚方式有规定的，依照法律、法规的规定执行
    out = _check({**BASE_CHECK, "violation_code": "CPL-56", "illegal_gain": 0, "fine": 300000})
    y = out["yields"]
    assert y["citation"] == {"law": "中华人民共和国消费者权益保护法", "article": 56, "paragraph": 1}
    # CPL-56 reads only facts every provision may read (fine, illegal gain, 情节严重): no candidate by its facts
    assert y["may_yield_to"] == []
    res = CliRunner().invoke(main, ["rules", "lint"])
    assert res.exit_code == 0 and "注 note: CPL-56 只在其他法律、法规未作规定时适用" in res.output


def test_a_daily_penalty_whose_reinspection_is_not_after_the_order_is_rejected():
    out = _check({**BASE_CHECK, "violation_code": "WSL-112", "refused_correction": True,
                  "daily_original_fine": 100000, "daily_order_date": "2024-03-11",
                  "daily_recheck_date": "2024-03-11", "fine": 100000})
    assert out["status"] == "rejected" and "复查发现违法行为继续的日期 (daily_recheck_date)不晚于" in out["reason"]


def test_a_blank_subject_is_the_party_the_provision_punishes(review):
    # 个人信息保护法第六十六条第一款 on an individual processor, subject blank: the party itself (not its persons)
    row = {**BASE_CHECK, "case_id": "I1", "violation_code": "PIPL-66-1", "party_type": "individual",
           "party_id": None, "refused_correction": "true", "fine": 500000, "sanctions": "warning",
           "illegal_gain": 0, "decision_no": "网信罚〔2024〕1号", "extension_approved": "false"}
    (c,) = case_table(review([row])).to_pylist()
    assert c["codes"] == [] and c["possible_codes"] == [] and c["lawful_fine_max"] is not None


def test_check_without_an_extension_typed_reads_none_recorded():
    # 行政处罚法第六十条: 立案 2024-01-03, 决定 2024-06-01 — 150 days; the officer typed no extension: none recorded
    rec = {**BASE_CHECK, "violation_code": "FSL-124-1", "goods_value": 8000, "fine": 75000,
           "sanctions": "confiscate_goods", "filed_date": "2024-01-03", "discovered_date": "2024-01-02",
           "violation_date": "2024-01-01", "decision_date": "2024-06-01", "publicized_date": "2024-06-05"}
    del rec["extension_approved"]
    assert "procedure.decision_overdue" in _check(rec)["codes"]


def test_check_prints_a_no_fine_branch_of_a_partial_record():
    # 药品管理法第一百四十二条第一款 sets no fine ("依法给予处罚"): a 10,000 fine is above it; the blank dates leave
    # the time bar open, and the text output must still print (it used to fail on the missing version source)
    rec = {k: v for k, v in BASE_CHECK.items() if k not in ("discovered_date", "filed_date")}
    res = CliRunner().invoke(main, ["check", "--json", __import__("json").dumps(
        {**rec, "violation_code": "DAL-142-1", "fine": 10000}, ensure_ascii=False),
        "--output", "text", "--as-of", "2024-12-31"])
    assert res.exit_code == 1 and "DAL-142-1" in res.output and "penalty.above_statutory_max" in res.output


def test_a_file_without_the_extension_column_leaves_a_late_decision_open(review, base_record):
    # 行政处罚法第六十条: 立案 2024-01-01, 决定 2024-04-01 — the 91st day; a file of published decisions has no
    # 延期批准 column at all, so whether the deadline was extended is unknown: a possible finding only
    row = {**base_record, "case_id": "L1", "filed_date": "2024-01-01", "decision_date": "2024-04-01",
           "publicized_date": "2024-04-03", "discovered_date": "2023-12-25", "violation_date": "2023-12-20"}
    (c,) = case_table(review([row])).to_pylist()
    assert "procedure.decision_overdue" not in c["codes"]
    assert "procedure.decision_overdue" in c["possible_codes"] and "extension_approved" in c["undetermined"]
    (d,) = case_table(review([{**row, "extension_approved": "否"}])).to_pylist()
    assert "procedure.decision_overdue" in d["codes"]
