"""The catalogue-audit, accountability and draw workbooks follow the review workbook's standard:
frozen header, auto-filter, widths, dates as dates and counts as numbers, no formula cells."""
import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main

from .conftest import CASES


def check_sheet(ws, header_row=1):
    assert ws.freeze_panes == f"A{header_row + 1}", ws.title
    assert ws.auto_filter.ref.startswith(f"A{header_row}:"), ws.title
    assert ws.auto_filter.ref.endswith(str(max(ws.max_row, header_row + 1))), ws.title
    assert all(c.font.bold for c in ws[header_row] if c.value is not None), ws.title
    for i in range(1, ws.max_column + 1):
        assert 6 <= ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width <= 90, (ws.title, i)
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], ws.title


def column(ws, title, header_row=1):
    heads = [c.value for c in ws[header_row]]
    i = heads.index(title)
    return [r[i] for r in ws.iter_rows(min_row=header_row + 1)]


def test_catalogue_audit_workbook(tmp_path):
    target = tmp_path / "目录清理.xlsx"
    res = CliRunner().invoke(main, ["catalog", "audit", str(CASES / "catalog.csv"), "--out", str(tmp_path / "a"),
                                    "--as-of", "2024-12-31", "--excel", str(target)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["审查结果", "保留目录", "拒收记录", "取消理由汇总", "部门汇总"]
    for ws in wb:
        check_sheet(ws)
    dates = [c for c in column(wb["保留目录"], "依据施行日期") if c.value is not None]
    assert dates and all(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd" for c in dates)
    rows = [c for c in column(wb["审查结果"], "原始行号")]
    assert [c.value for c in rows] == sorted(c.value for c in rows) and all(c.data_type == "n" for c in rows)
    limits = [c for c in column(wb["保留目录"], "法定时限(工作日)") if c.value is not None]
    assert limits and all(isinstance(c.value, int) for c in limits)
    depts = [c.value for c in column(wb["部门汇总"], "实施部门")]
    assert "（未填写部门）" in depts and not [d for d in depts if "missing" in d]


@pytest.fixture(scope="module")
def accountability_book(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("acc")
    target = out / "问责建议.xlsx"
    res = CliRunner().invoke(main, ["accountability", str(sample), "--roster", str(CASES / "accountability" / "roster.csv"),
                                    "--exemptions", str(CASES / "accountability" / "exemptions.csv"),
                                    "--as-of", "2024-12-31", "--out", str(out / "a"), "--excel", str(target)])
    assert res.exit_code == 0, res.output
    return openpyxl.load_workbook(target)


def test_accountability_workbook(accountability_book):
    wb = accountability_book
    assert wb.sheetnames == ["说明", "问责建议", "容错免责", "拒收行", "部门排名"]
    for ws in wb:
        check_sheet(ws, 3 if ws.title == "问责建议" else 1)   # the notice above, a blank line, the header
    notices = wb["问责建议"]
    assert notices["A1"].value.startswith("问责建议仅供法制部门审核")
    starts = column(notices, "统计起日", 3)
    assert starts and all(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd" for c in starts)
    counts = column(notices, "问题数", 3)
    assert all(isinstance(c.value, int) and c.value >= 1 for c in counts)


def test_draw_publication_workbook_layout(tmp_path):
    """The draw list's own writer: the title above a frozen, filtered header; numbers and dates typed."""
    from engine.draw.publish import COLUMNS, write_excel
    n = 3
    table = {c: [f"{c}{i}" for i in range(n)] for c in COLUMNS}
    table.update({"序号": ["1", "2", "3"], "抽查日期": ["2024-05-01"] * n, "抽取序位": ["3", "1", "2"],
                  "主体名称": ["=cmd|' /C calc'!A0", "@SUM(1)", "东城\x07餐馆"]})
    target = tmp_path / "公示名单.xlsx"
    write_excel(table, target, "某局 双随机抽查公示名单")
    ws = openpyxl.load_workbook(target).active
    check_sheet(ws, 2)
    assert ws["A1"].value == "某局 双随机抽查公示名单" and [c.value for c in ws[2]] == COLUMNS
    assert [c.value for c in column(ws, "序号", 2)] == [1, 2, 3]
    assert all(c.value == dt.datetime(2024, 5, 1) for c in column(ws, "抽查日期", 2))
    names = column(ws, "主体名称", 2)
    assert [c.value for c in names] == ["=cmd|' /C calc'!A0", "@SUM(1)", "东城\\x07餐馆"]
    assert names[0].quotePrefix and names[1].quotePrefix and all(c.data_type == "s" for c in names)


def test_accountability_report_option_writes_the_same_page_as_report_dir(sample, tmp_path):
    """`accountability … --report FILE.html` writes the page `zhunsheng report DIR` writes from the same folder,
    and refuses a page inside the output folder before any work."""
    from click.testing import CliRunner

    from cli import main
    from conftest import ROOT
    cases = ROOT / "cases" / "accountability"
    out, page, again = tmp_path / "out", tmp_path / "问责.html", tmp_path / "again.html"
    args = ["accountability", str(sample), "--roster", str(cases / "roster.csv"), "--as-of", "2024-12-31",
            "--out", str(out)]
    res = CliRunner().invoke(main, [*args, "--report", str(page)])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(main, ["report", str(out), "--html", str(again)]).exit_code == 0
    assert page.read_bytes() == again.read_bytes()
    bad = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "o2"), "--report", str(tmp_path / "o2" / "p.html")])
    assert bad.exit_code == 2 and "请写在输出文件夹之外" in bad.output and not (tmp_path / "o2" / "notices.jsonl").exists()
