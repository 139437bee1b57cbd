"""Read record files into DataFrames, chosen by suffix.

CSV is read with every column as text (case numbers keep their leading
zeros; the record layer parses numbers and dates column-wise and reports each
unreadable cell).  Encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM, then
GB18030 (a superset of GBK and GB2312), tried strictly in that order so no
byte is silently replaced.  Parquet keeps its native column types: converting
a million numbers to text and back would cost more than the review itself.

Every frame gets a ``__row__`` column: the row number a person would look for
in the source — the physical line a record starts on for CSV (blank lines and
line breaks inside quoted cells counted) and JSON Lines, the sheet row for
Excel, the record number for Parquet and for a JSON array.

A file with a header and no records is an empty batch, not an error.  A
header given twice is: pandas would silently rename the second copy
(``罚款金额.1``) and the review would read one of them as an unknown column.

A JSON object or array in a cell is kept as a ``JsonCell`` (hashable, its
``str`` is its JSON text): the record layer reads an array of plain values as
a list (officers, sanctions, factors), rejects any other such cell of a known
column, and carries it as JSON text in an unknown one.
"""
from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError

ROW = "__row__"
SOURCE = "__source__"
JSON_ERROR = "__json_error__"
RESERVED = (ROW, SOURCE, JSON_ERROR)
ENCODINGS = ("utf-8-sig", "utf-16", "gb18030")
SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
            ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl"}

# An .xlsx is a zip of XML: a 3 MB file can inflate to gigabytes (a "zip bomb"), and every cell
# becomes a Python object besides.  Above this many uncompressed bytes (all parts of the workbook
# together, as its zip directory states them; Python's zipfile never inflates a part past its
# stated size) the file is refused before it is opened.  Measured on the project machine: 27 MB of
# sheet XML (500,000 cells) read in 10 s at 180 MB peak, so the limit allows some five million
# cells; larger batches belong in CSV or Parquet.  ZHUNSHENG_MAX_XLSX_BYTES overrides it.
MAX_XLSX_BYTES = 256 * 1024 * 1024
MAX_XLSX_ENV = "ZHUNSHENG_MAX_XLSX_BYTES"


class JsonCell:
    """A JSON object or array found in a cell: hashable, so columns holding it factorize; ``str`` is its
    compact JSON text; ``items`` is the texts of its elements when it is an array of plain values
    (strings, numbers, booleans; nulls skipped), else None."""

    __slots__ = ("text", "items")

    def __init__(self, value):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        self.text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        self.items = None
        if isinstance(value, (list, tuple)) and all(_plain(v) for v in value):
            self.items = tuple(_item_text(v) for v in value if v is not None)

    def __str__(self):
        return self.text

    __repr__ = __str__

    def __hash__(self):
        return hash(("JsonCell", self.text))

    def __eq__(self, other):
        return isinstance(other, JsonCell) and other.text == self.text


def _plain(v) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return v is None or isinstance(v, (str, bool, int))


def _item_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def detect_encoding(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):       # UTF-16 is only ever recognised by its BOM
        try:
            raw.decode("utf-16")
            return "utf-16"
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(enc)
            return "utf-8" if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else enc
        except UnicodeDecodeError:
            continue
    raise InputError("无法识别文件编码 (cannot decode the file as UTF-8, UTF-16 with BOM or GBK/GB18030)")


def _raw_and_encoding(path: Path) -> tuple[bytes, str]:
    raw = Path(path).read_bytes()
    try:
        return raw, detect_encoding(raw)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None


def read_text(path: Path) -> str:
    raw, enc = _raw_and_encoding(path)
    return raw.decode("utf-8-sig" if enc == "utf-8" else enc)


def _utf8_bytes(path: Path) -> bytes:
    """The file as UTF-8 bytes without a BOM (what the CSV parser and the line scan both read)."""
    raw, enc = _raw_and_encoding(path)
    if enc == "utf-8":
        return raw
    if enc == "utf-8-sig":
        return raw[3:]
    return raw.decode(enc).lstrip("\ufeff").encode("utf-8")


