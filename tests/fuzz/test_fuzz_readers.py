"""Any file a user can hand to ``zhunsheng review`` is either refused with an InputError (one line,
naming the file) or reviewed with every row evaluated or rejected — never a traceback, never a hang.

Hypothesis writes CSV in many encodings (and plain random bytes), Excel workbooks, JSON Lines with any
JSON values, and Parquet files with any column types, with the headers the review knows mixed in; each
goes through read_inputs → review_records → write_review.  The explicit examples are the inputs of the
attack run that once crashed or misread (see tests/test_readers_hardening.py for what each must give).
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import tempfile
import warnings
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .common import within
from engine.errors import InputError
from engine.review import read_inputs, review_records, write_review

AS_OF = dt.date(2024, 12, 31)
HEADER = ["案件编号", "执法部门", "执法人员", "当事人类型", "违法行为编码", "违法行为发生日期", "处罚决定日期",
          "货值金额", "罚款金额"]
ROW = ["J1", "示例局", "A;B", "单位", "FSL-124-1", "2024-03-01", "2024-04-20", "8000", "75000"]
KNOWN = HEADER + ["case_id", "officers", "fine", "goods_value", "其他处罚", "情节", "当事人", "程序", "已告知听证",
                  "record_kind", "记录类型", "收件日期", "受理日期", "许可决定日期", "投诉举报类别", "办结日期",
                  "两年内违法次数", "违法行为标识", "当事人证件号", "备注"]
KINDS = st.sampled_from([None, None, None, "penalty", "approval", "disclosure", "complaint"])
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.large_base_example])
SLOWEST = 30         # seconds for one file of a few rows: anything slower is a hang


@functools.cache
def rules():
    """The shipped rules and calendar, loaded once (not fixtures: hypothesis would print them)."""
    from conftest import ROOT

    from engine.calendar import default_calendar
    from engine.ruleset.loader import load_rules
    return load_rules(ROOT / "rules"), default_calendar()


def check(path: Path, kind):
    """The property: an InputError naming the file, or reports whose counts add up."""
    ruleset, calendar = rules()
    with tempfile.TemporaryDirectory() as out:
        try:
            with warnings.catch_warnings(), within(SLOWEST):
                warnings.simplefilter("error", RuntimeWarning)      # an overflow is a defect
                raw = read_inputs([path])
                batch = review_records(raw, ruleset, AS_OF, calendar, kind)
                summary = write_review(batch, Path(out))
        except InputError as e:
            assert "\n" not in str(e), str(e)
            return "refused"
        assert summary["input_rows"] == summary["evaluated"] + summary["rejected"] == len(raw)
        cases = (Path(out) / "cases.jsonl").read_bytes()
        assert cases.count(b"\n") == summary["input_rows"]
        for line in cases.split(b"\n")[:-1]:
            json.loads(line)
        assert (Path(out) / "rejected.csv").exists() and (Path(out) / "summary.json").exists()
        return summary["input_rows"]


def file_in(tmp: str, name: str, data: bytes) -> Path:
    path = Path(tmp) / name
    path.write_bytes(data)
    return path


# -- the attack run's inputs ---------------------------------------------------------------------

def lines(*rows, header=HEADER, end="\n") -> str:
    return end.join(",".join(r) for r in [header, *rows]) + end


def _row(**cells) -> list[str]:
    out = dict(zip(HEADER, ROW))
    out.update(cells)
    return list(out.values())


CSV_SEEDS = [
    lines().encode(),                                                          # header only
    b"",
    lines(_row(货值金额="inf"), _row(货值金额="Infinity"), _row(货值金额="1e309"), _row(货值金额="1e308")).encode(),
    lines(_row(货值金额='"1,2,3"', 罚款金额='"10,000"')).encode(),
    lines(_row(罚款金额="5") + ["6"], header=HEADER + ["罚款金额"]).encode(),   # a header twice
    lines(_row(案件编号="X") + ["Y"], header=HEADER + ["case_id"]).encode(),
    (",".join(HEADER) + "\n\n\n" + ",".join(ROW) + "\n").encode(),            # blank lines before a record
    lines(_row(执法部门='"示例\n局"'), _row(案件编号="J2")).encode(),           # a line break in a cell
    lines(_row(执法人员="")).encode(),
    lines(_row(案件编号="N\x001", 货值金额="8000\x00"), _row(案件编号="N2\x07")).encode(),
    lines(ROW).encode("utf-16"), lines(ROW).encode("gb18030"), b"\xef\xbb\xbf" + lines(ROW).encode(),
    b"\xff\xfe\x00\xd8garbage,\x80\n", lines(ROW + ["extra"]).encode(),
    lines(ROW, end="\r").encode(), lines(ROW, end="\r\n").encode(),
]

JSON_SEEDS = [
    b"\n  \n", b"[]", b"{}", b"[1]", b"null",
    json.dumps({"案件编号": "J7", "当事人": {"x": 1}}, ensure_ascii=False).encode(),
    json.dumps({**dict(zip(HEADER, ROW)), "执法人员": [], "罚款金额": [1, 2], "备注": {"k": [1]}},
               ensure_ascii=False).encode(),
    b'{"\xe6\xa1\x88\xe4\xbb\xb6\xe7\xbc\x96\xe5\x8f\xb7": "J", "fine": Infinity, "goods_value": 1e400}',
    b'{"case_id": "J", "fine": 1, "fine": 2}', b'{"case_id": "J", "__row__": 3}',
    '{"案件编号": "A\u2028B"}\n{"案件编号": "C\\u0000"}'.encode(), b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]",
]


def _parquet_seeds() -> list[pa.Table]:
    base = {h: pa.array([v]) for h, v in zip(HEADER, ROW)}
    return [
        pa.table({"案件编号": pa.array([], type=pa.string())}),
        pa.table({}),
        pa.table({**base, "执法人员": pa.array([["A", "B"]], type=pa.list_(pa.string()))}),
        pa.table({**base, "货值金额": pa.array([float("inf")]), "罚款金额": pa.array([1e308])}),
        pa.Table.from_arrays([pa.array(["J"]), pa.array([1.0]), pa.array([2.0])], names=["案件编号", "罚款金额", "罚款金额"]),
    ]


def _excel(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    book = Workbook()
    for r in rows:      # a workbook cannot hold C0 control characters: openpyxl refuses to write them
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _bomb(inflated: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(inflated >> 20):
                f.write(b" " * (1 << 20))
    return buf.getvalue()


# -- strategies ----------------------------------------------------------------------------------

names = st.one_of(st.sampled_from(KNOWN), st.text(max_size=8))
cell_text = st.one_of(
    st.sampled_from(ROW + ["", " ", "inf", "-1", "1,2,3", "10,000", "1e308", "2024年3月5日", "2024-02-30",
                           "没收非法财物;警告", "个人", "简易", "是", "approval", "行政许可", "=1+1", '"', "\x00",
                           "A;A;B", "；、|"]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
)


@st.composite
def headers(draw) -> list[str]:
    """Mostly a case-id column and other known headers, sometimes anything (repeats included)."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.lists(names, min_size=1, max_size=8))
    if draw(st.integers(0, 3)):
        known = HEADER[1:] + draw(st.lists(st.sampled_from(KNOWN[len(HEADER):]), max_size=4, unique=True))
    else:
        known = draw(st.lists(st.sampled_from(KNOWN[1:]), max_size=8, unique=True))
    return ["案件编号"] + [h for h in known if h != "case_id"] + draw(st.lists(st.text(max_size=6), max_size=2))


