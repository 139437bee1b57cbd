"""Bad input: each bad row rejected with its row and every reason, Chinese first; a file missing a
required column refused as a whole (exit 2) naming the column; never a traceback."""
from __future__ import annotations

import json

from .helpers import code, csv_rows, entities_of, register, write_csv


def test_bad_rows_are_rejected_with_row_and_reason(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    comp = write_csv(tmp_path / "c.csv", ["投诉举报编号", "统一社会信用代码", "收到日期", "是否属实"],
                     [["C1", code(1), "2026-05-01", "是"],          # row 2: fine
                      ["C2", code(99), "2026-05-01", "是"],         # row 3: entity not in the register
                      ["C3", code(1), "2026-13-01", "也许"],         # row 4: bad date and bad yes/no
                      ["C4", "", "2026-05-01", "是"]])              # row 5: no entity
    rep = write_csv(tmp_path / "r.csv", ["统一社会信用代码", "年度", "报送日期"],
                    [[code(1), "2025", "2026-02-30"],               # row 2: no such day
                     [code(1), "二〇二五", "2026-03-01"],             # row 3: not a year
                     [code(1), "2025", "2025-11-01"]])              # row 4: filed before the year ended
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--complaints", comp, "--reports", rep)
    assert res.exit_code == 0, res.output
    rows = [(r["kind"], r["row"], r["reason"]) for r in csv_rows(out / "rejected.csv")]
    by = {(k, int(r)): why for k, r, why in rows}
    assert set(by) == {("complaints", 3), ("complaints", 4), ("complaints", 5),
                       ("reports", 2), ("reports", 3), ("reports", 4)}
    assert by[("complaints", 3)].startswith("统一社会信用代码不在检查对象名录")
    assert "收到日期不是日期" in by[("complaints", 4)] and "是否属实应为" in by[("complaints", 4)]
    assert by[("complaints", 5)].startswith("统一社会信用代码为空")
    assert by[("reports", 2)].startswith("报送日期不是日期")
    assert by[("reports", 3)].startswith("年度应为四位年份")
    assert by[("reports", 4)].startswith("报送日期早于该年度结束")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["inputs"]["complaints"] == {"rows": 4, "used": 1, "rejected": 3}
    assert summary["inputs"]["reports"] == {"rows": 3, "used": 0, "rejected": 3}
    hit = [r for r in entities_of(out)[code(1)]["rules"] if r["rule"] == "TGT-B-COMPLAINT"][0]
    assert [r["complaint_id"] for r in hit["records"]] == ["C1"]     # only the good complaint is used


def test_missing_column_refuses_the_file(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    comp = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "是否属实"], [[code(1), "是"]])
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--complaints", comp)
    assert res.exit_code == 2
    assert "错误 (error):" in res.output and "缺少列" in res.output and "date" in res.output
    assert "收到日期" in res.output                       # the headers it is accepted under
    assert "Traceback" not in res.output
    assert not out.exists()                               # a refused run leaves no folder


def test_register_missing_column_and_bad_rows(tmp_path, run_targets):
    bad = write_csv(tmp_path / "reg.csv", ["统一社会信用代码", "名称"], [[code(1), "甲"]])
    res, _ = run_targets(bad, "--as-of", "2026-07-15")
    assert res.exit_code == 2 and "缺少列" in res.output and "Traceback" not in res.output
    reg = write_csv(tmp_path / "reg2.csv", ["统一社会信用代码", "名称", "信用风险分类", "登记状态", "成立日期"],
                    [[code(1), "甲", "B", "存续", "2018-01-01"], [code(2), "乙", "B", "存续", "2018-02-30"],
                     [code(3)[:-1] + "0", "丙", "B", "存续", ""]])
    res, out = run_targets(reg, "--as-of", "2026-07-15")
    assert res.exit_code == 0, res.output
    rows = {int(r["row"]): r["reason"] for r in csv_rows(out / "rejected.csv")}
    assert rows[3].startswith("成立日期不是日期")
    assert rows[4].startswith("统一社会信用代码校验位错误")
    assert list(entities_of(out)) == [code(1)]


def test_bad_date_option_and_no_such_file(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    res, _ = run_targets(reg, "--as-of", "2026-02-30")
    assert res.exit_code == 2 and "Traceback" not in res.output
    res, _ = run_targets(tmp_path / "none.csv", "--as-of", "2026-07-15")
    assert res.exit_code == 2 and "文件不存在" in res.output


def test_incomplete_review_folder_is_refused(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    rv = tmp_path / "rv"
    rv.mkdir()
    (rv / "cases.jsonl").write_text("", encoding="utf-8")
    res, _ = run_targets(reg, "--as-of", "2026-07-15", "--reviews", rv)
    assert res.exit_code == 2 and "summary.json" in res.output and "Traceback" not in res.output


def test_a_rule_with_a_type_error_is_reported_at_its_line(tmp_path):
    import shutil
    from click.testing import CliRunner
    from cli import main
    from .helpers import ROOT, penalty_case, review_folder
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules" / "targets", rules / "targets")
    path = rules / "targets" / "TGT-B-PENALTY.yaml"
    path.write_text(path.read_text("utf-8").replace("exists(penalties, years(penalty_window_years))",
                                                    "exists(penalties, fine, years(2))"), "utf-8")
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    rv = review_folder(tmp_path / "rv", [penalty_case("P1", code(1), "2026-01-05", fine=1)])
    res = CliRunner().invoke(main, ["--rules", str(rules), "targets", str(reg), "--as-of", "2026-07-15",
                                    "--out", str(tmp_path / "o"), "--reviews", str(rv)])
    assert res.exit_code == 2
    assert f"{path}:" in res.output and "exists() 的条件须为是/否" in res.output
    assert "Traceback" not in res.output
