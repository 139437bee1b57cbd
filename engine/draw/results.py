"""Inspection results and their publication deadline: ``inaction.results_not_publicized``.

一公开: results of a spot check are enterprise information the regulator
produced, to be published within 20 working days of the day it was produced
(企业信息公示暂行条例 Art. 6 para. 2; Art. 14 puts spot-check results on the
公示系统).  The day the result is produced is not counted (民法典 Art. 201,
as engine.calendar does), and working days follow the State Council's
holiday and 调休 notices.  A result still unpublished is a finding only once
the deadline has passed on the ``as_of`` date; before that it is pending.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine.calendar import default_calendar
from engine.draw.files import atomic_write_bytes, sha256_file
from engine.draw.registers import Rejected, _rename, _text
from engine.errors import InputError
from engine.io.cells import csv_frame
from engine.io.readers import ROW, read_table

CODE = "inaction.results_not_publicized"
DEADLINE_PARAMETER = "draw_results_publication_working_days"   # rules/draw/results.yaml


def _deadline(ruleset=None) -> tuple[int, dict]:
    """The publication period and its cited basis, from the rule file (not a constant here)."""
    if ruleset is None:
        from engine.ruleset.loader import load_rules
        ruleset = load_rules()
    p = ruleset.param(DEADLINE_PARAMETER)
    return int(p.value), {**p.citation.as_json(), "text": p.note}
ALIASES = {"统一社会信用代码": "entity_id", "检查对象": "entity_id", "事项编号": "item_id",
           "抽查事项编号": "item_id", "检查结果": "result", "结果": "result", "检查日期": "date",
           "结果日期": "date", "日期": "date", "公示日期": "publicized", "publicized_date": "publicized",
           "公示时间": "publicized"}
REQUIRED = ("entity_id", "item_id", "result", "date", "publicized")
CST = dt.timezone(dt.timedelta(hours=8))


def _dates(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse a date column; returns (datetime64[D] with NaT, bad mask for non-empty unparseable cells)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        d = col.to_numpy(dtype="datetime64[D]")
        return d, np.zeros(len(col), bool)
    text = _text(col).fillna("").str.replace("/", "-", regex=False).str.replace(".", "-", regex=False)
    text = text.str.replace(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", r"\1-\2-\3", regex=True)
    parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    d = parsed.to_numpy(dtype="datetime64[D]")
    bad = (text != "").to_numpy() & np.isnat(d)
    return d, bad


def review(frame: pd.DataFrame, source: str, as_of: dt.date, calendar=None, ruleset=None) -> dict:
    cal = calendar or default_calendar()
    days, basis = _deadline(ruleset)
    rejected = Rejected()
    total = len(frame)
    date, bad_date = _dates(frame["date"])
    pub, bad_pub = _dates(frame["publicized"])
    ent = _text(frame["entity_id"]).fillna("")
    item = _text(frame["item_id"]).fillna("")
    reason = np.full(total, "", dtype=object)
    reason[(ent == "").to_numpy()] = "统一社会信用代码为空 (entity_id missing)"
    reason[((item == "") & (ent != "")).to_numpy()] = "事项编号为空 (item_id missing)"
    reason = np.where((reason == "") & (np.isnat(date) & ~bad_date), "检查日期为空 (date missing)", reason)
    reason = np.where((reason == "") & bad_date, "检查日期无法识别，应为 YYYY-MM-DD (date unreadable)", reason)
    reason = np.where((reason == "") & bad_pub, "公示日期无法识别，应为 YYYY-MM-DD (publicized unreadable)", reason)
    reason = np.where((reason == "") & ~np.isnat(pub) & (pub < date),
                      "公示日期早于检查日期 (publicized before the result date)", reason)
    deadline, ok = cal.add_working_days_safe(date, days)
    reason = np.where((reason == "") & ~ok,
                      f"检查日期超出工作日历覆盖范围（{cal.describe_coverage()}），无法计算期限 "
                      "(date outside the working-day calendar)", reason)
    bad = reason != ""
    rejected.add("results", source, frame.loc[bad, ROW], ent[bad], reason[bad])
    as_of64 = np.datetime64(as_of, "D")
    late_pub = ~bad & ~np.isnat(pub) & (pub > deadline)
    unpublished_late = ~bad & np.isnat(pub) & (as_of64 > deadline)
    pending = int((~bad & np.isnat(pub) & (as_of64 <= deadline)).sum())
    findings = []
    rows = frame[ROW].to_numpy()
    results = _text(frame["result"]).fillna("").to_numpy(dtype=object)
    for i in np.flatnonzero(late_pub | unpublished_late):
        d, dl = str(date[i]), str(deadline[i])
        if late_pub[i]:
            late = int(cal.working_days_between(deadline[i], pub[i]))
            msg = (f"检查结果形成于 {d}，应于 {dl} 前公示，实际 {pub[i]} 公示，逾期 {late} 个工作日 "
                   f"(published {late} working days after the deadline)")
            p = str(pub[i])
        else:
            late = int(cal.working_days_between(deadline[i], as_of64)) if cal.covers([as_of64]).all() else None
            msg = (f"检查结果形成于 {d}，应于 {dl} 前公示，截至 {as_of} 仍未公示"
                   + (f"，已逾期 {late} 个工作日" if late is not None else "")
                   + " (not published by the deadline)")
            p = None
        findings.append({"code": CODE, "row": int(rows[i]), "entity_id": ent.iloc[i], "item_id": item.iloc[i],
                         "result": results[i], "date": d, "deadline": dl, "publicized": p,
                         "working_days_late": late, "as_of": as_of.isoformat(), "basis": basis, "message": msg})
    keep = ~bad
    stored = [{"row": int(rows[i]), "entity_id": ent.iloc[i], "item_id": item.iloc[i], "result": results[i],
               "inspected_on": str(date[i]), "publicized_on": None if np.isnat(pub[i]) else str(pub[i])}
              for i in np.flatnonzero(keep)]
    return {"rows": total, "used": int(keep.sum()), "rejected": rejected.rows, "findings": findings,
            "pending": pending, "stored": stored}


def review_file(path, as_of: str | None = None, db: str | None = None, store: bool = True) -> dict:
    frame = _rename(read_table(path), ALIASES, REQUIRED, path)
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(f"--as-of {as_of!r} 不是日期 (is not a date, YYYY-MM-DD)") from None
    else:
        day = dt.datetime.now(CST).date()
    rep = review(frame, str(path), day)
    rep["imported"] = False
    if store:
        from engine.draw.ledger import Ledger, now_utc
        sha = sha256_file(path)
        ledger = Ledger(db)
        try:
            if not ledger.results_imported(sha):
                at = now_utc()
                ledger.import_results([dict(r, import_sha256=sha, source=Path(path).name, imported_at=at)
                                       for r in rep["stored"]])
                rep["imported"] = True
        finally:
            ledger.close()
    return rep


def write_findings(findings: list, out: Path) -> None:
    out = Path(out)
    if out.suffix.lower() == ".csv":
        cols = ["code", "row", "entity_id", "item_id", "result", "date", "deadline", "publicized",
                "working_days_late", "message"]
        frame = pd.DataFrame(findings, columns=cols)
        frame["basis"] = "企业信息公示暂行条例第六条第二款"
        atomic_write_bytes(out, csv_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))
    else:
        atomic_write_bytes(out, "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in findings).encode("utf-8"))