@st.composite
def text_rows(draw, header) -> list[list[str]]:
    """Rows that start from a reviewable record and spoil some of its cells."""
    good = dict(zip(HEADER, ROW))
    rows = []
    for k in range(draw(st.integers(0, 6))):
        row = [f"C{k}" if h == "案件编号" else good.get(h, "") for h in header]
        for i in draw(st.lists(st.integers(0, max(len(header) - 1, 0)), max_size=2)):
            row[i] = draw(cell_text)
        rows.append(row[:draw(st.integers(0, len(row)))] if draw(st.integers(0, 9)) == 0 else row)
    return rows


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    header = draw(headers())
    rows = draw(text_rows(header))
    if draw(st.integers(0, 9)) == 0:
        rows.append(rows[-1] + ["extra"] if rows else ["extra"])
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buf = io.StringIO()
    if draw(st.booleans()):
        writer = csv.writer(buf, lineterminator=end, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
        for r in [header, *rows]:
            if draw(st.integers(0, 5)) == 0:
                buf.write(end)                          # a blank line
            writer.writerow(r)
    else:                                               # joined by hand: stray quotes and commas stay
        buf.write(end.join(",".join(r) for r in [header, *rows]))
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "gb18030", "gb18030", "utf-16", "utf-16-le",
                                                       "latin-1", "cp1252"]))
    return buf.getvalue().encode(encoding, errors="replace")


