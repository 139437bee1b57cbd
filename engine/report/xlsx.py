"""Workbooks people work in: typed cells (amounts and counts as numbers, dates as dates, each with its
format), a frozen header row with an auto-filter, column widths that fit Chinese text, and pages that
print landscape, one page wide, with the header repeated.

Every workbook Zhunsheng writes (review, catalogue audit, accountability, draw publication) goes through
``write_book``, so they all follow one standard.  Cells from input stay text: text that a spreadsheet
would run (``=``, ``+``, ``-``, ``@`` …) or read as an error value is written as a string cell with the
quote prefix, and control characters xlsx cannot hold become visible ``\\xNN`` (engine.io.cells).
Sheets are streamed (openpyxl write-only), so a hundred thousand rows need no workbook in memory.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from engine.io.cells import FORMULA_START, excel_text

EXCEL_MAX_ROWS = 1_048_576
EXCEL_CELL = 32_767               # characters one cell holds
FORMATS = {"money": "#,##0.00", "count": "#,##0", "int": "0", "number": "General",
           "date": "yyyy-mm-dd", "percent": "0.0%"}
_WIDTH_SAMPLE = 300
LINE_HEIGHT = 15.6                # points per line of 11-point text


@dataclass(frozen=True)
class Column:
    """``kind``: text, long (wrapped text), money, count, int, number, date or percent."""
    header: str
    kind: str = "text"
    width: float | None = None


@dataclass
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    banner: Sequence[str] = ()             # lines above the header row (a note, a title)
    overflow_note: str = "完整内容见对应的输出文件"  # said when rows are cut at Excel's row limit
    limit: int | None = None               # at most this many rows (None: Excel's limit)
    print_columns: int | None = None       # print only the first N columns (the rest is for working in)
    meta: dict = field(default_factory=dict)


def _lines(value, width: float) -> int:
    """Lines a wrapped cell needs at ``width`` (a Chinese character is about 1.8 units, told apart from
    ASCII by its three UTF-8 bytes), so rows get their height in the file: LibreOffice does not grow
    them on opening."""
    if not isinstance(value, str) or not value:
        return 1
    usable = max(width - 1.5, 4)
    return sum(max(1, -(-int(len(part) + 0.4 * (len(part.encode("utf-8")) - len(part))) // int(usable)))
               for part in value.split("\n"))


def text_width(value) -> float:
    """Display width in Excel's character units: a Chinese character is about two."""
    s = value if isinstance(value, str) else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s[:200])