def read_table(path, kind: str | None = None) -> pd.DataFrame:
    """Read one file; raises InputError (with the path) when the file as a whole cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: 文件不存在 (no such file)")
    kind = kind or SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: 不支持的文件类型 (unknown file type) '{path.suffix}' "
                         f"(use one of {', '.join(sorted(SUFFIXES))})")
    try:
        if kind in ("csv", "tsv"):
            frame, rows = _read_csv(path, sep="\t" if kind == "tsv" else ",")
        elif kind == "excel":
            frame, rows = _read_excel(path)
        elif kind == "parquet":
            frame = _read_parquet(path)
            rows = np.arange(1, len(frame) + 1)
        elif kind == "jsonl":
            frame, rows = _read_jsonl(path)
        else:  # pragma: no cover - SUFFIXES is the only source of kinds
            raise InputError(f"{path}: 不支持的文件类型 {kind} (unsupported kind)")
    except InputError as e:
        text = " ".join(str(e).split())
        raise InputError(text if text.startswith(str(path)) else f"{path}: {text}") from None
    except Exception as e:  # the file itself is broken: say which and why, on one line
        why = " ".join(f"{type(e).__name__}: {e}".split())
        raise InputError(f"{path}: 无法按 {kind} 读取 (cannot read as {kind}): {why}") from None
    if kind != "jsonl":
        frame.columns = [str(c).strip() for c in frame.columns]
        _refuse_duplicates(path, list(frame.columns))
        _refuse_reserved(path, frame.columns)
    if not len(frame.columns):
        frame = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    elif not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1):
        frame = frame.reset_index(drop=True)          # a Parquet file may carry a pandas index
    frame[ROW] = np.asarray(rows, dtype=np.int64)
    frame[SOURCE] = _source(path, len(frame))
    return frame


def _refuse_duplicates(path: Path, names: list[str], blank_ok: bool = True):
    """Two columns with one header: say which, by position (pandas would rename one silently).
    Blank headers of CSV and Excel are told apart by position (``Unnamed: 3``); Parquet's are not."""
    first: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if blank_ok and (name.startswith("Unnamed: ") or name == ""):
            continue
        if name in first:
            raise InputError(f"{path}: 列名重复：第{first[name]}列和第{i}列都是 '{name}' "
                             f"(duplicate column header '{name}': columns {first[name]} and {i})")
        first[name] = i


def _refuse_reserved(path: Path, names):
    clash = [c for c in names if c in RESERVED]
    if clash:
        raise InputError(f"{path}: 列名 '{clash[0]}' 为内部保留 (column name '{clash[0]}' is reserved; rename it)")


def _source(path: Path, n: int) -> pd.Categorical:
    """The file name for every row, stored once (a million copies of one string cost real time)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[str(path)])


# -- CSV -----------------------------------------------------------------------------------------

_CSV_OPTIONS = dict(dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True, engine="c",
                    encoding="utf-8")


def _read_csv(path: Path, sep: str) -> tuple[pd.DataFrame, np.ndarray]:
    data = _utf8_bytes(path)
    if not data.strip(b" \t\r\n"):                     # no header, no records: an empty batch
        return pd.DataFrame(), np.zeros(0, dtype=np.int64)
    _refuse_duplicates(path, _csv_header(data, sep))
    frame = pd.read_csv(io.BytesIO(data), sep=sep, **_CSV_OPTIONS)
    if not isinstance(frame.index, pd.RangeIndex):     # pandas took the first cells of each row as an index
        raise InputError("记录的字段数多于表头 (the records have more cells than the header)")
    return frame, record_lines(data, sep, len(frame))


def _csv_header(data: bytes, sep: str) -> list[str]:
    """The header's cells as written (the parser renames a repeated one, so it cannot tell)."""
    import csv
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    space = " \t".replace(sep, "")
    try:
        for rec in csv.reader(stream, delimiter=sep, skipinitialspace=True):
            if rec and not (len(rec) == 1 and not rec[0].strip(space)):
                return [c.strip() for c in rec]
    except csv.Error:
        pass          # the parser will say what is wrong with the file
    return []


def record_lines(data: bytes, sep: str, n_records: int) -> np.ndarray:
    """The physical line (1-based) each of the ``n_records`` records after the header starts on.

    A line ends at ``\\n``, ``\\r\\n`` or a lone ``\\r``; it starts a record unless it lies inside a
    quoted cell; lines of only spaces and tabs are skipped, as the parser skips them.  Counted in
    numpy over the bytes when every quote is where quoting puts it (``_quote_parity``); otherwise
    (a stray quote inside a cell) record by record by Python's csv module, which quotes as the
    parser does.  If neither count agrees with the parser's, the file is refused rather than given
    wrong row numbers.
    """
    lines = _lines_by_quotes(data, sep)
    if lines is None or len(lines) != n_records + 1:
        lines = _lines_by_csv_module(data, sep)
    if len(lines) != n_records + 1:
        raise InputError("无法确定每条记录所在的行，引号可能不成对 "
                         "(cannot tell which line each record starts on: unbalanced quotes?)")
    return np.asarray(lines[1:], dtype=np.int64)


