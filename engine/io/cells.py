"""Spreadsheet cells that cannot run: text from input is written so that Excel, WPS or LibreOffice
show it and never execute it.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by spreadsheets when a CSV is opened (CSV injection, OWASP).  In CSV such text gets a leading ``'``
(the OWASP advice; spreadsheets hide it).  In Excel it is stored as a string cell with the quote
prefix set (never a formula cell) and its text unchanged.  Control characters that the xlsx format
cannot hold are written as visible escapes (``\\x07``) instead of failing the whole workbook.
JSON outputs never pass through here: they keep the exact value.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"
# The characters XML 1.0 (and so xlsx) cannot carry: C0 controls other than tab, newline, return.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_text(value):
    """One CSV cell: text that a spreadsheet would run gets a leading apostrophe; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def excel_text(value):
    """One Excel cell value: control characters xlsx cannot hold become visible ``\\xNN`` escapes."""
    if isinstance(value, str) and _ILLEGAL_XML.search(value):
        return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _text_columns(frame: pd.DataFrame):
    out = []
    for c in frame.columns:
        dtype = frame[c].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            dtype = dtype.categories.dtype
        if dtype == object or isinstance(dtype, pd.StringDtype) or (
                isinstance(dtype, pd.ArrowDtype) and "string" in str(dtype)):
            out.append(c)
    return out


def _map_text(frame: pd.DataFrame, pattern: str, cell) -> pd.DataFrame:
    """``frame`` with ``cell`` applied to the text cells that match ``pattern`` (found column-wise, so a
    million clean cells cost no Python call each); copied only where a cell changes."""
    out = frame
    for c in _text_columns(frame):
        col = frame[c].astype(object)
        try:
            hit = col.str.contains(pattern, regex=True, na=False).astype(bool)
        except AttributeError:           # no strings at all in this column
            continue
        if hit.any():
            if out is frame:
                out = frame.copy()
            fixed = col.copy()
            fixed[hit] = [cell(v) for v in col[hit]]
            out[c] = fixed
    return out


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell, and every header, made safe for CSV (numbers untouched)."""
    out = _map_text(frame, _FORMULA_RE, csv_text)
    if any(isinstance(h, str) and h.startswith(FORMULA_START) for h in out.columns):
        out = out.rename(columns=csv_text)
    return out


def excel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell storable in xlsx (control characters escaped)."""
    out = _map_text(frame, _ILLEGAL_XML.pattern, excel_text)
    if any(isinstance(h, str) and _ILLEGAL_XML.search(h) for h in out.columns):
        out = out.rename(columns=excel_text)
    return out


def defuse_workbook(book) -> None:
    """Every cell an openpyxl workbook would save as a formula is saved as its text instead.

    Zhunsheng writes no formulas of its own, so any formula cell holds input text (openpyxl turns a
    string beginning with ``=`` into a formula).  Text beginning with a formula character also gets
    Excel's quote prefix, so editing the cell in Excel does not turn it into a formula either.
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                if cell.data_type == "s" and isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True


def write_workbook(path: Path, sheets) -> None:
    """Write ``sheets`` — ``[(sheet name, frame, to_excel keyword arguments), ...]`` — as one xlsx,
    atomically, with every input cell safe (see the module doc).

    The workbook is built in memory and then renamed into place, so a failure leaves no partial file.
    """
    from engine.io.atomic import atomic_path
    with atomic_path(Path(path)) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, frame, kwargs in sheets:
                excel_frame(frame).to_excel(xw, sheet_name=name, **kwargs)
            defuse_workbook(xw.book)
