"""The related-record files of ``zhunsheng targets``: complaints, inspection results (the
``draw results`` format) and annual-report filings, each turned into one table per kind keyed by
``entity_id``.

Every row names an entity of the register; a row naming no entity, or one the register does not hold,
is rejected (a complaint about an entity not in the register cannot raise anyone's class, and saying
so is better than dropping it).  A blank cell is an unknown fact: a blank ``verified`` is not "not
verified", and rules comparing it are false.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from engine.draw.registers import Rejected
from engine.targets.tables import ROW, Reasons, booleans, dates, positions, read, text
from engine.types import FieldType as T

COMPLAINT_ALIASES = {
    "统一社会信用代码": "entity_id", "被投诉主体代码": "entity_id", "被投诉举报主体代码": "entity_id",
    "主体代码": "entity_id", "信用代码": "entity_id",
    "编号": "complaint_id", "办件编号": "complaint_id", "投诉举报编号": "complaint_id", "案件编号": "complaint_id",
    "收到日期": "date", "日期": "date", "登记日期": "date", "received_date": "date",
    "是否属实": "verified", "属实": "verified", "核实属实": "verified", "核查属实": "verified",
    "类别": "source", "来源": "source", "投诉举报类别": "source", "问题来源": "source",
    "检查事项": "item_id", "事项编号": "item_id",
}
COMPLAINT_SCHEMA = {"complaint_id": T.STRING, "date": T.DATE, "verified": T.BOOL, "source": T.STRING,
                    "item_id": T.STRING}

RESULT_ALIASES = {"统一社会信用代码": "entity_id", "检查对象": "entity_id", "事项编号": "item_id",
                  "抽查事项编号": "item_id", "检查结果": "result", "结果": "result", "检查日期": "date",
                  "结果日期": "date", "日期": "date"}
RESULT_SCHEMA = {"item_id": T.STRING, "result": T.STRING, "date": T.DATE, "problem": T.BOOL}
# How a free-text result reads (the results file has no code for it): "未发现问题" is no problem;
# "发现问题", "不合格", "责令", "立案" mean one was found; anything else is unknown.
_NO_PROBLEM = r"未发现|无问题|^合格$|^正常$|^通过$"
_PROBLEM = r"发现问题|不合格|责令|立案|违法|不符合"

REPORT_ALIASES = {"统一社会信用代码": "entity_id", "信用代码": "entity_id", "年度": "year", "报告年度": "year",
                  "年报年度": "year", "报送日期": "filed_date", "公示日期": "filed_date", "提交日期": "filed_date",
                  "填报日期": "filed_date"}
REPORT_SCHEMA = {"year": T.NUMBER, "filed_date": T.DATE, "date": T.DATE}


ENTITY_POSITIONS = "entity_positions"   # ``frame.attrs`` key: each kept row's position in the register


def _finish(frame, reasons: Reasons, kind: str, path, rejected: Rejected, register_ids, id_col=None):
    ent = frame["entity_id"].fillna("")
    pos = positions(ent, register_ids)
    reasons.add((ent == "").to_numpy(dtype=bool), "统一社会信用代码为空 (entity_id missing)")
    reasons.add((ent != "").to_numpy(dtype=bool) & (pos < 0),
                "统一社会信用代码不在检查对象名录（或该行被拒） (entity not in the register)")
    why = reasons.joined()
    bad = why != ""
    if bad.any():
        ids = frame.loc[bad, id_col] if id_col and id_col in frame.columns else frame.loc[bad, "entity_id"]
        rejected.add(kind, path, frame.loc[bad, ROW], ids, why[bad])
    out = frame.loc[~bad].reset_index(drop=True)
    # kept for the run, so the register (millions of ids) is not searched again for the same rows
    out.attrs[ENTITY_POSITIONS] = pos[~bad]
    return out


def load_complaints(path: Path, rejected: Rejected, register_ids: pd.Series, as_of: dt.date) -> pd.DataFrame:
    frame = read(path, COMPLAINT_ALIASES, ("entity_id", "date"), "投诉举报文件")
    r = Reasons(len(frame))
    d, bad_d = dates(frame["date"])
    r.add(bad_d, "收到日期不是日期（应为 YYYY-MM-DD） (date is not a date: use YYYY-MM-DD)")
    r.add(np.isnat(d) & ~bad_d, "收到日期为空 (date missing)")
    frame["date"] = d
    if "verified" in frame.columns:
        yes, known, bad_v = booleans(frame["verified"])
        r.add(bad_v, "是否属实应为 是/否（空白为未知） (verified must be yes/no; blank = unknown)")
        frame["verified"] = yes
    else:
        frame["verified"] = np.zeros(len(frame), bool)
    for col in ("complaint_id", "source", "item_id"):
        frame[col] = text(frame[col]) if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    return _finish(frame, r, "complaints", path, rejected, register_ids, "complaint_id")


def load_results(path: Path, rejected: Rejected, register_ids: pd.Series, as_of: dt.date) -> pd.DataFrame:
    frame = read(path, RESULT_ALIASES, ("entity_id", "item_id", "result", "date"), "检查结果文件")
    r = Reasons(len(frame))
    d, bad_d = dates(frame["date"])
    r.add(bad_d, "检查日期不是日期（应为 YYYY-MM-DD） (date is not a date: use YYYY-MM-DD)")
    r.add(np.isnat(d) & ~bad_d, "检查日期为空 (date missing)")
    frame["date"] = d
    frame["item_id"] = text(frame["item_id"])
    frame["result"] = text(frame["result"])
    res = frame["result"].fillna("")
    no = res.str.contains(_NO_PROBLEM, regex=True).to_numpy(dtype=bool)
    yes = res.str.contains(_PROBLEM, regex=True).to_numpy(dtype=bool) & ~no
    frame["problem"] = yes
    return _finish(frame, r, "results", path, rejected, register_ids, "item_id")


def load_reports(path: Path, rejected: Rejected, register_ids: pd.Series, as_of: dt.date) -> pd.DataFrame:
    frame = read(path, REPORT_ALIASES, ("entity_id", "year", "filed_date"), "年度报告文件")
    r = Reasons(len(frame))
    year_text = text(frame["year"]).fillna("").str.replace("年", "", regex=False)
    year = pd.to_numeric(year_text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad_y = ~np.isfinite(year) | (year != np.floor(year)) | (year < 1900) | (year > 9998)
    r.add(bad_y, "年度应为四位年份，如 2025 (year must be a year such as 2025)")
    d, bad_d = dates(frame["filed_date"])
    r.add(bad_d, "报送日期不是日期（应为 YYYY-MM-DD） (filed_date is not a date: use YYYY-MM-DD)")
    r.add(np.isnat(d) & ~bad_d, "报送日期为空 (filed_date missing)")
    year_end = np.array([np.datetime64(f"{int(y)}-12-31") if ok else np.datetime64("NaT")
                         for y, ok in zip(year, ~bad_y)], dtype="datetime64[D]") if len(year) else \
        np.array([], dtype="datetime64[D]")
    early = ~bad_y & ~np.isnat(d) & (d <= year_end)
    r.add(early, "报送日期早于该年度结束：年度报告于次年报送（企业信息公示暂行条例第八条） "
                 "(filed before the year ended: a year's report is filed in the next year, Art. 8)")
    frame["year"] = np.where(bad_y, np.nan, year)
    frame["filed_date"] = d
    frame["date"] = d
    out = _finish(frame, r, "reports", path, rejected, register_ids, "year")
    out["year"] = out["year"].astype("float64")
    return out
