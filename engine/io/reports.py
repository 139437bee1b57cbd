"""Write review reports: JSON Lines, CSV, JSON summary and (optionally) the workbook (engine.report.workbook).

Each file is written to a temporary name and renamed into place, so a
reader never sees half a report, and a failed run leaves the previous one.
"""
from __future__ import annotations

import json

import orjson
from pathlib import Path

import pandas as pd

from engine.io.atomic import atomic_path, write_text
from engine.report.labels import citation_text  # noqa: F401  (callers import it from here)

def write_jsonl(path: Path, rows) -> int:
    """Small objects one by one (findings: tens of thousands, nested)."""
    n = 0
    opt = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        for r in rows:
            fh.write(orjson.dumps(r, option=opt, default=str))
            n += 1
    return n


def write_chunks(path: Path, chunks, digest=None):
    """Bytes chunks (JSON Lines already encoded) into one file, atomically, past the page cache
    where the system allows it (engine.io.direct); ``digest`` (engine.io.outset.Digest) sees every byte."""
    from engine.io.direct import BlockWriter
    with atomic_path(path) as tmp, BlockWriter(tmp) as fh:
        for data in chunks:
            fh.write(data)
            if digest is not None:
                digest.update(data)


def write_tables_jsonl(path: Path, tables, rows_per_slice: int = 131_072, threads: int = 2, digest=None):
    """Arrow tables, one after the other, as one JSON Lines file, encoded column-wise (``engine.io.jsonfrag``).

    Slices are encoded on ``threads`` threads (Arrow compute releases the GIL)
    and written in order; small slices keep the transient text small, so memory
    freed by one slice is reused by the next instead of growing the process.
    """
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=threads) as pool:
        write_chunks(path, encoded_tables(tables, pool, rows_per_slice), digest)


def encoded_tables(tables, pool, rows_per_slice: int = 131_072):
    """The JSON Lines bytes of Arrow tables, a slice at a time, encoded on ``pool``'s threads, in order."""
    from engine.io.jsonfrag import fragment, lines

    def encode(t):
        return lines([(f.name, _raw(t.column(f.name)) if (f.metadata or {}).get(b"json") == b"raw"
                       else fragment(t.column(f.name))) for f in t.schema], t.num_rows)
    slices = [t.slice(i, rows_per_slice) for t in tables for i in range(0, t.num_rows, rows_per_slice)]
    return pool.map(encode, slices)


def _raw(column):
    """A column that already holds JSON text (null → null); a struct column holds it in pieces,
    returned as a tuple for the line writer to join in place."""
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if pa.types.is_struct(arr.type):
        return tuple(p.cast(pa.large_string()) for p in arr.flatten())
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.large_string())
    return pc.fill_null(arr.cast(pa.large_string()), pa.scalar("null", pa.large_string()))


def write_csv(path: Path, frame: pd.DataFrame):
    """UTF-8 with BOM, so Excel opens Chinese text correctly; text from input that a spreadsheet
    would run as a formula gets a leading apostrophe (engine.io.cells)."""
    from engine.io.cells import csv_frame
    with atomic_path(path) as tmp:
        csv_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig")


def write_json(path: Path, obj):
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def write_review_excel(path: Path, findings, summary: dict, cases: Path | None = None,
                       rejected: dict | None = None, fmt: str = "jsonl"):
    """The review workbook (engine.report.workbook) from the run's files while ``review`` writes them:
    ``findings`` (the findings.jsonl path, or the findings read), ``cases`` (the cases.jsonl path) and
    ``rejected`` (output name -> path of rejected.csv and the other rejected-row files).  Without
    ``cases``/``rejected`` those sheets are left empty.  ``fmt="parquet"``: ``findings`` and ``cases``
    are findings.parquet and cases.parquet (engine.io.parquet_out)."""
    from engine.report.folder import ReviewFiles
    from engine.report.workbook import write_workbook_of
    rejected = {k: Path(v) for k, v in (rejected or {}).items()}
    if fmt == "parquet":
        from engine.report.folder import parquet_review_files
        files = parquet_review_files(summary, Path(cases), Path(findings), rejected)
        return write_workbook_of(files, Path(path))
    files = ReviewFiles(summary, Path(cases) if cases else None, findings, rejected)
    return write_workbook_of(files, Path(path))
