"""The review workbook read back with openpyxl: sheets, headers, typed cells, frozen and filtered
headers, Chinese text instead of JSON, input text never a formula, new fields shown when present."""
import datetime as dt
import json

import openpyxl
import pytest

from engine.findings import CODES
from engine.report.workbook import write_review_workbook

from .conftest import FORMULA_CASE, HTML_DEPARTMENT, cases_of, findings_of, summary_of

SHEETS = ["问题清单", "拒收记录", "部门汇总", "问题分类", "案件明细"]


def load(folder, tmp_path, name="审查结果.xlsx"):
    target = tmp_path / name
    write_review_workbook(folder, target)
    return openpyxl.load_workbook(target)


def table(ws, header_row=1) -> list[dict]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=False))
    heads = [c.value for c in rows[0]]
    return [dict(zip(heads, r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def book(sample, tmp_path_factory):
    return load(sample, tmp_path_factory.mktemp("wb"))


def test_sheets_rows_frozen_header_and_filter(book, sample):
    s = summary_of(sample)
    assert book.sheetnames == SHEETS
    rejected_rows = s["rejected"] + s["inputs"]["catalog"]["rejected"] + s["inputs"]["powers"]["rejected"]
    codes = set(s["by_code"]) | set(s.get("possible_by_code", {}))
    want = {"问题清单": s["findings"] + s.get("possible_findings", 0), "拒收记录": rejected_rows,
            "部门汇总": len(s["by_department"]), "问题分类": len(codes), "案件明细": s["input_rows"]}
    for name in SHEETS:
        ws = book[name]
        assert ws.max_row - 1 == want[name], name
        assert ws.freeze_panes == "A2", name
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", name
        assert all(c.font.bold for c in ws[1]), name
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, ws.max_column + 1)]
        assert all(6 <= w <= 90 for w in widths), (name, widths)
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage


def test_no_cell_holds_json_english_keys_or_a_formula(book):
    english = ("goods_value", "lawful_fine", "statutory_", "violation_code", "as_of", '{"', '":')
    for ws in book:
        heads = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for head, cell in zip(heads, row):
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str) and head not in ("Finding (English)", "问题代码", "拒收原因"):
                    assert not any(w in cell.value for w in english), (ws.title, head, cell.value)


def test_dates_are_dates_and_amounts_are_numbers(book, sample):
    findings = findings_of(sample)
    rows = table(book["问题清单"])
    assert len(rows) == len(findings)
    for f, r in zip(findings, rows):
        date = r["事件日期"]
        assert isinstance(date.value, dt.datetime) and date.number_format == "yyyy-mm-dd"
        assert date.value.date().isoformat() == f["event_date"]
        fine = f["actual"].get("fine", f["facts"].get("fine"))
        assert r["罚款金额（元）"].value == fine
        if fine is not None:
            assert r["罚款金额（元）"].number_format == "#,##0.00"
        assert r["原始行号"].value == f["row"] and r["原始行号"].data_type == "n"
    cases = cases_of(sample)
    for c, r in zip(cases, table(book["案件明细"])):
        assert r["案件编号"].value == c["case_id"]
        assert r["阶次最低罚款（元）"].value == c["lawful_fine_min"]
        assert r["阶次最高罚款（元）"].value == c["lawful_fine_max"]
        if c["provision_version"]:
            assert r["条款版本"].value.date().isoformat() == c["provision_version"]


def test_facts_requirements_and_actual_values_read_as_chinese(book):
    rows = {(r["案件编号"].value, r["问题代码"].value): r for r in table(book["问题清单"])}
    # cases/penalties.csv row 3: FSL-124-1 (食品安全法 Art. 124: 10–20 × goods value), goods 10,000, fine 120,000
    r = rows[("示市监罚〔2024〕2号", "penalty.outside_tier")]
    assert r["问题名称"].value == "罚款不在情节对应的裁量阶次内"
    assert r["所用事实"].value == "违法行为编码 FSL-124-1；货值金额 10,000元；罚款金额 120,000元；情节 无；危害后果 一般"
    assert r["法定要求"].value.startswith("法定幅度 100,000–200,000元；裁量阶次幅度 ")
    assert r["实际情况"].value == "罚款金额 120,000元"
    assert r["法律依据"].value == "中华人民共和国食品安全法第124条第1款；中华人民共和国行政处罚法第34条"
    assert r["类别"].value == "罚人情款" and r["严重程度"].value == "中"
    for (case, code), row in rows.items():
        assert row["问题名称"].value == CODES[code].zh