_XML_SAFE = st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    map(chr, [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])))
excel_cell = st.one_of(st.none(), st.sampled_from(ROW), st.text(_XML_SAFE, max_size=10), st.integers(-10**15, 10**15),
                       st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                       st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)))


@st.composite
def excel_rows(draw) -> list:
    header = draw(headers())
    header = [draw(st.one_of(st.none(), st.integers(0, 9))) if draw(st.integers(0, 9)) == 0 else h for h in header]
    rows = []
    for row in draw(text_rows([h if isinstance(h, str) else "" for h in header])):
        for i in draw(st.lists(st.integers(0, len(header) + 1), max_size=2)):
            row[i:i + 1] = [draw(excel_cell)]
        rows.append(row)
        if draw(st.integers(0, 5)) == 0:
            rows.append([])                              # a blank row
    return [header, *rows]


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), st.sampled_from(ROW)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)


@st.composite
def json_files(draw) -> bytes:
    header = draw(headers())
    records = []
    for row in draw(text_rows(header)):
        record = {h: v for h, v in zip(header, row) if v != "" or draw(st.booleans())}
        record.update(draw(st.dictionaries(names, json_values, max_size=3)))
        records.append(record)
    if draw(st.integers(0, 5)) == 0:
        return json.dumps(records, ensure_ascii=draw(st.booleans())).encode()
    out = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
    if draw(st.integers(0, 3)) == 0:
        out.insert(draw(st.integers(0, len(out))), draw(st.text(max_size=20)))     # a line that is not JSON
    return "\n".join(out).encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])), errors="replace")


def _values(t: pa.DataType):
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return cell_text
    if pa.types.is_integer(t):
        info = {8: 2**7, 64: 2**63}[t.bit_width]
        return st.integers(0 if pa.types.is_unsigned_integer(t) else -info, info - 1)
    if pa.types.is_floating(t):
        return st.floats(allow_nan=True, allow_infinity=True)
    if pa.types.is_boolean(t):
        return st.booleans()
    if pa.types.is_date(t):
        return st.dates()
    if pa.types.is_timestamp(t):
        return st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2250, 1, 1))
    if pa.types.is_decimal(t):
        return st.decimals(min_value=1 - 10 ** (t.precision - t.scale), max_value=10 ** (t.precision - t.scale) - 1,
                           places=t.scale, allow_nan=False, allow_infinity=False)
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return st.binary(max_size=8)
    if pa.types.is_duration(t):
        return st.timedeltas(min_value=dt.timedelta(days=-10**5), max_value=dt.timedelta(days=10**5))
    if pa.types.is_time(t):
        return st.times()
    if pa.types.is_dictionary(t):
        return cell_text
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return st.lists(_values(t.value_type), max_size=3)
    if pa.types.is_struct(t):
        return st.fixed_dictionaries({f.name: _values(f.type) for f in t})
    if pa.types.is_map(t):
        return st.lists(st.tuples(st.text(max_size=3), _values(t.item_type)), max_size=2)
    return st.none()


PARQUET_TYPES = [pa.string(), pa.large_string(), pa.int64(), pa.int8(), pa.uint64(), pa.float64(), pa.float32(),
                 pa.bool_(), pa.date32(), pa.timestamp("ms"), pa.timestamp("us", tz="Asia/Shanghai"),
                 pa.decimal128(12, 2), pa.binary(), pa.duration("s"), pa.time64("us"), pa.null(),
                 pa.dictionary(pa.int32(), pa.string()), pa.list_(pa.string()), pa.large_list(pa.string()),
                 pa.list_(pa.int64()), pa.list_(pa.list_(pa.string())), pa.struct([("a", pa.int64()), ("b", pa.string())]),
                 pa.map_(pa.string(), pa.int64()), pa.list_(pa.decimal128(8, 2)), pa.list_(pa.date32()),
                 pa.large_binary()]


