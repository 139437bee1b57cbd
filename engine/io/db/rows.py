"""The lines of a finished review folder as table rows, a bounded batch at a time.

Why a module of its own: how a JSON Lines object becomes columns (contract fields as columns, the rest
in ``more``) is the one thing the bulk loaders of every server share.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Iterator

import orjson

BATCH = 5_000


def _as(kind: str, value):
    """``value`` in the column's kind, or a marker that it does not fit (then it is kept in ``more``)."""
    if value is None:
        return None
    if kind == "json":
        return value
    if kind == "text":
        return value if isinstance(value, str) else _MISFIT
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else _MISFIT
    if kind == "num":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _MISFIT
    if kind == "bool":
        return value if isinstance(value, bool) else _MISFIT
    if kind == "date":
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _MISFIT
        except ValueError:
            return _MISFIT
    raise ValueError(kind)   # pragma: no cover - the schema names only the kinds above


_MISFIT = object()


def row_of(obj: dict, fields, run_id: str, line: int) -> dict:
    """One object as a row: every contract field as its column; fields outside it (or values that do not
    fit their column) in ``more``, so the line can be rebuilt whole."""
    row = {"run_id": run_id, "line": line}
    rest = dict(obj)
    for name, kind in fields:
        value = _as(kind, rest.get(name))
        if value is _MISFIT:
            row[name] = None
            continue
        rest.pop(name, None)
        row[name] = value
    row["more"] = rest or None
    return row


def jsonl_rows(path: Path, fields, run_id: str) -> Iterator[list[dict]]:
    """Rows of a JSON Lines output, in batches of ``BATCH`` (memory bounded by the batch, not the file)."""
    batch = []
    with open(path, "rb") as fh:
        for line, text in enumerate(fh, start=1):
            batch.append(row_of(orjson.loads(text), fields, run_id, line))
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def csv_rows(path: Path, fields, run_id: str) -> Iterator[list[dict]]:
    """Rows of ``rejected.csv`` (header first, ``line`` counts records from 1); ``row`` read as a number."""
    batch = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=1):
            obj = {k: (v if v != "" else None) for k, v in rec.items() if k is not None}
            if isinstance(obj.get("row"), str) and obj["row"].isdigit():
                obj["row"] = int(obj["row"])
            batch.append(row_of(obj, fields, run_id, line))
            if len(batch) >= BATCH:
                yield batch
                batch = []
    if batch:
        yield batch
