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

from engine.draw.files import atomic_write_bytes
from engine.io.cells import FORMULA_START, csv_text

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

    values = col if isinstance(col, list) else pd.Series(col).tolist()
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)   # None, NaN and pd.NA become nulls
    except (pa.ArrowTypeError, pa.ArrowInvalid):                      # numbers in a text column
        arr = None
    if arr is None or arr.null_count:   # an empty cell of the register is an empty cell here
        values = ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in values]
        arr = pa.array(values, type=pa.string())
    hit = np.flatnonzero(pc.match_substring_regex(arr, r"\d{11}").to_numpy(zero_copy_only=False))
    for i in hit.tolist():
        values[i] = mask(values[i])
    return values


def publication_frame(plan, draw_date: str, selections: list, assignments: list, unfilled: list,
                      entities: pd.DataFrame, inspectors: pd.DataFrame, positions: list) -> dict[str, list]:
    """One row per selected target, in plan order, class, rank: {column: list of text}.

    Plain lists rather than a DataFrame: a province-wide draw publishes half a
    million rows, and building and re-typing a 17-column frame costs more than
    the rest of the publication.  Teams repeat (a few hundred distinct pairs),
    so their display text is built once per team.
    """
    n = len(selections)
    if n == 0:
        return {c: [] for c in COLUMNS}
    pos = np.asarray(positions, dtype=np.int64)
    name = entities["name"].iloc[pos].tolist() if "name" in entities.columns else [""] * n
    district = entities["district"].iloc[pos].tolist() if "district" in entities.columns else [""] * n
    ins_ids = inspectors["inspector_id"].tolist()
    ins_name = dict(zip(ins_ids, mask_column(inspectors["name"].tolist())))   # masked once per inspector
    ins_mask = dict(zip(ins_ids, mask_column(list(ins_ids))))
    team_of = {(a["item_id"], a["entity_id"]): tuple(a["inspectors"]) for a in assignments}
    note = {(u["item_id"], u["entity_id"]): "未能选派：" + u["reason"].split(" (")[0] for u in unfilled}
    shown: dict = {(): ("", "")}
    names_col, ids_col, notes = [], [], []
    for s in selections:
        key = (s["item_id"], s["entity_id"])
        team = team_of.get(key, ())
        text = shown.get(team)
        if text is None:
            text = shown[team] = ("、".join(str(ins_name.get(i, "")) for i in team), "、".join(ins_mask[i] for i in team))
        names_col.append(text[0])
        ids_col.append(text[1])
        notes.append(note.get(key, "") if note else "")
    items = {it.item_id: it for it in plan.items}
    item_ids = [s["item_id"] for s in selections]
    return {
        "序号": [str(i) for i in range(1, n + 1)],
        "抽查计划编号": [plan.plan_id] * n,
        "实施部门": [plan.department] * n,
        "抽查日期": [draw_date] * n,
        "抽查事项编号": item_ids,
        "抽查事项": [items[i].name for i in item_ids],
        "事项类别": [KIND_ZH[items[i].kind] for i in item_ids],
        "检查依据": [items[i].basis.cite() for i in item_ids],
        "信用风险分类": [s["credit_class"] for s in selections],
        "抽取序位": [str(s["rank"]) for s in selections],
        "统一社会信用代码": [s["entity_id"] for s in selections],
        "主体名称": mask_column(name),
        "所在区域": mask_column(district),
        "随机数（前18位）": [s["ticket"] for s in selections],
        "执法检查人员": names_col,
        "执法证号": ids_col,
        "备注": notes,
    }


def csv_column(values):
    """One column of text as an Arrow string array, every cell a spreadsheet would run defused.

    Formula starts are found in Arrow over the whole column; ``csv_text`` (engine.io.cells) rewrites
    the few hits, so the half million rows of a province-wide draw cost no Python call per cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = [("" if v is None else str(v)) for v in values]
    arr = pa.array(values, type=pa.string())
    hit = None
    for ch in FORMULA_START:
        m = pc.starts_with(arr, pattern=ch)
        hit = m if hit is None else pc.or_(hit, m)
    idx = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
    if len(idx):
        for i in idx.tolist():
            values[i] = csv_text(values[i])
        arr = pa.array(values, type=pa.string())
    return arr


def write_csv(table: dict, target: Path) -> None:
    """UTF-8 with BOM so that Excel on Chinese Windows opens it without mojibake.

    Written by Arrow's CSV writer (strings quoted, CRLF): pandas' writer takes
    seconds on the half-million rows of a province-wide draw.  Names, items and
    ids come from the plan and the registers, so every cell goes through ``csv_column``.
    """
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    arrow = pa.table({c: csv_column(table[c]) for c in COLUMNS})
    sink = io.BytesIO()
    sink.write("\ufeff".encode("utf-8"))
    pcsv.write_csv(arrow, sink, pcsv.WriteOptions(quoting_style="needed", eol="\r\n"))
    atomic_write_bytes(target, sink.getvalue())


# the publication's numbers and dates as numbers and dates; every other cell is text (ids keep their digits)
_EXCEL_KINDS = {"序号": "int", "抽查日期": "date", "抽取序位": "int"}
_EXCEL_WIDTHS = {"检查依据": 36, "随机数（前18位）": 22, "统一社会信用代码": 22, "主体名称": 24, "备注": 30}


def write_excel(table: dict, target: Path, title: str) -> None:
    """The publication list as a workbook (engine.report.xlsx: the title above a frozen, filtered header;
    names, items and ids from the plan and registers stay text, never formulas or error values)."""
    from engine.report.xlsx import Column, Sheet, write_book
    columns = [Column(c, _EXCEL_KINDS.get(c, "text"), _EXCEL_WIDTHS.get(c)) for c in COLUMNS]
    write_book(Path(target), [Sheet("公示名单", columns, zip(*(table[c] for c in COLUMNS)), banner=[title])])
