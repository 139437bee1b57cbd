"""Hostile and odd record files: each is an empty review, a rejected row with its reason, or an InputError
naming the file — never a traceback, a wrong number or a wrong row."""
import datetime as dt
import json
import time
import warnings
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.errors import InputError
from engine.review import read_inputs, review_records, write_review

AS_OF = dt.date(2024, 12, 31)
HEADER = ["案件编号", "执法部门", "执法人员", "当事人类型", "违法行为编码", "违法行为发生日期", "处罚决定日期",
          "货值金额", "罚款金额"]
# evaluated, with one finding (no confiscation of goods): a record the review can judge
ROW = ["J1", "示例局", "A;B", "单位", "FSL-124-1", "2024-03-01", "2024-04-20", "8000", "75000"]


def csv_text(*rows, header=HEADER) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def review(tmp_path, ruleset, calendar, *paths, kind=None):
    """The whole pipeline as ``zhunsheng review`` runs it; the reports as written."""
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # an overflow is a defect, not noise
        raw = read_inputs(list(paths))
        batch = review_records(raw, ruleset, AS_OF, calendar, kind)
        summary = write_review(batch, out)
    cases, findings = (_lines(out / name) for name in ("cases.jsonl", "findings.jsonl"))
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert summary["input_rows"] == summary["evaluated"] + summary["rejected"] == len(cases)
    return summary, cases, findings, rejected


def _lines(path):
    """JSON Lines split on line feeds only (a value may hold U+2028, which splitlines() splits on)."""
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def write_xlsx(path, rows):
    from openpyxl import Workbook
    book = Workbook()
    for r in rows:
        book.active.append(r)
    book.save(path)
    return path


# -- 1. zero data rows ---------------------------------------------------------------------------

def _empty_inputs(tmp_path):
    yield "header-only csv", write(tmp_path, "h.csv", csv_text())
    yield "empty csv", write(tmp_path, "e.csv", "")
    yield "header-only xlsx", write_xlsx(tmp_path / "h.xlsx", [HEADER])
    pd.DataFrame({"案件编号": pd.Series([], dtype=str)}).to_parquet(tmp_path / "z.parquet")
    yield "0-row parquet", tmp_path / "z.parquet"
    pd.DataFrame().to_parquet(tmp_path / "n.parquet")
    yield "no-column parquet", tmp_path / "n.parquet"
    yield "blank jsonl", write(tmp_path, "b.jsonl", "\n  \n")
    yield "empty json array", write(tmp_path, "a.json", "[]")


@pytest.mark.parametrize("kind", [None, "penalty", "approval", "disclosure", "complaint"])
def test_zero_row_files_are_an_empty_review_with_every_report(tmp_path, ruleset, calendar, kind):
    for label, path in _empty_inputs(tmp_path):
        summary, cases, findings, rejected = review(tmp_path / label, ruleset, calendar, path, kind=kind)
        assert (summary["input_rows"], summary["evaluated"], summary["rejected"], summary["findings"]) == (0, 0, 0, 0)
        assert cases == [] and findings == [] and len(rejected) == 0, label
        assert list(rejected.columns)[:3] == ["row", "case_id", "reason"], label
        assert (tmp_path / label / "out" / "summary.json").exists()


# -- 2. JSON objects and arrays in cells ---------------------------------------------------------

def test_json_object_or_array_cells_reject_their_row_or_stay_lists(tmp_path, ruleset, calendar):
    base = dict(zip(HEADER, ROW))
    lines = [
        {"案件编号": "J7", "当事人": {"x": 1}},                               # the attack: a crash today
        {**base, "案件编号": "J8", "执法人员": ["A", "B"], "其他处罚": ["没收非法财物"], "备注": {"k": [1, 2]}},
        {**base, "案件编号": "J9", "罚款金额": [1, 2]},
        {**base, "案件编号": "J10", "执法人员": [["A"], "B"]},
    ]
    path = write(tmp_path, "o.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in lines))
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, path)
    by_id = {c["case_id"]: c for c in cases}
    reasons = dict(zip(rejected["case_id"], rejected["reason"]))
    assert reasons["J7"].startswith("当事人 (party_name)：不能是 JSON 对象或数组") and '{"x":1}' in reasons["J7"]
    assert by_id["J8"]["status"] == "evaluated"
    assert by_id["J8"]["officers"] == ["A", "B"]
    assert "penalty.mandatory_sanction_missing" not in by_id["J8"]["codes"]      # the sanction list was read
    assert by_id["J8"]["extra"]["备注"] == '{"k":[1,2]}'                         # unknown column: its JSON text
    assert reasons["J9"].startswith("罚款金额 (fine)：不能是 JSON 对象或数组") and "[1,2]" in reasons["J9"]
    assert reasons["J10"].startswith("执法人员 (officers)：须为由文字或数字组成的列表")
    assert summary["rejected"] == 3


