"""``zhunsheng catalog audit`` through click: outputs, exit codes, the bundled sample, atomic writes."""
import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "cases" / "catalog.csv"


def run(*args):
    return CliRunner().invoke(main, ["catalog", "audit", *map(str, args)])


def read_jsonl(path):
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_sample_catalog(tmp_path):
    out = tmp_path / "out"
    xlsx = tmp_path / "目录清理.xlsx"
    res = run(SAMPLE, "--out", out, "--as-of", "2024-12-31", "--excel", xlsx)
    assert res.exit_code == 0, res.output
    assert "目录清理完成" in res.output and "catalogue audited" in res.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["input_rows"] == 25 and s["input_rows"] == s["retained"] + s["cancelled"] + s["rejected"]
    assert s["rejected"] == 2 and all(s["by_reason"][c] >= 1 for c in s["by_reason"])
    audit = {(r["item_code"], r["precondition_code"]): r for r in read_jsonl(out / "audit.jsonl")}
    assert len(audit) == s["retained"] + s["cancelled"]
    # the items the approval review relies on (worked by hand from the sample rows)
    assert audit[("XK-001", None)]["verdict"] == "retain"
    assert audit[("XK-001", "QZ-001")]["verdict"] == "retain"
    assert audit[("XK-001", "QZ-002")]["reasons"] == ["cancel.no_statutory_basis"]
    assert audit[("XK-001", "ZJ-001")]["reasons"] == ["cancel.intermediary_without_basis"]
    assert audit[("XK-002", None)]["verdict"] == "retain"
    assert audit[("XK-003", None)]["verdict"] == "retain"
    assert audit[("SP-009", None)]["reasons"] == ["cancel.non_licensing_approval"]
    assert audit[("XK-004", None)]["reasons"] == ["cancel.temporary_rule_expired"]   # 2023-01-01 + 1 year < as-of
    assert audit[("XK-005", None)]["verdict"] == "retain"                              # 2024-06-01: within the year
    assert audit[("NB-001", None)]["verdict"] == "retain"
    for r in audit.values():
        assert (r["verdict"] == "cancel") == bool(r["reasons"]) == bool(r["citations"])
    kept = pd.read_csv(out / "retained.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert kept.columns[0] == "事项编码" and "备注" in kept.columns and len(kept) == s["retained"]
    assert "QZ-002" not in kept["前置条件编码"].tolist()
    rej = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    assert rej["row"].tolist() == ["25", "26"] and rej["item_code"].tolist() == ["XK-009", "XK-010"]
    zh = pd.read_csv(out / "audit.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert {"事项编码", "审查结论", "取消理由", "法律依据"} <= set(zh.columns)
    row = zh[(zh["事项编码"] == "XK-001") & (zh["前置条件编码"] == "QZ-002")].iloc[0]
    assert "取消" in row["审查结论"] and "中华人民共和国行政许可法第17条" in row["法律依据"]
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"审查结果", "保留目录", "拒收记录", "取消理由汇总", "部门汇总"} <= set(sheets)
    assert len(sheets["审查结果"]) == s["retained"] + s["cancelled"]


def test_missing_file_exits_2(tmp_path):
    res = run(tmp_path / "nope.csv", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "no such file" in res.output


def test_bad_as_of_exits_2(tmp_path):
    res = run(SAMPLE, "--out", tmp_path / "o", "--as-of", "2024-13-01")
    assert res.exit_code == 2 and "not a date" in res.output


def test_missing_column_exits_2(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("事项编码,事项名称\nA,b\n", encoding="utf-8")
    res = run(src, "--out", tmp_path / "o")
    assert res.exit_code == 2 and "item_type" in res.output


def test_rule_file_error_exits_2_with_file_and_line(tmp_path):
    rules = tmp_path / "rules" / "catalog"
    rules.mkdir(parents=True)
    text = (ROOT / "rules" / "catalog" / "cleanup.yaml").read_text(encoding="utf-8")
    (rules / "cleanup.yaml").write_text(text.replace("when: resolvable_by_consultation", "when: resolvable", 1),
                                        encoding="utf-8")
    res = CliRunner().invoke(main, ["--rules", str(tmp_path / "rules"), "catalog", "audit", str(SAMPLE),
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{rules / 'cleanup.yaml'}:" in res.output and "未知字段 (unknown field) 'resolvable'" in res.output
    assert not (tmp_path / "o").exists()


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run(SAMPLE, "--out", out, "--as-of", "2024-12-31").exit_code == 0
    before = (out / "audit.jsonl").read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")
    import openpyxl
    monkeypatch.setattr(openpyxl.Workbook, "save", boom)
    res = run(SAMPLE, "--out", out, "--as-of", "2025-12-31", "--excel", out / "x.xlsx")
    assert res.exit_code != 0
    assert not (out / "x.xlsx").exists()
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    after = (out / "audit.jsonl").read_bytes()   # replaced whole by the second run's complete file
    assert after.count(b"\n") == before.count(b"\n")
