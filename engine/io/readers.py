"""Read record files into DataFrames, chosen by suffix.

CSV is read with every column as text (case numbers keep their leading
zeros; the record layer parses numbers and dates column-wise and reports each
unreadable cell).  Encodings: UTF-8, UTF-8 with BOM, then GB18030 (a superset
of GBK and GB2312), tried strictly in that order so no byte is silently
replaced.  Parquet keeps its native column types: converting a million
numbers to text and back would cost more than the review itself.

Every frame gets a ``__row__`` column: the row number a person would look for
in the source (spreadsheet row for CSV/Excel with the header as row 1; line
number for JSON Lines; record number for Parquet).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from engine.errors import InputError

ROW = "__row__"
SOURCE = "__source__"
ENCODINGS = ("utf-8-sig", "gb18030")
SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
            ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl"}


def detect_encoding(raw: bytes) -> str:
    for enc in ENCODINGS:
        try:
            raw.decode(enc)
            return "utf-8" if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else enc
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode the file as UTF-8 or GBK/GB18030")


def read_text(path: Path) -> str:
    raw = Path(path).read_bytes()
    try:
        enc = detect_encoding(raw)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
    return raw.decode("utf-8-sig" if enc == "utf-8" else enc)


def read_table(path, kind: str | None = None) -> pd.DataFrame:
    """Read one file; raises InputError (with the path) when the file as a whole cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    kind = kind or SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: unknown file type '{path.suffix}' "
                         f"(use one of {', '.join(sorted(SUFFIXES))})")
    try:
        if kind in ("csv", "tsv"):
            frame = _read_csv(path, sep="\t" if kind == "tsv" else ",")
            first_row = 2
        elif kind == "excel":
            frame = pd.read_excel(path, dtype=str, engine="openpyxl", keep_default_na=False,
                                  na_values=[""])
            first_row = 2
        elif kind == "parquet":
            frame = pd.read_parquet(path)
            first_row = 1
        elif kind == "jsonl":
            frame, rows = _read_jsonl(path)
            frame[ROW] = rows
            frame[SOURCE] = _source(path, len(frame))
            return frame
        else:  # pragma: no cover - SUFFIXES is the only source of kinds
            raise InputError(f"{path}: unsupported kind {kind}")
    except InputError:
        raise
    except Exception as e:  # the file itself is broken: say which and why
        raise InputError(f"{path}: cannot read as {kind}: {e}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dupes = frame.columns[frame.columns.duplicated()].tolist()
    if dupes:
        raise InputError(f"{path}: duplicate column headers: {', '.join(dupes)}")
    frame[ROW] = pd.RangeIndex(first_row, first_row + len(frame))
    frame[SOURCE] = _source(path, len(frame))
    return frame


def _source(path: Path, n: int) -> pd.Categorical:
    """The file name for every row, stored once (a million copies of one string cost real time)."""
    import numpy as np
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[str(path)])


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                       na_values=[""], skipinitialspace=True, engine="c")


def _read_jsonl(path: Path) -> tuple[pd.DataFrame, list[int]]:
    text = read_text(path)
    stripped = text.lstrip()
    records, rows = [], []
    if stripped.startswith("["):  # a plain JSON array is accepted too
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: line {e.lineno}: invalid JSON: {e.msg}") from None
        for i, obj in enumerate(data, start=1):
            if not isinstance(obj, dict):
                raise InputError(f"{path}: item {i} is not an object")
            records.append(obj)
            rows.append(i)
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                obj = {"__json_error__": f"invalid JSON: {e.msg} (column {e.colno})"}
            if not isinstance(obj, dict):
                obj = {"__json_error__": "a line must hold one JSON object"}
            records.append(obj)
            rows.append(lineno)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    for col in frame.columns:  # lists (officers, sanctions, factors) arrive as JSON arrays
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, list) else v)
    return frame, rows