def test_departments_and_codes_equal_the_summary(book, sample):
    s = summary_of(sample)
    depts = {r["执法部门"].value: r for r in table(book["部门汇总"])}
    assert len(depts) == len(s["by_department"])
    for name, d in s["by_department"].items():
        r = depts[name]
        assert (r["已审查案件"].value, r["拒收记录"].value, r["问题数"].value, r["有问题案件数"].value) == \
            (d["evaluated"], d["rejected"], d["findings"], d["cases_with_findings"])
        assert r["乱作为"].value == d["by_category"].get("overreach", 0)
        if d["evaluated"]:
            assert r["有问题案件占比"].value == pytest.approx(d["cases_with_findings"] / d["evaluated"])
            assert r["有问题案件占比"].number_format == "0.0%"
    codes = {r["问题代码"].value: r for r in table(book["问题分类"])}
    definite = "确定问题数" if "确定问题数" in codes[next(iter(codes))] else "问题数"
    assert {c: r[definite].value for c, r in codes.items() if r[definite].value} == s["by_code"]
    if "possible_by_code" in s:
        assert {c: r["可能问题数"].value for c, r in codes.items() if r["可能问题数"].value} == s["possible_by_code"]
    assert all(r["问题名称"].value == CODES[c].zh for c, r in codes.items())


def test_rejected_rows_name_their_file_row_and_reason(book, sample):
    import csv
    rows = table(book["拒收记录"])
    with open(sample / "rejected.csv", encoding="utf-8-sig") as fh:
        src = list(csv.DictReader(fh))
    got = [(r["文件"].value, r["原始行号"].value, r["编号"].value, r["拒收原因"].value) for r in rows
           if r["来源"].value == "审查记录"]
    assert got == [(x["file"], int(x["row"]), x["case_id"], x["reason"]) for x in src]
    catalogue = [r for r in rows if r["来源"].value == "审批目录"]
    assert [r["文件"].value for r in catalogue] == [summary_of(sample)["inputs"]["catalog"]["file"]] * 2
    assert summary_of(sample)["inputs"]["catalog"]["file"].endswith("catalog.csv")
    assert {r["编号"].value for r in catalogue} == {"XK-009", "XK-010"}


def test_input_text_stays_text_and_a_missing_department_reads_one_way(hostile, tmp_path):
    wb = load(hostile, tmp_path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    formula = [c for c in cells if c.value == FORMULA_CASE]
    assert formula and all(c.data_type == "s" and c.quotePrefix for c in formula)
    assert any(c.value == HTML_DEPARTMENT for c in cells)
    for sheet, column in (("问题清单", "执法部门"), ("案件明细", "执法部门"), ("部门汇总", "执法部门")):
        values = {r[column].value for r in table(wb[sheet])}
        assert "（未填写部门）" in values, sheet
        assert not {v for v in values if v and "未填" in v} - {"（未填写部门）"}, sheet


def test_new_fields_get_their_columns_when_the_folder_has_them(extended, legacy, tmp_path):
    wb = load(extended, tmp_path)
    findings = findings_of(extended)
    rows = table(wb["问题清单"])
    assert [r["确定性"].value for r in rows] == [{"definite": "确定", "possible": "可能"}[f["certainty"]] for f in findings]
    assert {r["取决于（待核实事实）"].value for r in rows} == {"货值金额、危害后果", None}
    codes = {r["问题代码"].value: r for r in table(wb["问题分类"])}
    for code in codes:
        mine = [f for f in findings if f["code"] == code]
        assert codes[code]["确定问题数"].value == sum(f["certainty"] == "definite" for f in mine)
        assert codes[code]["可能问题数"].value == sum(f["certainty"] == "possible" for f in mine)
    cases = table(wb["案件明细"])
    assert cases[0]["可能存在的问题"].value == "罚款不在情节对应的裁量阶次内"
    assert cases[0]["待核实事项"].value == "危害后果"
    assert [r["决定书文号"].value for r in cases] == [c["decision_no"] for c in cases_of(extended)]
    old = load(legacy, tmp_path, "old.xlsx")                       # an older folder: no such columns
    assert not {"确定性", "取决于（待核实事实）"} & {c.value for c in old["问题清单"][1]}
    assert not {"决定书文号", "可能存在的问题", "待核实事项"} & {c.value for c in old["案件明细"][1]}
    assert old["问题清单"].max_row == wb["问题清单"].max_row


def test_review_excel_call_writes_the_same_workbook(sample, book, tmp_path):
    from engine.io.reports import write_review_excel
    target = tmp_path / "staged.xlsx"
    write_review_excel(target, sample / "findings.jsonl", summary_of(sample), cases=sample / "cases.jsonl",
                       rejected={n: sample / n for n in ("rejected.csv", "catalog_rejected.csv", "powers_rejected.csv")})
    again = openpyxl.load_workbook(target)
    for ws in book:
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in again[ws.title].iter_rows()]


def test_refuses_a_folder_that_is_not_one_finished_run(sample, tmp_path):
    import shutil

    from engine.errors import InputError
    broken = tmp_path / "broken"
    shutil.copytree(sample, broken)
    (broken / "summary.json").unlink()
    with pytest.raises(InputError, match="没有 summary.json"):
        write_review_workbook(broken, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_json_stays_json_in_the_review_files(sample):
    """The workbook is built from the files and changes none of them."""
    from engine.io.outset import verify_folder
    assert verify_folder(sample)["run_id"] == json.loads((sample / "summary.json").read_text())["run_id"]