# -- 3. infinite and absurd amounts --------------------------------------------------------------

@pytest.mark.parametrize("amount", ["inf", "Infinity", "-inf", "1e309", "1e308", "20000000000000"])
def test_infinite_or_overflowing_amounts_are_rejected_cells(tmp_path, ruleset, calendar, amount):
    row = ROW[:7] + [amount, "75000"]
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar,
                                                write(tmp_path, "i.csv", csv_text(row)))
    assert summary["rejected"] == 1 and findings == []
    assert rejected["reason"][0].startswith("货值金额 (goods_value)：")
    assert "10^13" in rejected["reason"][0] or "not a finite number" in rejected["reason"][0]


def test_native_infinite_and_huge_numbers_are_rejected_too(tmp_path, ruleset, calendar):
    frame = pd.DataFrame([dict(zip(HEADER, ROW))] * 3)
    frame["案件编号"] = ["P1", "P2", "P3"]
    frame["货值金额"] = [np.inf, 1e308, float(10 ** 13)]        # the ceiling itself is a (large) amount
    frame["罚款金额"] = 75000.0
    frame.to_parquet(tmp_path / "n.parquet")
    jl = write(tmp_path, "n.jsonl", '{"案件编号": "P4", "货值金额": Infinity}\n{"案件编号": "P5", "货值金额": 1e400}\n')
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, tmp_path / "n.parquet", jl)
    reasons = dict(zip(rejected["case_id"], rejected["reason"]))
    assert "not a finite number" in reasons["P1"] and "10^13" in reasons["P2"]
    assert "P3" not in reasons or "货值金额" not in reasons["P3"]
    assert "not a finite number" in reasons["P4"] and "not a finite number" in reasons["P5"]


# -- 4. thousands separators ---------------------------------------------------------------------

def test_commas_are_read_only_as_thousands_separators_in_groups_of_three():
    from engine.records.frame import normalize
    cells = ["10,000", "1,234,567.5", "10，000元", "1,2,3", "12,34", "1,0000", ",100", "100"]
    raw = pd.DataFrame({"case_id": [f"C{i}" for i in range(len(cells))], "goods_value": cells}, dtype=str)
    records = normalize(raw)
    got = records.frame["goods_value"].tolist()
    assert got[:3] == [10000.0, 1234567.5, 10000.0] and got[-1] == 100.0
    for i in range(3, 7):
        assert np.isnan(got[i])
        assert f"not a number: '{cells[i]}'" in records.rejections.text(i)


# -- 5. duplicate headers ------------------------------------------------------------------------

def test_a_header_given_twice_refuses_the_file_naming_both_columns(tmp_path):
    csv = write(tmp_path, "d.csv", csv_text(ROW + ["5"], header=HEADER + ["罚款金额"]))
    with pytest.raises(InputError, match=r"第9列和第10列.*'罚款金额'.*columns 9 and 10"):
        read_inputs([csv])
    xlsx = write_xlsx(tmp_path / "d.xlsx", [HEADER + [" 罚款金额"], ROW + ["5"]])
    with pytest.raises(InputError, match=r"duplicate column header '罚款金额': columns 9 and 10"):
        read_inputs([xlsx])
    table = pa.table([pa.array(["J1"]), pa.array([1.0]), pa.array([2.0])], names=["案件编号", "罚款金额", "罚款金额"])
    pq.write_table(table, tmp_path / "d.parquet")
    with pytest.raises(InputError, match=r"columns 2 and 3"):
        read_inputs([tmp_path / "d.parquet"])


def test_two_headers_for_one_field_refuse_the_file(tmp_path, ruleset, calendar):
    csv = write(tmp_path, "c.csv", csv_text(ROW + ["X"], header=HEADER + ["case_id"]))
    with pytest.raises(InputError, match=r"'案件编号' and 'case_id' both give case_id"):
        review_records(read_inputs([csv]), ruleset, AS_OF, calendar)


def test_a_json_key_given_twice_rejects_its_line(tmp_path, ruleset, calendar):
    line = '{"案件编号": "J1", "罚款金额": 1, "罚款金额": 2}'
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, write(tmp_path, "k.jsonl", line))
    assert "JSON 键重复 (key given twice): '罚款金额'" in rejected["reason"][0]


# -- 6. Parquet list columns ---------------------------------------------------------------------

