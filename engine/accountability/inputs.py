"""Read review output folders (``findings.jsonl``, ``cases.jsonl``) into frames, de-duplicated.

Only the fields counting needs are parsed (Arrow's JSON reader with an
explicit schema; nested ``facts``/``citations`` are skipped), so a million
findings load in about a second.  Folders are read in the order given; the
same finding (case_id + code + event_date) or the same evaluated case_id seen
in two folders counts once, and the copy from the *later* folder is kept
(give monthly runs oldest first).  ``record_kind`` missing means ``penalty``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from engine.errors import InputError
from engine.io.outset import reading

FINDING_FIELDS = pa.schema([("case_id", pa.string()), ("code", pa.string()), ("category", pa.string()),
                            ("severity", pa.string()), ("department", pa.string()),
                            ("officers", pa.list_(pa.string())), ("event_date", pa.string()),
                            ("record_kind", pa.string())])
CASE_FIELDS = pa.schema([("case_id", pa.string()), ("status", pa.string()), ("department", pa.string()),
                         ("event_date", pa.string()), ("record_kind", pa.string())])


@dataclass
class ReviewData:
    findings: pd.DataFrame           # one row per distinct finding; event_date as datetime64 (NaT if unreadable)
    officers: pd.DataFrame           # finding (row position in ``findings``), officer — one row per pair
    cases: pd.DataFrame              # evaluated cases, one row per case_id: case_id, department, event_date
    stats: dict = field(default_factory=dict)


def read_reviews(folders) -> ReviewData:
    folders = [Path(f) for f in folders]
    if not folders:
        raise InputError("请至少给出一个审查输出文件夹 (give at least one review output folder)")
    tables, case_tables, per_folder = [], [], []
    for i, folder in enumerate(folders):
        if not folder.is_dir():
            raise InputError(f"{folder}: 审查输出文件夹不存在，请先运行 `zhunsheng review … --out {folder}` "
                             f"(no such review folder)")
        ext = "parquet" if _parquet_run(folder) else "jsonl"      # review --format parquet
        read = _read_parquet if ext == "parquet" else _read_jsonl
        for name in (f"findings.{ext}", f"cases.{ext}"):
            if not (folder / name).is_file():
                raise InputError(f"{folder}: 没有 {name}，不是审查输出文件夹 (no {name} — not a review output folder; "
                                 "expected cases.jsonl and findings.jsonl from `zhunsheng review`)")
        with reading(folder, required=(f"findings.{ext}", f"cases.{ext}")):
            f = read(folder / f"findings.{ext}", FINDING_FIELDS)
            c = read(folder / f"cases.{ext}", CASE_FIELDS)
        per_folder.append({"folder": str(folder), "findings": f.num_rows, "cases": c.num_rows})
        tables.append(f.append_column("__folder__", pa.array(np.full(f.num_rows, i, np.int32))))
        case_tables.append(c.append_column("__folder__", pa.array(np.full(c.num_rows, i, np.int32))))
    findings_t = pa.concat_tables(tables)
    findings, officers, merged = _findings_frame(findings_t)
    cases, cases_merged, cases_read = _cases_frame(pa.concat_tables(case_tables))
    stats = {"folders": per_folder, "findings_read": findings_t.num_rows, "duplicates_merged": merged,
             "findings": len(findings), "cases_read": cases_read, "evaluated_cases": len(cases),
             "case_duplicates_merged": cases_merged,
             "findings_without_event_date": int(findings["event_date"].isna().sum()),
             "findings_without_department": int(findings["department"].isna().sum()),
             "findings_without_officers": int(len(findings) - officers["finding"].nunique())}
    return ReviewData(findings, officers, cases, stats)


def _read_jsonl(path: Path, schema: pa.Schema) -> pa.Table:
    if path.stat().st_size < 4096 and not path.read_bytes().strip():
        return schema.empty_table()
    try:
        return pj.read_json(path, parse_options=pj.ParseOptions(explicit_schema=schema,
                                                               unexpected_field_behavior="ignore"),
                            read_options=pj.ReadOptions(block_size=1 << 24))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise InputError(f"{path}: 不是审查输出的 JSON Lines 文件 (not review output JSON Lines): {e}") from None


def _parquet_run(folder: Path) -> bool:
    return (folder / "cases.parquet").is_file() and not (folder / "cases.jsonl").is_file()


def _read_parquet(path: Path, schema: pa.Schema) -> pa.Table:
    """The fields of ``schema`` from a ``--format parquet`` file (the same fields as the JSON lines)."""
    import pyarrow.parquet as pq
    try:
        names = set(pq.ParquetFile(path).schema_arrow.names)
        t = pq.read_table(path, columns=[f.name for f in schema if f.name in names])
        return pa.table([t.column(f.name).cast(f.type) if f.name in names else pa.nulls(t.num_rows, f.type)
                         for f in schema], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as e:
        raise InputError(f"{path}: 不是审查输出的 Parquet 文件 (not review output Parquet): {e}") from None


def _dates(col: pa.ChunkedArray) -> pd.Series:
    s = col.to_pandas()
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


def _findings_frame(t: pa.Table):
    frame = pd.DataFrame({
        "case_id": t.column("case_id").to_pandas(),
        "code": t.column("code").to_pandas(),
        "category": t.column("category").to_pandas().astype("category"),
        "severity": t.column("severity").to_pandas().astype("category"),
        "department": t.column("department").to_pandas(),
        "event_date_text": t.column("event_date").to_pandas(),
        "record_kind": pc.fill_null(t.column("record_kind"), "penalty").to_pandas().astype("category"),
        "folder": t.column("__folder__").to_numpy(),
    })
    n = len(frame)
    dup = frame.duplicated(["case_id", "code", "event_date_text"], keep="last").to_numpy()
    keep = np.flatnonzero(~dup)
    frame = frame.iloc[keep].reset_index(drop=True)
    frame["event_date"] = pd.to_datetime(frame.pop("event_date_text"), format="%Y-%m-%d", errors="coerce")
    lists = t.column("officers").combine_chunks().take(pa.array(keep))
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy()
    officers = pd.DataFrame({"finding": parents, "officer": flat.to_pandas()})
    officers["officer"] = officers["officer"].str.strip()
    officers = officers[officers["officer"].notna() & (officers["officer"] != "")]
    officers = officers.drop_duplicates().reset_index(drop=True)
    return frame, officers, int(n - len(keep))


def _cases_frame(t: pa.Table):
    frame = pd.DataFrame({
        "case_id": t.column("case_id").to_pandas(),
        "status": t.column("status").to_pandas(),
        "department": t.column("department").to_pandas(),
        "event_date": _dates(t.column("event_date")),
    })
    evaluated = frame[frame["status"] == "evaluated"]
    dedup = evaluated.drop_duplicates("case_id", keep="last")
    return (dedup[["case_id", "department", "event_date"]].reset_index(drop=True),
            int(len(evaluated) - len(dedup)), int(len(frame)))
