"""What ``zhunsheng review`` found, as records related to entities: ``penalties`` (each evaluated penalty
decision) and ``findings`` (each finding), joined to the register by the party's unified social credit
code.

The review folder is verified first (``outset.reading``: every file matches its ``summary.json``, and
no run writes it meanwhile).  The party of a case is read, in this order, from a ``party_id`` of the
case line, its carried-through columns (``extra``: 当事人证件号, 统一社会信用代码), or the ``facts`` of
any of its findings; the fine and sanctions the same way.  A case whose party is not known, or is not
an entity of the register (an individual, another district), is counted as not joined, not rejected:
it is another command's output, not this command's input row.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from engine.errors import InputError
from engine.io.outset import reading
from engine.types import FieldType as T

PENALTY_SCHEMA = {"case_id": T.STRING, "date": T.DATE, "fine": T.NUMBER, "sanctions": T.LIST,
                  "provision": T.STRING, "department": T.STRING}
FINDING_SCHEMA = {"case_id": T.STRING, "code": T.STRING, "category": T.STRING, "severity": T.STRING,
                  "date": T.DATE, "record_kind": T.STRING}
_PARTY_KEYS = ("party_id", "当事人证件号", "统一社会信用代码", "当事人统一社会信用代码")
_FINE_KEYS = ("fine", "罚款金额")
_SANCTION_KEYS = ("sanctions", "其他处罚")
_SANCTION_CODES = {"警告": "warning", "没收非法财物": "confiscate_goods", "没收": "confiscate_goods",
                   "责令停产停业": "suspend", "停产停业": "suspend", "责令停业整顿": "suspend",
                   "吊销许可证": "revoke_license", "吊销许可证件": "revoke_license",
                   "吊销营业执照": "revoke_business_license"}


def _first(*dicts, keys):
    for d in dicts:
        if isinstance(d, dict):
            for k in keys:
                v = d.get(k)
                if v not in (None, ""):
                    return v
    return None


def _sanctions(value) -> str:
    if value is None:
        return ";"
    items = value if isinstance(value, list) else str(value).replace("；", ";").split(";")
    codes = [_SANCTION_CODES.get(str(i).strip(), str(i).strip()) for i in items if str(i).strip()]
    return ";" + ";".join(codes) + ";" if codes else ";"


def _lines(path: Path):
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise InputError(f"{path}: 第{i}行不是 JSON (line {i} is not JSON)") from None


def load_review(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(penalties, findings) of one review folder, each with ``entity_id`` (None when not known)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 审查结果文件夹不存在 (no such review folder)")
    with reading(folder, ("cases.jsonl", "findings.jsonl")):
        cases = list(_lines(folder / "cases.jsonl"))
        findings = list(_lines(folder / "findings.jsonl"))
    facts_of: dict = {}
    for f in findings:
        if isinstance(f.get("facts"), dict):
            facts_of.setdefault(f.get("case_id"), []).append(f["facts"])
    pen_rows, party_of = [], {}
    for c in cases:
        cid = c.get("case_id")
        facts = facts_of.get(cid, [])
        party = _first(c, c.get("extra"), *facts, keys=_PARTY_KEYS)
        party_of[cid] = None if party is None else str(party).strip()
        if c.get("record_kind", "penalty") != "penalty" or c.get("status") != "evaluated":
            continue
        fine = _first(c, c.get("extra"), *facts, keys=_FINE_KEYS)
        try:
            fine = float(str(fine).replace(",", "")) if fine is not None else np.nan
        except ValueError:
            fine = np.nan
        pen_rows.append({"entity_id": party_of[cid], "case_id": cid, "date": c.get("event_date"), "fine": fine,
                         "sanctions": _sanctions(_first(c, c.get("extra"), *facts, keys=_SANCTION_KEYS)),
                         "provision": c.get("provision"), "department": c.get("department"),
                         "folder": str(folder), "row": c.get("row")})
    find_rows = [{"entity_id": party_of.get(f.get("case_id")) or _first(f, f.get("facts"), keys=_PARTY_KEYS),
                  "case_id": f.get("case_id"), "code": f.get("code"), "category": f.get("category"),
                  "severity": f.get("severity"), "date": f.get("event_date"), "record_kind": f.get("record_kind"),
                  "folder": str(folder), "row": f.get("row")} for f in findings]
    return _typed(pen_rows, PENALTY_SCHEMA), _typed(find_rows, FINDING_SCHEMA)


def _typed(rows: list[dict], schema: dict) -> pd.DataFrame:
    cols = ["entity_id", *schema, "folder", "row"]
    frame = pd.DataFrame(rows, columns=cols)
    for name, typ in schema.items():
        if typ == T.DATE:
            frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d", errors="coerce").to_numpy(
                dtype="datetime64[D]")
        elif typ == T.NUMBER:
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].astype("string")
    frame["entity_id"] = frame["entity_id"].astype("string").str.strip()
    return frame