@st.composite
def parquet_tables(draw) -> pa.Table:
    n = draw(st.integers(0, 5))
    column_names = draw(headers())
    good = dict(zip(HEADER, ROW))
    columns = []
    for name in column_names:
        t = pa.string() if name in good and draw(st.booleans()) else draw(st.sampled_from(PARQUET_TYPES))
        if pa.types.is_string(t):
            cells = st.one_of(st.none(), cell_text)
            values = [f"C{k}" if name == "案件编号" else good.get(name) if draw(st.integers(0, 5)) else draw(cells)
                      for k in range(n)]
        else:
            values = draw(st.lists(st.one_of(st.none(), _values(t)), min_size=n, max_size=n))
        if pa.types.is_dictionary(t):
            columns.append(pa.array(values, type=pa.string()).dictionary_encode())
        else:
            columns.append(pa.array(values, type=t))
    return pa.Table.from_arrays(columns, names=column_names) if columns else pa.table({})


# -- the properties ------------------------------------------------------------------------------

def _seeded(*seeds):
    def wrap(f):
        for s in seeds:
            f = example(s, None)(f)
        return f
    return wrap


@settings(max_examples=150, **SETTINGS)
@given(data=csv_files(), kind=KINDS)
@_seeded(*CSV_SEEDS)
def test_any_csv_is_reviewed_or_refused(data, kind):
    with tempfile.TemporaryDirectory() as tmp:
        check(file_in(tmp, "in.csv", data), kind)
        if data[:200].count(b"\t") and not data.startswith(b"\xff"):
            check(file_in(tmp, "in.tsv", data), kind)


@settings(max_examples=100, **SETTINGS)
@given(data=json_files(), kind=KINDS)
@_seeded(*JSON_SEEDS)
def test_any_json_lines_file_is_reviewed_or_refused(data, kind):
    with tempfile.TemporaryDirectory() as tmp:
        check(file_in(tmp, "in.jsonl", data), kind)


@settings(max_examples=100, **SETTINGS)
@given(table=parquet_tables(), kind=KINDS)
@_seeded(*_parquet_seeds())
def test_any_parquet_file_is_reviewed_or_refused(table, kind):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.parquet"
        pq.write_table(table, path)
        check(path, kind)


@settings(max_examples=40, **SETTINGS)
@given(rows=excel_rows(), kind=KINDS)
@_seeded([HEADER], [[], HEADER, [], ROW, [None], ROW], [HEADER + ["罚款金额"], ROW + ["1"]],
         [HEADER, [*ROW[:7], "1e308", "75000"], [*ROW[:7], 1e300, float(10**14)]])
def test_any_workbook_is_reviewed_or_refused(rows, kind):
    with tempfile.TemporaryDirectory() as tmp:
        check(file_in(tmp, "in.xlsx", _excel(rows)), kind)


def test_seeds_too_large_to_draw(monkeypatch):
    """The attack run's largest files: a workbook inflating past the limit, ten thousand columns,
    and binary garbage under an .xlsx name."""
    from engine.io.readers import MAX_XLSX_BYTES
    monkeypatch.delenv("ZHUNSHENG_MAX_XLSX_BYTES", raising=False)
    wide = [HEADER + [f"x{i}" for i in range(10_023)]] + [ROW + ["v"] * 10_023] * 5
    with tempfile.TemporaryDirectory() as tmp:
        assert check(file_in(tmp, "bomb.xlsx", _bomb(MAX_XLSX_BYTES + (1 << 20))), None) == "refused"
        assert check(file_in(tmp, "wide.csv", lines(*wide[1:], header=wide[0]).encode()), None) == 5
        assert check(file_in(tmp, "junk.xlsx", b"PK\x03\x04junk"), None) == "refused"
        assert check(file_in(tmp, "d.parquet", b"PAR1 not really PAR1"), None) == "refused"
