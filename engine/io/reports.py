"""Write review reports: JSON Lines, CSV, JSON summary and (optionally) Excel with Chinese headers.

Each file is written to a temporary name and renamed into place, so a
reader never sees half a report, and a failed run leaves the previous one.
"""
from __future__ import annotations

import json

import orjson
from pathlib import Path

import pandas as pd

from engine.io.atomic import atomic_path, write_text

FINDING_HEADERS_ZH = {
    "case_id": "案件编号", "code": "问题代码", "category": "类别", "severity": "严重程度",
    "message_zh": "问题说明", "message_en": "Finding (English)", "citations": "法律依据",
    "facts": "所用事实", "expected": "法定要求", "actual": "实际情况", "department": "执法部门",
    "officers": "执法人员", "event_date": "事件日期", "row": "原始行号",
}
CATEGORY_ZH = {"overreach": "乱作为", "inaction": "不作为", "leniency": "罚人情款", "procedure": "程序违法"}
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}


def _dump(obj) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY, default=str).decode("utf-8")


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

    from engine.io.jsonfrag import fragment, lines

    def encode(t):
        return lines([(f.name, _raw(t.column(f.name)) if (f.metadata or {}).get(b"json") == b"raw"
                       else fragment(t.column(f.name))) for f in t.schema], t.num_rows)
    slices = [t.slice(i, rows_per_slice) for t in tables for i in range(0, t.num_rows, rows_per_slice)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        write_chunks(path, pool.map(encode, slices), digest)


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


def citation_text(cs: list[dict]) -> str:
    """Citations as one line of text.  A policy document cited by its printed section (or one with
    no numbered articles) reads ``title（document number）section``."""
    parts = []
    for c in cs:
        if c.get("document") and (c.get("section") or c.get("article") is None):
            parts.append(f"{c['law']}（{c['document']}）{c.get('section') or ''}")
            continue
        s = f"{c['law']}第{c['article']}条"
        if c.get("paragraph"):
            s += f"第{c['paragraph']}款"
        if c.get("item"):
            s += f"第{c['item']}项"
        if c.get("document"):
            s += f"（{c['document']}）"
        parts.append(s)
    return "；".join(parts)


def write_review_excel(path: Path, findings: list[dict], summary: dict):
    rows = []
    for f in findings:
        r = dict(f)
        r["category"] = f"{CATEGORY_ZH.get(r['category'], r['category'])} ({r['category']})"
        r["severity"] = SEVERITY_ZH.get(r["severity"], r["severity"])
        r["citations"] = citation_text(r["citations"])
        r["officers"] = "；".join(r["officers"] or [])
        for k in ("facts", "expected", "actual"):
            r[k] = _dump(r[k])
        rows.append(r)
    fdf = pd.DataFrame(rows, columns=list(FINDING_HEADERS_ZH)).rename(columns=FINDING_HEADERS_ZH)
    dept_rows = []
    for d, s in summary["by_department"].items():
        dept_rows.append({"执法部门": d, "已审查案件": s["evaluated"], "拒收记录": s["rejected"],
                          "问题数": s["findings"], "有问题案件数": s["cases_with_findings"],
                          **{f"{CATEGORY_ZH.get(c, c)}": s["by_category"].get(c, 0) for c in CATEGORY_ZH}})
    ddf = pd.DataFrame(dept_rows)
    cdf = pd.DataFrame([{"问题代码": k, "数量": v} for k, v in summary["by_code"].items()])
    from engine.io.cells import write_workbook
    write_workbook(path, [("问题清单", fdf, {"index": False}), ("部门汇总", ddf, {"index": False}),
                          ("问题分类", cdf, {"index": False})])
