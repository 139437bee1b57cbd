"""Output safety: CSV cells and headers from input never become formulas; the folder is one sealed run
(a second run into a folder in use is refused, a finished one verifies)."""
from __future__ import annotations

from engine.io.outset import verify_folder

from .helpers import code, csv_rows, write_csv


def test_formula_cells_and_headers_are_defused(tmp_path, run_targets):
    reg = write_csv(tmp_path / "reg.csv", ["统一社会信用代码", "名称", "信用风险分类", "登记状态", "=备注"],
                    [[code(1), "=HYPERLINK(\"http://x\")", "B", "存续", "@SUM(1)"],
                     [code(2), "普通名称", "B", "存续", "-1"]])
    res, out = run_targets(reg, "--as-of", "2026-07-15")
    assert res.exit_code == 0, res.output
    rows = csv_rows(out / "register.csv")
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\")" and rows[1]["name"] == "普通名称"
    assert rows[0]["'=备注"] == "'@SUM(1)" and rows[1]["'=备注"] == "'-1"
    summary = verify_folder(out)
    assert set(summary["files"]) == {"entities.jsonl", "register.csv", "abnormal.csv", "rejected.csv"}
    assert summary["files"]["entities.jsonl"]["lines"] == 2


def test_outputs_are_the_same_whatever_the_slice_size(tmp_path, run_targets, monkeypatch):
    """entities.jsonl and register.csv are written a slice of entities at a time: slices of 3 (and CSV
    slices of 2 rows) give the same bytes as one slice."""
    from engine.targets import csvout, entities_out
    from .helpers import penalty_case, register, review_folder
    reg = register(tmp_path / "reg.csv", [{"n": i, "industry": "食品生产" if i % 4 == 0 else "零售"}
                                          for i in range(1, 12)])
    rv = review_folder(tmp_path / "rv", [penalty_case(f"P{i}", code(i), "2026-01-05", fine=150000 * (i % 2),
                                                      sanctions=["吊销许可证"] if i == 5 else None)
                                         for i in range(1, 12, 2)])
    comp = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "收到日期", "是否属实", "检查事项"],
                     [[code(i), "2026-05-01", "是", "FOOD-01" if i % 3 else ""] for i in range(2, 12, 3)])
    args = ("--as-of", "2026-07-15", "--reviews", rv, "--complaints", comp)
    res, whole = run_targets(reg, *args, out="whole")
    assert res.exit_code == 0, res.output
    monkeypatch.setattr(entities_out, "CHUNK", 3)
    monkeypatch.setattr(csvout, "SLICE", 2)
    res, sliced = run_targets(reg, *args, out="sliced")
    assert res.exit_code == 0, res.output
    text = (whole / "entities.jsonl").read_bytes()
    assert text == (sliced / "entities.jsonl").read_bytes()
    assert (whole / "register.csv").read_bytes() == (sliced / "register.csv").read_bytes()
    assert len(csv_rows(sliced / "register.csv")) == 11
    lines = text.decode("utf-8").splitlines()
    assert len(lines) == 11 and sum('"rules":[]' not in x for x in lines) >= 6
