"""Reading the catalogue: rejected rows with row numbers and reasons, encodings, Chinese headers, formats."""
import json

import pandas as pd
import pytest

from engine.catalog.audit import audit_catalog, read_catalog, write_audit
from engine.errors import InputError
from .helpers import AS_OF, item, judge, pre, row_of

from pathlib import Path

CASES = Path(__file__).resolve().parents[2] / "cases"

ZH_HEADER = ("事项编码,事项名称,事项类型,实施部门,前置条件编码,前置条件名称,设定依据层级,设定依据,依据施行日期,"
             "企业自主权事项,可通过征求部门意见解决,是否中介服务,强制中介,指定中介机构,特殊需要,"
             "法定时限（工作日）,承诺时限(工作日),备注")


def rejected(res) -> dict:
    return dict(zip(res.rejected["row"], res.rejected["reason"]))


def test_unknown_basis_level_is_rejected_with_the_allowed_list():
    res = judge([item(), item(item_code="X2", basis_level="县级文件")])
    reasons = rejected(res)
    assert list(reasons) == [3]
    assert "不认识的值 (unknown value) '县级文件'" in reasons[3]
    for level in ("法律", "行政法规", "国务院决定", "地方性法规", "省级政府规章", "部门规章", "规范性文件", "无"):
        assert level in reasons[3]


def test_missing_required_fields_are_rejected_each_named():
    res = judge([item(department=None, item_name="  "), item(item_code=None, item_code_x=1)])
    reasons = rejected(res)
    assert "实施部门 (department)：缺少 (is missing)" in reasons[2] and "事项名称 (item_name)：缺少 (is missing)" in reasons[2]
    assert reasons[3].startswith("事项编码 (item_code)：缺少 (is missing)")
    assert res.summary["input_rows"] == 2 and res.summary["rejected"] == 2 and len(res.rows) == 0


@pytest.mark.parametrize("field, value, words", [
    ("basis_date", "2024-02-30", "not a calendar date"),
    ("basis_date", "去年", "not a date"),
    ("enterprise_autonomy", "也许", "not yes/no"),
    ("statutory_limit_wd", "二十", "not a number"),
    ("statutory_limit_wd", "-1", "whole number"),
    ("statutory_limit_wd", "2.5", "whole number"),
    ("item_type", "许可", "unknown value"),
])
def test_unreadable_cells_are_rejected(field, value, words):
    res = judge([item(), pre("QZ-1", **{field: value})])
    reasons = rejected(res)
    assert list(reasons) == [3] and words in reasons[3] and field in reasons[3]


def test_committed_limit_longer_than_statutory_is_rejected():
    res = judge([item(statutory_limit_wd="20", committed_limit_wd="21"),
                 item(item_code="B", statutory_limit_wd="20", committed_limit_wd="20")])
    assert list(rejected(res)) == [2] and rejected(res)[2].startswith("承诺时限 (committed_limit_wd) 21 个工作日长于法定时限 "
                                                                     "(statutory_limit_wd) 20 个工作日")
    assert row_of(res, None, "B")["committed_limit_wd"] == 20.0


def test_duplicates_are_rejected_all_copies():
    res = judge([item(), pre("QZ-1"), pre("QZ-1"), item()])
    reasons = rejected(res)
    assert set(reasons) == {2, 3, 4, 5}
    assert "rows 3, 4" in reasons[3] and "rows 2, 5" in reasons[2]


def test_item_row_marked_intermediary_is_rejected():
    assert "cannot be an intermediary" in rejected(judge([item(is_intermediary="是")]))[2]


def test_provincial_rule_without_basis_date_is_rejected_not_retained():
    # Art. 15 ¶1: without the date nobody can tell whether the year is over
    res = judge([item(basis_level="省级政府规章", basis_date=None)])
    assert rejected(res)[2].startswith("依据施行日期 (basis_date)：缺少")
    assert "cancel.temporary_rule_expired" in rejected(res)[2]


def test_valid_to_before_valid_from_is_rejected():
    assert "valid_to" in rejected(judge([item(valid_from="2024-01-02", valid_to="2024-01-01")]))[2]


def test_missing_required_column_is_an_input_error():
    raw = pd.DataFrame([{"item_code": "A", "item_name": "x"}])
    with pytest.raises(InputError, match="item_type"):
        audit_catalog(raw, AS_OF)