def _lines_by_quotes(data: bytes, sep: str) -> np.ndarray | None:
    """Record start lines by quote parity, or None when a stray quote would make parity wrong."""
    b = np.frombuffer(data, dtype=np.uint8)
    n = len(b)
    ends = np.flatnonzero(b == 10)
    cr = np.flatnonzero(b == 13)
    if len(cr):
        after = np.minimum(cr + 1, n - 1)
        ends = np.union1d(ends, cr[(cr + 1 >= n) | (b[after] != 10)])
    quotes = _quote_parity(data, b, sep)
    if quotes is None:
        return None
    starts = np.concatenate([[0], ends + 1])
    line_no = np.arange(1, len(starts) + 1)
    opens = np.ones(len(starts), dtype=bool)
    if len(quotes):
        opens[1:] = np.searchsorted(quotes, ends) % 2 == 0
    keep = opens & (starts < n)
    starts, line_no = starts[keep], line_no[keep]
    return line_no[~_blank_lines(data, b, starts, sep)]


def _quote_parity(data: bytes, b: np.ndarray, sep: str) -> np.ndarray | None:
    """The quotes that open or close a quoted cell (as positions), when parity tells quoting apart.

    Runs of quotes of even length never change whether a line break is inside a cell (an empty
    quoted cell, escaped quotes, or literal quotes).  Of the odd runs, the 1st, 3rd, 5th … must
    open a cell, so they must stand at a cell's start (after the delimiter, a line break, or
    spaces after those); the 2nd, 4th … close one wherever they are.  A quote anywhere else is a
    literal quote in an unquoted cell, which parity would misread: None.
    """
    q = np.flatnonzero(b == 34)
    if not len(q):
        return q
    first = np.concatenate([[True], np.diff(q) != 1])
    run_start = q[first]
    run_len = np.diff(np.concatenate([np.flatnonzero(first), [len(q)]]))
    odd = run_start[run_len % 2 == 1]
    openers = odd[0::2]
    before = openers - 1
    prev = b[np.maximum(before, 0)]
    boundary = (before < 0) | np.isin(prev, np.frombuffer(sep.encode() + b"\n\r", dtype=np.uint8))
    for i in np.flatnonzero(~boundary & (prev == 32)).tolist():     # spaces skipped before a quote
        j = int(before[i])
        while j >= 0 and data[j] == 32:
            j -= 1
        boundary[i] = j < 0 or data[j] in (ord(sep), 10, 13)
    return odd if boundary.all() else None


_LINE_END = (10, 13)


def _blank_lines(data: bytes, b: np.ndarray, starts: np.ndarray, sep: str) -> np.ndarray:
    """Which of the lines starting at ``starts`` hold only spaces and tabs (the delimiter excepted)."""
    space = b" \t".replace(sep.encode(), b"")
    first = b[starts]
    maybe = np.isin(first, np.frombuffer(space + b"\n\r", dtype=np.uint8))
    out = np.zeros(len(starts), dtype=bool)
    for i in np.flatnonzero(maybe):
        s = int(starts[i])
        if b[s] in _LINE_END:
            out[i] = True
            continue
        e = s
        while e < len(data) and data[e] not in _LINE_END and data[e] in space:
            e += 1
        out[i] = e == len(data) or data[e] in _LINE_END
    return out


def _lines_by_csv_module(data: bytes, sep: str) -> list[int]:
    import csv
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep, skipinitialspace=True)
    space = " \t".replace(sep, "")
    out, done = [], 0
    try:
        for rec in reader:
            start, done = done + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip(space)):
                continue
            out.append(start)
    except csv.Error:
        return []
    return out


# -- Excel ---------------------------------------------------------------------------------------