def test_parquet_list_of_officers_is_read_as_a_list(tmp_path, ruleset, calendar):
    frame = pd.DataFrame([dict(zip(HEADER, ROW))] * 3)
    frame["案件编号"] = ["P1", "P2", "P3"]
    frame["执法人员"] = [["A", "B"], ["C"], None]
    frame.to_parquet(tmp_path / "l.parquet")
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, tmp_path / "l.parquet")
    by_id = {c["case_id"]: c for c in cases}
    assert [by_id[p]["officers"] for p in ("P1", "P2", "P3")] == [["A", "B"], ["C"], None]
    assert "procedure.too_few_officers" not in by_id["P1"]["codes"]       # two officers, not one text
    assert "procedure.too_few_officers" not in by_id["P3"]["codes"]       # none recorded
    short = [f for f in findings if f["code"] == "procedure.too_few_officers"]
    assert [(f["case_id"], f["certainty"]) for f in short] == [("P2", "definite"), ("P3", "possible")]
    assert "执法人员1人" in short[0]["message_zh"] and short[1]["depends_on"] == ["officers"]


def test_parquet_lists_and_structs_in_other_columns(tmp_path, ruleset, calendar):
    base = {h: pa.array([v] * 3) for h, v in zip(HEADER, ROW)}
    base["案件编号"] = pa.array(["S1", "S2", "S3"])
    base["其他处罚"] = pa.array([["没收非法财物"], [], None], type=pa.list_(pa.string()))
    base["当事人"] = pa.array([None, ["x"], None], type=pa.list_(pa.string()))
    base["备注"] = pa.array([{"a": 1}, None, {"a": 2}], type=pa.struct([("a", pa.int64())]))
    pq.write_table(pa.table(base), tmp_path / "s.parquet")
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, tmp_path / "s.parquet")
    by_id = {c["case_id"]: c for c in cases}
    assert "penalty.mandatory_sanction_missing" not in by_id["S1"]["codes"]     # the list was read
    assert "penalty.mandatory_sanction_missing" in by_id["S3"]["codes"]
    assert by_id["S1"]["extra"]["备注"] == '{"a":1}' and by_id["S2"]["extra"]["备注"] is None
    assert by_id["S2"]["status"] == "rejected" and by_id["S2"]["reason"].startswith("当事人 (party_name)：")


# -- 7. row numbers ------------------------------------------------------------------------------

def test_row_is_the_physical_line_after_blank_lines_and_quoted_line_breaks(tmp_path, ruleset, calendar):
    bad = ROW[:5] + ["not a date"] + ROW[6:]
    text = ",".join(HEADER) + "\n\n\n" + ",".join(["R1"] + bad[1:]) + "\r\n" \
        + ",".join(["R2", '"示例\n局"'] + bad[2:]) + "\n  \n" + ",".join(["R3"] + bad[1:]) + "\n"
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, write(tmp_path, "b.csv", text))
    # line 1 header, 2–3 blank, R1 on 4, R2 on 5–6 (a line break inside its quoted cell), 7 blank, R3 on 8
    assert dict(zip(rejected["case_id"], rejected["row"])) == {"R1": "4", "R2": "5", "R3": "8"}
    assert [c["row"] for c in cases] == [4, 5, 8]


def test_row_is_the_sheet_row_in_excel(tmp_path, ruleset, calendar):
    bad = ["X1"] + ROW[1:5] + ["not a date"] + ROW[6:]
    xlsx = write_xlsx(tmp_path / "r.xlsx", [[], HEADER, [], [], bad, [None, None], ["X2"] + bad[1:]])
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, xlsx)
    assert dict(zip(rejected["case_id"], rejected["row"])) == {"X1": "5", "X2": "7"}


def test_jsonl_row_is_the_line_even_after_a_line_separator_character(tmp_path, ruleset, calendar):
    text = '\n{"案件编号": "A\u2028B"}\n\n{"案件编号": "C"}\n'
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, write(tmp_path, "s.jsonl", text))
    assert [c["row"] for c in cases] == [2, 4]


# -- 8. officers not recorded --------------------------------------------------------------------

def test_missing_officers_are_not_zero_officers(tmp_path, ruleset, calendar):
    base = dict(zip(HEADER, ROW))
    csv = write(tmp_path, "o.csv", csv_text(["M1", "示例局", ""] + ROW[3:], ["M2", "示例局", " ; "] + ROW[3:],
                                            ["M3", "示例局", "A"] + ROW[3:]))
    jl = write(tmp_path, "o.jsonl", json.dumps({**base, "案件编号": "M4", "执法人员": []}, ensure_ascii=False))
    no_column = write(tmp_path, "n.csv", csv_text(["M5"] + ROW[1:2] + ROW[3:],
                                                  header=HEADER[:2] + HEADER[3:]))
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, csv, jl, no_column)
    by_id = {c["case_id"]: c for c in cases}
    for cid in ("M1", "M2", "M4", "M5"):
        assert by_id[cid]["status"] == "evaluated", cid                  # judged on everything else
        assert by_id[cid]["officers"] is None, cid                       # reported as not recorded
        assert "procedure.too_few_officers" not in by_id[cid]["codes"], cid
        assert "penalty.mandatory_sanction_missing" in by_id[cid]["codes"], cid
    assert "procedure.too_few_officers" in by_id["M3"]["codes"]
    assert not any("执法人员0人" in f["message_zh"] for f in findings)