def _write_zh_csv(path, encoding):
    text = ZH_HEADER + "\n" + "\n".join([
        "XK-1,食品经营许可,行政许可,市场监管局,,,法律,食品安全法,2015年10月1日,否,否,否,否,否,否,20,14,保留备注",
        "XK-1,食品经营许可,行政许可,市场监管局,QZ-1,卫生证明,规范性文件,某通知,2016-05-01,否,,,,,,,,取消备注",
        "XK-2,某审批,非行政许可审批,住建局,,,规范性文件,某规定,2008-01-01,否,否,否,否,否,否,15,10,",
    ]) + "\n"
    path.write_bytes(text.encode(encoding))


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_chinese_headers_in_gbk_and_utf8_csv(tmp_path, encoding):
    src = tmp_path / "catalog.csv"
    _write_zh_csv(src, encoding)
    res = audit_catalog(read_catalog(src), AS_OF)
    assert res.summary["input_rows"] == 3 and res.summary["rejected"] == 0
    assert row_of(res, None, "XK-1")["verdict"] == "retain"
    assert row_of(res, None, "XK-1")["basis_date"] == pd.Timestamp("2015-10-01")
    assert row_of(res, None, "XK-1")["statutory_limit_wd"] == 20.0   # full-width brackets in the header
    assert row_of(res, "QZ-1", "XK-1")["reasons"] == ["cancel.no_statutory_basis"]
    assert row_of(res, None, "XK-2")["reasons"] == ["cancel.non_licensing_approval"]
    out = tmp_path / "out"
    write_audit(res, out)
    kept = pd.read_csv(out / "retained.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(kept.columns) == ZH_HEADER.split(",")          # same columns as the input
    assert kept["备注"].tolist() == ["保留备注"]                 # extra column carried through unchanged
    assert kept["依据施行日期"].tolist() == ["2015年10月1日"]


def test_a_missing_yes_no_column_is_an_error_not_all_no(tmp_path):
    """Dropping 强制中介 must not silently publish a mandatory intermediary (ZJ-001) as retained."""
    import shutil
    src = tmp_path / "catalog.csv"
    shutil.copy(CASES / "catalog.csv", src)
    frame = pd.read_csv(src, dtype=str, keep_default_na=False).drop(columns=["强制中介"])
    frame.to_csv(src, index=False)
    with pytest.raises(InputError, match=r"no column for intermediary_mandatory \(强制中介\)"):
        audit_catalog(read_catalog(src), AS_OF)


def test_excel_parquet_and_jsonl_inputs(tmp_path):
    rows = [item(), pre("QZ-1", basis_level="无", statutory_limit_wd=None)]
    frame = pd.DataFrame(rows)
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
                                      + "\n{broken\n", encoding="utf-8")
    for name in ("c.xlsx", "c.parquet", "c.jsonl"):
        res = audit_catalog(read_catalog(tmp_path / name), AS_OF)
        assert row_of(res, "QZ-1")["reasons"] == ["cancel.no_statutory_basis"], name
        assert row_of(res)["verdict"] == "retain", name
    res = audit_catalog(read_catalog(tmp_path / "c.jsonl"), AS_OF)
    assert list(rejected(res)) == [3] and "invalid JSON" in rejected(res)[3]


def test_typed_columns_of_rows():
    res = judge([item(statutory_limit_wd="20", deemed_approval="是"), pre("QZ-1")])
    r = res.rows
    assert r["basis_date"].dtype.kind == "M" and r["deemed_approval"].dtype == bool
    assert r["statutory_limit_wd"].dtype == float and pd.isna(r["committed_limit_wd"]).all()
    assert r["precondition_code"].tolist() == [None, "QZ-1"]
    assert r["deemed_approval"].tolist() == [True, False]
    assert res.retained["__row__"].tolist() == [2, 3]


def test_working_days_written_with_units_and_spaced_headers():
    raw = pd.DataFrame([item(statutory_limit_wd="20个工作日", committed_limit_wd=" 15 天"),
                        item(item_code="B", statutory_limit_wd="20 工作日", committed_limit_wd="")]).astype(object)
    raw = raw.rename(columns={"statutory_limit_wd": "法定 时限（工作日）", "committed_limit_wd": "承诺时限 (工作日)"})
    res = audit_catalog(raw, AS_OF)
    assert res.summary["rejected"] == 0
    assert row_of(res)["statutory_limit_wd"] == 20.0 and row_of(res)["committed_limit_wd"] == 15.0
    assert row_of(res, None, "B")["statutory_limit_wd"] == 20.0
    assert pd.isna(row_of(res, None, "B")["committed_limit_wd"])


def test_whole_float_codes_read_as_integers(tmp_path):
    # Parquet (and Excel) keep numeric codes as floats once a column has a gap: 1.0 is code "1"
    frame = pd.DataFrame([item(item_code=1.0), pre(None, item_code=1.0, precondition_code=7.0),
                          item(item_code=2.5, precondition_code=None)])
    frame.to_parquet(tmp_path / "c.parquet")
    res = audit_catalog(read_catalog(tmp_path / "c.parquet"), AS_OF)
    assert res.summary["rejected"] == 0
    assert res.rows["item_code"].tolist() == ["1", "1", "2.5"]
    assert res.rows["precondition_code"].tolist() == [None, "7", None]
    assert row_of(res, "7", "1")["row_kind"] == "precondition"