def xlsx_limit() -> int:
    """The largest uncompressed workbook read (bytes): MAX_XLSX_BYTES, or ZHUNSHENG_MAX_XLSX_BYTES."""
    value = os.environ.get(MAX_XLSX_ENV, "").strip()
    if not value:
        return MAX_XLSX_BYTES
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit <= 0:
        raise InputError(f"{MAX_XLSX_ENV}={value!r}: 须为正整数字节数 (must be a positive number of bytes)")
    return limit


def check_xlsx_size(path: Path):
    """Refuse a workbook whose parts inflate past the limit, from the zip directory alone."""
    limit = xlsx_limit()
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
        raise InputError(f"不是有效的 .xlsx 文件 (not a valid .xlsx file: {e})") from None
    if total > limit:
        raise InputError(f"Excel 文件解压后为 {total:,} 字节，超过上限 {limit:,} 字节；请另存为 CSV 或 Parquet，"
                         f"或设置 {MAX_XLSX_ENV} "
                         f"(the workbook inflates to {total:,} bytes, above the limit of {limit:,} bytes; "
                         f"save it as CSV or Parquet, or raise {MAX_XLSX_ENV})")


def _read_excel(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The first sheet as text, row numbers as the sheet shows them (blank rows skipped, not renumbered).

    Cells read as pandas' reader reads them (a whole number without ``.0``, an error cell as missing)
    and then as text, so a workbook reviews as its CSV export does.
    """
    check_xlsx_size(path)
    from openpyxl import load_workbook
    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()            # some writers store a wrong sheet size
        header, rows, lines = None, [], []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = [_excel_cell(c) for c in cells]
            while values and values[-1] is None:
                values.pop()
            if not values or all(v is None or not v.strip() for v in values):
                continue
            if header is None:
                header = values
            else:
                rows.append(values)
                lines.append(number)
    finally:
        book.close()
    if header is None:
        return pd.DataFrame(), np.zeros(0, dtype=np.int64)
    width = max([len(header)] + [len(r) for r in rows])
    names = [h if h is not None and h.strip() else f"Unnamed: {i}" for i, h in
             enumerate(header + [None] * (width - len(header)))]
    _refuse_duplicates(path, [n.strip() for n in names])
    columns = [[] for _ in range(width)]
    for r in rows:
        r = r + [None] * (width - len(r))
        for col, v in zip(columns, r):
            col.append(v)
    frame = pd.DataFrame({i: pd.array(col, dtype=str) for i, col in enumerate(columns)})
    frame.columns = names
    return frame, np.asarray(lines, dtype=np.int64)


def _excel_cell(cell):
    """One cell as text (None when empty or an error value), as pandas' openpyxl reader gives it."""
    value = getattr(cell, "value", None)
    if value is None or getattr(cell, "data_type", None) == "e":
        return None
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    text = str(value)
    return text if text != "" else None


# -- Parquet -------------------------------------------------------------------------------------

def _read_parquet(path: Path) -> pd.DataFrame:
    """Native column types; a list or struct column (officers as ``list<string>``) as JsonCells.

    The JSON text of a nested column is made by Arrow and each distinct value becomes one JsonCell,
    so a million rows of a few hundred officer pairs cost a few hundred Python objects.
    """
    import pyarrow.parquet as pq
    schema = pq.read_schema(path)
    _refuse_duplicates(path, [str(n).strip() for n in schema.names], blank_ok=False)
    nested = [f.name for f in schema if _is_nested(f.type)]
    binary = [f.name for f in schema if _is_binary(f.type)]
    if not nested and not binary:
        frame = pd.read_parquet(path)
        if any(n is not None for n in frame.index.names):
            frame = frame.reset_index()        # a named pandas index (set_index('案件编号')) is a column
        return frame
    table = pq.read_table(path)
    rest = table.drop_columns(nested + binary)
    frame = rest.to_pandas(ignore_metadata=True) if rest.num_columns else None    # a stored index: a column
    cells = {name: _json_cells(table.column(name)) for name in nested}
    cells.update({name: _texts(table.column(name)) for name in binary})
    columns = {name: cells[name] if name in cells else frame[name].reset_index(drop=True)
               for name in table.column_names}
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _is_nested(t) -> bool:
    import pyarrow as pa
    return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_union(t)
            or (hasattr(pa.types, "is_list_view") and (pa.types.is_list_view(t) or pa.types.is_large_list_view(t)))
            or (pa.types.is_dictionary(t) and _is_nested(t.value_type)))