class _Cells:
    """Turns plain values into cells of one sheet.

    Every data cell is aligned to the top (a tall row reads from its first line) and gets its style
    copied from one made per (format, wrap) pair: assigning styles one by one costs openpyxl a hash of
    every style object, which was most of the time of a hundred-thousand-row sheet."""

    def __init__(self, ws):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        self.ws = ws
        self.make = WriteOnlyCell
        self.errors = set(ERROR_CODES)
        self.align = {False: Alignment(vertical="top"), True: Alignment(wrap_text=True, vertical="top")}
        self.head_font = Font(bold=True)
        self.head_fill = PatternFill("solid", fgColor="DDEBF7")
        self.head_border = Border(bottom=Side(style="thin", color="7F7F7F"))
        self.head_align = Alignment(wrap_text=True, vertical="center")
        self.styles = {}

    def _cell(self, value, fmt=None, wrap=False):
        key = (fmt, wrap)
        style = self.styles.get(key)
        cell = self.make(self.ws, value=value)
        if style is None:
            if fmt:
                cell.number_format = fmt
            cell.alignment = self.align[wrap]
            self.styles[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        return cell

    def header(self, text):
        c = self.make(self.ws, value=excel_text(str(text)))
        c.data_type = "s"
        c.font, c.fill, c.border, c.alignment = self.head_font, self.head_fill, self.head_border, self.head_align
        return c

    def text(self, value, wrap: bool = False):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return self._cell(value, None, wrap)
            value = str(value)
        if len(value) > EXCEL_CELL:
            value = value[:EXCEL_CELL - 20] + "……（过长，已截断）"
        risky = not value.isprintable() or value.startswith(FORMULA_START) or value in self.errors
        cell = self._cell(excel_text(value) if risky else value, None, wrap or "\n" in value)
        if risky:
            cell.data_type = "s"            # never a formula, never an error value
            if value.startswith(FORMULA_START):
                cell.quotePrefix = True
        return cell

    def value(self, value, kind: str):
        if type(value).__module__ == "numpy":       # numpy scalars from frames
            value = value.item()
        if kind in ("text", "long"):
            return self.text(value, wrap=kind == "long")
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            return None
        if kind == "date":
            d = _as_date(value)
            return self._cell(d, FORMATS["date"]) if d is not None else self.text(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value) if not isinstance(value, bool) else value
            except (TypeError, ValueError):
                return self.text(value)
        if isinstance(value, float) and not math.isfinite(value):
            return self.text(str(value))
        if kind in ("int", "count") and isinstance(value, float) and value == int(value):
            value = int(value)
        return self._cell(value, FORMATS.get(kind))


def _as_date(value):
    if hasattr(value, "to_pydatetime"):           # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else _read_date(value)
        except ValueError:
            return _read_date(value)
    return None


def _read_date(text: str):
    """A date written as records write them (``2024年3月5日``, ``2024/3/5`` …); anything else stays text."""
    from engine.records.values import read_date
    try:
        return read_date(text)
    except ValueError:          # Unreadable: not one date, the cell keeps its text
        return None


def _widths(columns, sample) -> list[float]:
    out = []
    for i, col in enumerate(columns):
        if col.width:
            out.append(col.width)
            continue
        if col.kind == "long":
            out.append(60)
            continue
        longest = max([text_width(col.header) * 0.8]
                      + [text_width(_shown(r[i], col.kind)) for r in sample if i < len(r) and r[i] is not None]
                      + [0])
        floor = {"date": 11, "money": 12}.get(col.kind, 6)
        out.append(round(min(max(longest + 2, floor), 50), 1))
    return out


def _shown(value, kind) -> str:
    if kind == "money" and isinstance(value, (int, float)):
        return f"{value:,.2f}"
    if kind == "date":
        return "2024-01-01"
    return str(value)


def _write_sheet(wb, sheet: Sheet) -> int:
    from openpyxl.utils import get_column_letter
    ws = wb.create_sheet(sheet.name[:31])
    cells = _Cells(ws)
    columns = list(sheet.columns)
    rows = iter(sheet.rows)
    sample = list(itertools.islice(rows, _WIDTH_SAMPLE))
    widths = _widths(columns, sample)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    header_row = len(sheet.banner) + 1
    last = get_column_letter(max(len(columns), 1))
    # a write-only sheet writes its views and properties with the first row: set them all before it
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"   # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for line in sheet.banner:
        ws.append([cells.text(line)])
    ws.append([cells.header(c.header) for c in columns])
    kinds = [c.kind for c in columns]
    limit = min(sheet.limit or EXCEL_MAX_ROWS, EXCEL_MAX_ROWS - header_row - 1)
    n = 0
    cut = False
    wrapped = [(i, w) for i, (c, w) in enumerate(zip(columns, widths)) if c.kind == "long"]
    for row in itertools.chain(sample, rows):
        if n >= limit:
            cut = True
            break
        if wrapped:
            lines = max(_lines(row[i], w) for i, w in wrapped)
            if lines > 1:
                ws.row_dimensions[header_row + n + 1].height = min(LINE_HEIGHT * lines, 409)
        ws.append([cells.value(v, k) for v, k in zip(row, kinds)])
        n += 1
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(n, 1)}"
    if sheet.print_columns:
        ws.print_area = f"A1:{get_column_letter(sheet.print_columns)}{header_row + max(n, 1) + cut}"
    if cut:
        ws.append([cells.text(f"……仅列出前 {n:,} 行；{sheet.overflow_note} "
                              f"(only the first {n:,} rows are listed; see the output files for all)")])
    sheet.meta["rows"] = n
    sheet.meta["cut"] = cut
    return n


def write_book(path: Path, sheets: Iterable[Sheet]) -> dict[str, int]:
    """Write ``sheets`` as one xlsx, atomically (complete or absent); returns rows written per sheet."""
    from openpyxl import Workbook

    from engine.io.atomic import atomic_path
    counts = {}
    with atomic_path(Path(path)) as tmp:
        wb = Workbook(write_only=True)
        for sheet in sheets:
            counts[sheet.name] = _write_sheet(wb, sheet)
        wb.save(tmp)
    return counts


def frame_sheet(name: str, frame, kinds: dict | None = None, banner: Sequence[str] = (),
                widths: dict | None = None) -> Sheet:
    """A sheet from a pandas frame; column kinds from ``kinds`` (header -> kind) or from the dtypes:
    dates as dates, integers as counts, other numbers as amounts when the header names money."""
    import pandas as pd
    kinds = dict(kinds or {})
    widths = widths or {}
    columns = []
    for c in frame.columns:
        kind = kinds.get(c)
        if kind is None:
            s = frame[c]
            if pd.api.types.is_bool_dtype(s):
                kind = "text"
            elif pd.api.types.is_datetime64_any_dtype(s):
                kind = "date"
            elif pd.api.types.is_integer_dtype(s):
                kind = "count"
            elif pd.api.types.is_float_dtype(s):
                kind = "money" if any(w in str(c) for w in ("金额", "罚款", "元", "收费", "费用")) else "number"
            else:
                kind = "text"
        columns.append(Column(str(c), kind, widths.get(c)))

    frame = frame.copy()
    for c in frame.columns:
        if pd.api.types.is_bool_dtype(frame[c]):
            frame[c] = frame[c].map({True: "是", False: "否"})

    def rows():
        for tup in frame.itertuples(index=False, name=None):
            yield [None if v is pd.NaT else v for v in tup]
    return Sheet(name, columns, rows(), banner=banner)
