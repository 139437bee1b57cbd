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


def publication_frame(plan, draw_date: str, selections: list, assignments: list, unfilled: list,
                      entities: pd.DataFrame, inspectors: pd.DataFrame) -> pd.DataFrame:
    items = {it.item_id: it for it in plan.items}
    sel = pd.DataFrame(selections, columns=["item_id", "credit_class", "rank", "entity_id", "ticket"])
    if sel.empty:
        return pd.DataFrame(columns=COLUMNS)
    info = entities.set_index("entity_id")
    wanted = pd.Index(sel["entity_id"].unique())
    names = info["name"].reindex(wanted) if "name" in info else pd.Series("", index=wanted)
    districts = info["district"].reindex(wanted) if "district" in info else pd.Series("", index=wanted)
    ins_name = dict(zip(inspectors["inspector_id"], inspectors["name"]))
    assigned = {(a["item_id"], a["entity_id"]): a["inspectors"] for a in assignments}
    short = {(u["item_id"], u["entity_id"]): u["reason"].split(" (")[0] for u in unfilled}
    order = {it.item_id: i for i, it in enumerate(plan.items)}
    sel["_o"] = sel["item_id"].map(order)
    sel = sel.sort_values(["_o", "credit_class", "rank"], kind="stable")
    rows = []
    for n, r in enumerate(sel.itertuples(index=False), start=1):
        it = items[r.item_id]
        key = (r.item_id, r.entity_id)
        ins = assigned.get(key, [])
        rows.append([n, plan.plan_id, plan.department, draw_date, r.item_id, it.name, KIND_ZH[it.kind],
                     it.basis.cite(), r.credit_class, r.rank, r.entity_id,
                     mask(names.get(r.entity_id, "")), mask(districts.get(r.entity_id, "")), r.ticket,
                     "、".join(mask(ins_name.get(i, "")) for i in ins), "、".join(mask(i) for i in ins),
                     ("未能选派：" + short[key]) if key in short else ""])
    return pd.DataFrame(rows, columns=COLUMNS)


def write_csv(frame: pd.DataFrame, target: Path) -> None:
    """UTF-8 with BOM so that Excel on Chinese Windows opens it without mojibake."""
    atomic_write_bytes(target, frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))


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