def _is_binary(t) -> bool:
    import pyarrow as pa
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)


def _texts(column) -> np.ndarray:
    """A binary column as text: UTF-8 where it is, else each value decoded with U+FFFD for bad bytes."""
    import pyarrow as pa
    try:
        return column.cast(pa.string()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.array([None if v is None else v.decode("utf-8", "replace") for v in column.to_pylist()],
                        dtype=object)


def _json_cells(column) -> np.ndarray:
    """An Arrow nested column as an object array of JsonCells (None where null), one per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from engine.io.jsonfrag import fragment
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    try:
        text = fragment(arr)
    except (TypeError, ValueError, pa.ArrowException):      # values orjson cannot write (decimals ...)
        text = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                         for v in arr.to_pylist()], type=pa.large_string())
    enc = pc.dictionary_encode(pc.if_else(arr.is_null(), pa.scalar(None, text.type), text))
    uniques = [JsonCell(json.loads(t)) for t in enc.dictionary.to_pylist()]
    table = np.array(uniques + [None], dtype=object)
    idx = pc.fill_null(enc.indices, len(uniques)).to_numpy(zero_copy_only=False)
    return table[idx]


# -- JSON Lines ----------------------------------------------------------------------------------

def _read_jsonl(path: Path) -> tuple[pd.DataFrame, list[int]]:
    text = read_text(path).lstrip("\ufeff")
    records, rows = [], []
    if text.lstrip().startswith("["):  # a plain JSON array is accepted too
        try:
            data = json.loads(text, object_pairs_hook=_pairs)
        except json.JSONDecodeError as e:
            raise InputError(f"第{e.lineno}行 JSON 无效 (line {e.lineno}: invalid JSON: {e.msg})") from None
        except RecursionError:
            raise InputError("JSON 嵌套过深 (JSON nested too deeply)") from None
        if not isinstance(data, list):
            raise InputError("JSON 须为对象数组 (a JSON file must hold an array of objects)")
        for i, obj in enumerate(data, start=1):
            if not isinstance(obj, dict):
                raise InputError(f"第{i}项不是对象 (item {i} is not an object)")
            records.append(_record(obj))
            rows.append(i)
    else:
        # JSON text never holds a raw line feed, so lines are split on it alone (str.splitlines would
        # also split on U+2028 and other characters a JSON string may carry, miscounting lines)
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            records.append(_line_record(line))
            rows.append(lineno)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame.columns = [str(c) for c in frame.columns]
    return frame, rows


def _line_record(line: str) -> dict:
    """One line as a row; a line that is not one JSON object is a row holding only the reason."""
    try:
        obj = json.loads(line, object_pairs_hook=_pairs)
    except json.JSONDecodeError as e:
        return {JSON_ERROR: f"JSON 无效 (invalid JSON: {e.msg}, column {e.colno})"}
    except RecursionError:
        return {JSON_ERROR: "JSON 嵌套过深 (JSON nested too deeply)"}
    if not isinstance(obj, dict):
        return {JSON_ERROR: "每行须为一个 JSON 对象 (a line must hold one JSON object)"}
    return _record(obj)


class _Pairs(dict):
    """An object as parsed, with the keys it gave more than once (the last value would win silently)."""
    repeated: tuple = ()


def _pairs(pairs):
    out = _Pairs(pairs)
    if len(out) < len(pairs):
        seen: set = set()
        out.repeated = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _record(obj: dict) -> dict:
    """One JSON object as a row: nested values as JsonCells, keys given twice as the row's error."""
    out = {}
    for k, v in obj.items():
        if k in RESERVED:
            raise InputError(f"键 '{k}' 为内部保留 (key '{k}' is reserved; rename it)")
        out[k] = JsonCell(v) if isinstance(v, (dict, list)) else v
    twice = getattr(obj, "repeated", ())
    if twice:
        out[JSON_ERROR] = "JSON 键重复 (key given twice): " + ", ".join(map(repr, twice))
    return out


# -- Parquet in record batches (review in bounded memory, engine.stream) ---------------------------

class ParquetBatches:
    """One Parquet file read a slice of rows at a time, each slice the frame ``read_table`` would give
    for those rows (same columns, types, JsonCells, ``__row__`` and ``__source__``).

    ``streamable`` is False for a file whose stored pandas index would become a column (a named index):
    its whole-file reading cannot be reproduced slice by slice, so such a file is read whole.
    """

    def __init__(self, path):
        import pyarrow.parquet as pq
        self.path = Path(path)
        self.file = pq.ParquetFile(self.path)
        self.schema = self.file.schema_arrow
        self.n = self.file.metadata.num_rows
        names = [str(n).strip() for n in self.schema.names]
        _refuse_duplicates(self.path, names, blank_ok=False)
        _refuse_reserved(self.path, names)
        self.nested = [f.name for f in self.schema if _is_nested(f.type)]
        self.binary = [f.name for f in self.schema if _is_binary(f.type)]
        self.streamable = not self._stored_index()

    def _stored_index(self) -> bool:
        meta = (self.schema.metadata or {}).get(b"pandas")
        if not meta:
            return False
        try:
            index = json.loads(meta).get("index_columns", [])
        except (ValueError, AttributeError):
            return True
        return any(not isinstance(i, dict) or i.get("name") is not None for i in index)

    def _frame(self, table, rows: np.ndarray) -> pd.DataFrame:
        """What ``read_table`` makes of these rows (``rows``: their record numbers)."""
        if not self.nested and not self.binary:
            from pandas.io._util import arrow_table_to_pandas     # what pandas.read_parquet calls
            frame = arrow_table_to_pandas(table)
        else:
            rest = table.drop_columns(self.nested + self.binary)
            part = rest.to_pandas(ignore_metadata=True) if rest.num_columns else None
            cells = {name: _json_cells(table.column(name)) for name in self.nested}
            cells.update({name: _texts(table.column(name)) for name in self.binary})
            frame = pd.DataFrame({name: cells[name] if name in cells else part[name].reset_index(drop=True)
                                  for name in table.column_names}, index=pd.RangeIndex(table.num_rows))
        frame.columns = [str(c).strip() for c in frame.columns]
        if not len(frame.columns):
            frame = pd.DataFrame(index=pd.RangeIndex(len(rows)))
        elif not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1):
            frame = frame.reset_index(drop=True)
        frame[ROW] = np.asarray(rows, dtype=np.int64)
        frame[SOURCE] = _source(self.path, len(frame))
        return frame

    def _tables(self, columns=None, batch_size: int = 65_536):
        """(first row, Arrow table) of consecutive record batches."""
        import pyarrow as pa
        start = 0
        for b in self.file.iter_batches(batch_size=batch_size, columns=columns, use_threads=True):
            yield start, pa.Table.from_batches([b], schema=b.schema)
            start += b.num_rows

    def slices(self, edges, columns=None):
        """The frames of rows ``edges[i]:edges[i+1]`` in turn (``columns``: only these, by stored name)."""
        import pyarrow as pa
        meta = self.schema.metadata
        bounds = list(zip(edges[:-1], edges[1:]))
        k, held, at = 0, [], 0               # held: tables covering rows from ``at``
        for start, table in self._tables(columns):
            held.append(table)
            end = start + table.num_rows
            while k < len(bounds) and bounds[k][1] <= end:
                a, b = bounds[k]
                whole = pa.concat_tables(held).slice(a - at, b - a)
                yield self._frame(whole.combine_chunks().replace_schema_metadata(meta), np.arange(a + 1, b + 1))
                k += 1
            if k < len(bounds):              # drop what lies before the next slice
                rest = pa.concat_tables(held).slice(bounds[k][0] - at)
                held, at = [rest], bounds[k][0]
        if k < len(bounds):
            raise InputError(f"{self.path}: 记录数与文件元数据不符 (fewer records than the file's metadata says)")

    @property
    def stored(self):
        """The schema of the tables ``_tables`` gives (a subclass may store its columns otherwise)."""
        return self.schema

    def take(self, positions: np.ndarray) -> pd.DataFrame:
        """The rows at ``positions`` (ascending), every column, as one frame."""
        import pyarrow as pa
        positions = np.asarray(positions, dtype=np.int64)
        parts = []
        for start, table in self._tables():
            i, j = np.searchsorted(positions, [start, start + table.num_rows])
            if j > i:
                parts.append(table.take(pa.array(positions[i:j] - start)))
        whole = pa.concat_tables(parts) if parts else self.stored.empty_table()
        return self._frame(whole.combine_chunks().replace_schema_metadata(self.stored.metadata), positions + 1)
