"""The 公示名单: the published list of targets and inspectors, in Chinese, personal numbers masked.

个人信息保护法 Art. 25 forbids publishing personal information without
consent and Art. 6 asks for the least intrusive processing, so any resident
identity number (18 or 15 digits) or mobile number that appears in a
published cell (e.g. a sole trader's name field, an inspector id that is an
ID number) is masked.  统一社会信用代码 are organisation codes, already public on
the 国家企业信用信息公示系统, and stay whole.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from engine.draw.files import atomic_write_bytes, temp_path

MASK_BASIS = "《中华人民共和国个人信息保护法》第六条、第二十五条"
_ID18 = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{3})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{3})\d{7}(\d{4})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")

COLUMNS = ["序号", "抽查计划编号", "实施部门", "抽查日期", "抽查事项编号", "抽查事项", "事项类别", "检查依据",
           "信用风险分类", "抽取序位", "统一社会信用代码", "主体名称", "所在区域", "随机数（前18位）",
           "执法检查人员", "执法证号", "备注"]
KIND_ZH = {"general": "一般检查事项", "key": "重点检查事项"}


def mask(text) -> str:
    """Mask identity and mobile numbers inside free text: 1101**********001X, 138****5678."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = str(text)
    s = _ID18.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), s)
    s = _ID15.sub(lambda m: m.group(1) + "*" * 7 + m.group(2), s)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), s)


def mask_column(col) -> list:
    """Vectorized ``mask``: only cells holding 11+ consecutive digits can contain a number to hide.

    The digit test runs in Arrow (RE2) over the whole column; Python's regex,
    which ``mask`` needs for the look-arounds, only sees the few hits.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pd.Series(col).astype(object).where(pd.Series(col).notna(), "").astype(str).tolist() \
        if not isinstance(col, list) else col
    arr = pa.array(values, type=pa.string())
    hit = np.flatnonzero(pc.match_substring_regex(arr, r"\d{11}").to_numpy(zero_copy_only=False))
    for i in hit.tolist():
        values[i] = mask(values[i])
    return values


def publication_frame(plan, draw_date: str, selections: list, assignments: list, unfilled: list,
                      entities: pd.DataFrame, inspectors: pd.DataFrame, positions: list) -> pd.DataFrame:
    """One row per selected target, in plan order, class, rank (vectorized: a 10M register draws 500k targets)."""
    sel = pd.DataFrame(selections, columns=["item_id", "credit_class", "rank", "entity_id", "ticket"])
    if sel.empty:
        return pd.DataFrame(columns=COLUMNS)
    sel["_pos"] = positions                      # selections already come in plan, class, rank order
    rows = entities[[c for c in ("name", "district") if c in entities.columns]].iloc[sel["_pos"].to_numpy()]
    empty = pd.Series([""] * len(sel))
    name = rows["name"].tolist() if "name" in rows else [""] * len(sel)
    district = rows["district"].tolist() if "district" in rows else [""] * len(sel)
    ins_ids = inspectors["inspector_id"].tolist()
    ins_name = dict(zip(ins_ids, mask_column(inspectors["name"].tolist())))   # masked once per inspector
    ins_mask = dict(zip(ins_ids, mask_column(list(ins_ids))))
    team = {(a["item_id"], a["entity_id"]): a["inspectors"] for a in assignments}
    note = {(u["item_id"], u["entity_id"]): "未能选派：" + u["reason"].split(" (")[0] for u in unfilled}
    keys = list(zip(sel["item_id"].tolist(), sel["entity_id"].tolist()))
    teams = [team.get(k, []) for k in keys]
    items = {it.item_id: it for it in plan.items}
    frame = pd.DataFrame({
        "序号": range(1, len(sel) + 1),
        "抽查计划编号": plan.plan_id,
        "实施部门": plan.department,
        "抽查日期": draw_date,
        "抽查事项编号": sel["item_id"],
        "抽查事项": sel["item_id"].map({k: v.name for k, v in items.items()}),
        "事项类别": sel["item_id"].map({k: KIND_ZH[v.kind] for k, v in items.items()}),
        "检查依据": sel["item_id"].map({k: v.basis.cite() for k, v in items.items()}),
        "信用风险分类": sel["credit_class"],
        "抽取序位": sel["rank"],
        "统一社会信用代码": sel["entity_id"],
        "主体名称": mask_column(name),
        "所在区域": mask_column(district),
        "随机数（前18位）": sel["ticket"],
        "执法检查人员": ["、".join([str(ins_name.get(i, "")) for i in t]) for t in teams],
        "执法证号": ["、".join([ins_mask[i] for i in t]) for t in teams],
        "备注": [note.get(k, "") for k in keys],
    })
    return frame[COLUMNS]


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    """UTF-8 with BOM so that Excel on Chinese Windows opens it without mojibake.

    Written by Arrow's CSV writer (quotes only where needed, CRLF): pandas' writer
    takes seconds on the half-million rows of a province-wide draw.
    """
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(frame.astype({c: str for c in frame.columns}), preserve_index=False)
    sink = io.BytesIO()
    sink.write("\ufeff".encode("utf-8"))
    pcsv.write_csv(table, sink, pcsv.WriteOptions(quoting_style="needed", eol="\r\n"))
    atomic_write_bytes(target, sink.getvalue())


def write_excel(frame: pd.DataFrame, target: Path, title: str) -> None:
    from openpyxl import Workbook

    tmp = temp_path(target)
    try:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("公示名单")
        ws.append([title])
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        wb.save(tmp)
        import os
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
