"""The roster (人员名册) and the exemptions (容错免责) files: every row is used or rejected with a reason.

Both are read by ``engine.io.readers.read_table`` (CSV in UTF-8 or GBK,
Excel, …; it adds ``__row__``, the spreadsheet row with the header as row 1)
and accept English or Chinese headers.  A file that cannot be used at all
(unreadable, a required column missing) is an ``InputError`` (exit 2); a bad
row is listed in ``rejected.csv`` with its row number and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.io.readers import ROW, read_table

ROSTER_ALIASES = {"人员编号": "person_id", "工号": "person_id", "执法证号": "person_id", "姓名": "name",
                  "部门": "department", "所属部门": "department", "执法部门": "department", "角色": "role"}
ROLE_VALUES = {"officer": "officer", "执法人员": "officer", "执法人": "officer",
               "leader": "leader", "负责人": "leader", "主要负责人": "leader", "部门负责人": "leader"}
EXEMPTION_ALIASES = {"案件编号": "case_id", "问题代码": "code", "免责理由": "reason", "理由": "reason",
                     "批准人": "approved_by", "审批人": "approved_by"}


@dataclass
class Rejected:
    rows: list[dict] = field(default_factory=list)

    def add(self, kind: str, file, frame: pd.DataFrame, ids, reasons):
        for row, i, why in zip(frame[ROW].tolist(), ids, reasons):
            self.rows.append({"kind": kind, "file": str(file), "row": int(row),
                              "id": "" if i is None or (isinstance(i, float) and np.isnan(i)) else str(i),
                              "reason": why})

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["kind", "file", "row", "id", "reason"])


@dataclass
class Roster:
    people: pd.DataFrame            # person_id (index), name, department, role
    leaders: dict[str, tuple[str, str | None]]   # department -> (person_id, name)
    departments: set[str]
    rows: int = 0

    def name_of(self, ids: pd.Series) -> pd.Series:
        return ids.map(self.people["name"])

    def department_of(self, ids: pd.Series) -> pd.Series:
        return ids.map(self.people["department"])

    @classmethod
    def empty(cls) -> "Roster":
        return cls(pd.DataFrame(columns=["name", "department", "role"]), {}, set())


def _normalize(frame: pd.DataFrame, aliases: dict, required: tuple, path: Path, what: str) -> pd.DataFrame:
    frame = frame.rename(columns={c: aliases.get(c, c) for c in frame.columns})
    frame = frame.rename(columns={c: c.lower() for c in frame.columns if c.lower() in required})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        zh = {v: k for k, v in reversed(list(aliases.items()))}
        need = ", ".join(f"{c} ({zh.get(c, c)})" for c in missing)
        raise InputError(f"{path}: {what} needs the column(s) {need}")
    for c in required:
        s = frame[c].astype(object).where(frame[c].notna(), None)
        frame[c] = s.map(lambda v: v.strip() if isinstance(v, str) else (None if v is None else str(v)))
        frame[c] = frame[c].where(frame[c] != "", None)
    return frame


def read_roster(path, rejected: Rejected) -> Roster:
    path = Path(path)
    frame = _normalize(read_table(path), ROSTER_ALIASES, ("person_id", "name", "department", "role"),
                       path, "the roster")
    role = frame["role"].map(lambda v: ROLE_VALUES.get(v.lower() if isinstance(v, str) else v))
    reasons = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)

    def flag(mask, text):
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            reasons.iloc[i].append(text)
    flag(frame["person_id"].isna(), "人员编号为空 (person_id missing)")
    flag(frame["department"].isna(), "部门为空 (department missing)")
    flag(frame["role"].isna(), "角色为空 (role missing: officer/执法人员 or leader/负责人)")
    flag(frame["role"].notna() & role.isna(),
         "角色无法识别 (role not officer/执法人员 or leader/负责人)")
    ids = frame["person_id"]
    dup = ids.notna() & ids.duplicated(keep=False)
    for pid, grp in frame[dup].groupby("person_id")[ROW]:
        rows = ", ".join(map(str, grp.tolist()))
        flag(dup & (ids == pid), f"人员编号重复，见第 {rows} 行 (person_id repeated in rows {rows}; none used)")
    leader = (role == "leader") & frame["department"].notna() & ids.notna() & ~dup
    many = leader & frame["department"].map(frame[leader]["department"].value_counts()).fillna(0).gt(1)
    for dept, grp in frame[many].groupby("department")[ROW]:
        rows = ", ".join(map(str, grp.tolist()))
        flag(many & (frame["department"] == dept),
             f"部门“{dept}”有多名负责人（第 {rows} 行），负责人须唯一 (more than one leader for the department; none used)")
    bad = reasons.map(bool)
    rejected.add("roster", path, frame[bad], ids[bad].tolist(), ["；".join(r) for r in reasons[bad]])
    good = frame[~bad].assign(role=role[~bad])
    people = good.set_index("person_id")[["name", "department", "role"]]
    leaders = {d: (pid, name) for pid, name, d in
               good[good["role"] == "leader"][["person_id", "name", "department"]].itertuples(index=False)}
    return Roster(people, leaders, set(good["department"]), rows=len(frame))


@dataclass
class Exemptions:
    table: pd.DataFrame      # case_id, code, reason, approved_by, row — accepted rows only
    rows: int = 0

    @classmethod
    def empty(cls) -> "Exemptions":
        return cls(pd.DataFrame(columns=["case_id", "code", "reason", "approved_by", "row"]))


def read_exemptions(path, rejected: Rejected) -> Exemptions:
    path = Path(path)
    frame = _normalize(read_table(path), EXEMPTION_ALIASES, ("case_id", "code", "reason", "approved_by"),
                       path, "the exemptions file")
    reasons = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)

    def flag(mask, text):
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            reasons.iloc[i].append(text)
    flag(frame["case_id"].isna(), "案件编号为空 (case_id missing)")
    flag(frame["code"].isna(), "问题代码为空 (code missing)")
    flag(frame["reason"].isna(), "免责理由为空 (reason missing): 容错免责须写明理由")
    flag(frame["approved_by"].isna(), "批准人为空 (approved_by missing): 容错免责须经批准")
    complete = ~reasons.map(bool)
    first_row = frame[complete].groupby(["case_id", "code"])[ROW].transform("min")
    again = pd.Series(False, index=frame.index)
    again[complete] = frame.loc[complete, ROW] != first_row
    for i in np.flatnonzero(again.to_numpy()):
        reasons.iloc[i].append(f"与第 {first_row.loc[frame.index[i]]} 行重复 "
                               f"(duplicate of row {first_row.loc[frame.index[i]]}, which is used)")
    bad = reasons.map(bool)
    ids = (frame["case_id"].fillna("") + " " + frame["code"].fillna("")).str.strip()
    rejected.add("exemptions", path, frame[bad], ids[bad].tolist(), ["；".join(r) for r in reasons[bad]])
    good = frame[~bad]
    table = pd.DataFrame({"case_id": good["case_id"], "code": good["code"], "reason": good["reason"],
                          "approved_by": good["approved_by"], "row": good[ROW].astype(int)}).reset_index(drop=True)
    return Exemptions(table, rows=len(frame))