# -- 9. xlsx that inflates -----------------------------------------------------------------------

def _bomb(path, inflated: int):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b" " * (1 << 20)
            for _ in range(inflated >> 20):
                f.write(block)
    return path


def test_xlsx_inflating_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from engine.io.readers import MAX_XLSX_BYTES
    monkeypatch.delenv("ZHUNSHENG_MAX_XLSX_BYTES", raising=False)
    bomb = _bomb(tmp_path / "bomb.xlsx", MAX_XLSX_BYTES + (8 << 20))
    assert bomb.stat().st_size < 4 << 20
    start = time.perf_counter()
    with pytest.raises(InputError, match=rf"超过上限 {MAX_XLSX_BYTES:,} 字节.*above the limit of {MAX_XLSX_BYTES:,}"):
        read_inputs([bomb])
    assert time.perf_counter() - start < 5


def test_the_xlsx_limit_can_be_set_by_environment(tmp_path, monkeypatch):
    xlsx = write_xlsx(tmp_path / "s.xlsx", [HEADER, ROW])
    monkeypatch.setenv("ZHUNSHENG_MAX_XLSX_BYTES", "1000")
    with pytest.raises(InputError, match=r"above the limit of 1,000 bytes"):
        read_inputs([xlsx])
    monkeypatch.setenv("ZHUNSHENG_MAX_XLSX_BYTES", "lots")
    with pytest.raises(InputError, match="ZHUNSHENG_MAX_XLSX_BYTES"):
        read_inputs([xlsx])
    monkeypatch.setenv("ZHUNSHENG_MAX_XLSX_BYTES", str(10 << 20))
    assert read_inputs([xlsx])["案件编号"].tolist() == ["J1"]


# -- 10. very wide files -------------------------------------------------------------------------

def test_ten_thousand_unknown_columns_review_in_seconds(tmp_path, ruleset, calendar):
    extra = [f"附加{i}" for i in range(10_023)]
    rows = [[f"W{r}"] + ROW[1:] + ["v"] * len(extra) for r in range(5)]
    path = write(tmp_path, "w.csv", csv_text(*rows, header=HEADER + extra))
    start = time.perf_counter()
    summary, cases, findings, rejected = review(tmp_path, ruleset, calendar, path)
    assert time.perf_counter() - start < 20          # 197 s before; about 2 s on the project machine
    assert summary["evaluated"] == 5 and len(cases[0]["extra"]) == len(extra)


# -- 11. control characters, NUL bytes, encodings ------------------------------------------------

def test_control_characters_nul_bytes_and_other_encodings_never_traceback(tmp_path, ruleset, calendar):
    text = csv_text(["N\x001"] + ROW[1:7] + ["8000\x00", "75000"], ["N2\x07"] + ROW[1:],
                    header=HEADER[:-1] + ["罚款金额\x1b"])
    inputs = [write(tmp_path, "nul.csv", text),
              write(tmp_path, "u16.csv", csv_text(ROW), "utf-16"),
              write(tmp_path, "gbk.csv", csv_text(ROW), "gb18030"),
              write(tmp_path, "bad.csv", b"\xff\xfe\x00\xd8garbage,\x80\n"),
              write(tmp_path, "ctl.jsonl", '{"案件编号": "C\\u0000\\u0007", "备注": "\\u001b[31m"}')]
    outcomes = []
    for i, path in enumerate(inputs):
        try:
            summary, cases, findings, rejected = review(tmp_path / str(i), ruleset, calendar, path)
            outcomes.append(summary["input_rows"])
        except InputError as e:
            assert str(path) in str(e)
            outcomes.append("refused")
    assert outcomes == [2, 1, 1, "refused", 1]


def test_records_with_more_cells_than_the_header_refuse_the_file(tmp_path):
    # pandas would silently take each record's first cell as an index: every case id lost
    path = write(tmp_path, "x.csv", csv_text(ROW + ["extra"]))
    with pytest.raises(InputError, match="more cells than the header"):
        read_inputs([path])


def test_internal_column_names_in_the_input_are_refused(tmp_path):
    with pytest.raises(InputError, match="__row__"):
        read_inputs([write(tmp_path, "r.csv", csv_text(ROW + ["9"], header=HEADER + ["__row__"]))])
    with pytest.raises(InputError, match="__json_error__"):
        read_inputs([write(tmp_path, "r.jsonl", '{"案件编号": "J", "__json_error__": {"a": 1}}')])
