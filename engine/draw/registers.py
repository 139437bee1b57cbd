"""Load the entity, inspector and conflict (回避) registers, column-wise.

Every input row ends up either used or in ``rejected`` with its row number
and a reason: a draw that silently dropped a malformed entity would shrink
the population without anyone noticing.  Checks are vectorized because the
entity register of a province has millions of rows.

统一社会信用代码 (GB 32100-2015): 18 characters from the 31-character set
``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z); the 18th is a check character:
``C18 = 31 - (Σ value(c_i)·3^(i-1) mod 31) mod 31``, i = 1..17.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InputError
from engine.io.arrowcols import text_array
from engine.io.readers import ROW, SOURCE, read_table
from engine.types import FieldType

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(CODE_CHARS):
    _VALUE[ord(_c)] = _i
_VALUE16 = _VALUE.astype(np.int16)

CREDIT_CLASSES = ("A", "B", "C", "D")
ACTIVE_STATUSES = ("active", "在业", "存续")

ENTITY_ALIASES = {
    "统一社会信用代码": "entity_id", "信用代码": "entity_id", "主体代码": "entity_id",
    "名称": "name", "主体名称": "name", "企业名称": "name", "市场主体名称": "name",
    "类型": "type", "主体类型": "type", "企业类型": "type", "市场主体类型": "type",
    "区域": "district", "所在区域": "district", "辖区": "district", "所属区域": "district",
    "行业": "industry", "所属行业": "industry", "行业类别": "industry",
    "信用风险分类": "credit_class", "信用风险等级": "credit_class", "风险分类": "credit_class",
    "信用等级": "credit_class",
    "状态": "status", "登记状态": "status", "经营状态": "status",
}
INSPECTOR_ALIASES = {
    "执法证号": "inspector_id", "执法证件号": "inspector_id", "执法证编号": "inspector_id",
    "姓名": "name", "部门": "department", "所属部门": "department", "单位": "department",
    "执法资格": "qualifications", "检查事项": "qualifications", "资格": "qualifications",
    "在岗": "active", "是否在岗": "active", "有效": "active",
    "最大任务数": "max_load", "检查上限": "max_load", "最大检查数": "max_load",
}
CONFLICT_ALIASES = {
    "执法证号": "inspector_id", "统一社会信用代码": "entity_id",
    "回避原因": "reason", "原因": "reason",
}
ENTITY_REQUIRED = ("entity_id", "name", "credit_class", "status")
INSPECTOR_REQUIRED = ("inspector_id", "name", "qualifications", "active", "max_load")
CONFLICT_REQUIRED = ("inspector_id", "entity_id")

_TRUE = {"true", "1", "yes", "y", "是", "在岗", "有效", "t"}
_FALSE = {"false", "0", "no", "n", "否", "不在岗", "无效", "离岗", "f"}


@dataclass
class Rejected:
    """Rows not used, with why; ``table()`` is what goes to rejected.csv."""
    rows: list[dict] = field(default_factory=list)

    def add(self, kind: str, source, rows, ids, reasons) -> None:
        for r, i, why in zip(rows, ids, reasons):
            self.rows.append({"kind": kind, "file": Path(str(source)).name, "row": int(r),
                              "id": "" if i is None or (isinstance(i, float) and np.isnan(i)) else str(i),
                              "reason": why})

    def count(self, kind: str | None = None) -> int:
        return sum(1 for r in self.rows if kind is None or r["kind"] == kind)

    def table(self) -> pd.DataFrame:
        cols = ["kind", "file", "row", "id", "reason"]
        df = pd.DataFrame(self.rows, columns=cols)
        order = {"entities": 0, "inspectors": 1, "conflicts": 2, "results": 3}
        df["_k"] = df["kind"].map(order).fillna(9)
        return df.sort_values(["_k", "row", "reason"], kind="stable").drop(columns="_k").reset_index(drop=True)


def check_char(code17: str) -> str:
    """The GB 32100-2015 check character of a 17-character body (one code at a time, for --explain and tests)."""
    s = sum(CODE_CHARS.index(c) * int(w) for c, w in zip(code17, WEIGHTS))
    return CODE_CHARS[(31 - s % 31) % 31]


def _fixed18(arr: pa.Array) -> np.ndarray:
    """Bytes of an Arrow string array whose values are all 18 bytes long, as an (n, 18) uint8 matrix."""
    n = len(arr)
    width = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.reshape(n, 18)


def credit_code_problems(ids: pd.Series) -> np.ndarray:
    """Per id: '' when valid, else the reason in Chinese (vectorized over the register)."""
    arr = text_array(ids).fill_null("")
    n = len(arr)
    out = np.full(n, "", dtype=object)
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    blen = pc.binary_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    out[lengths == 0] = "统一社会信用代码为空 (entity_id missing)"
    bad_len = (lengths != 18) & (lengths != 0)
    if bad_len.any():
        out[bad_len] = ["统一社会信用代码应为18位，实为%d位 (must be 18 characters)" % k for k in lengths[bad_len]]
    ascii18 = blen == 18
    out[(lengths == 18) & ~ascii18] = ("统一社会信用代码含非法字符（只能用数字和除 I O S V Z 外的大写字母）"
                                       " (invalid character)")
    if ascii18.any():
        idx = np.flatnonzero(ascii18)
        sub = arr if len(idx) == n else pc.filter(arr, pa.array(ascii18))
        rows = np.ascontiguousarray(_fixed18(sub).T)      # (18, n): one character position per row
        charset_ok = np.ones(rows.shape[1], dtype=bool)
        acc = np.zeros(rows.shape[1], dtype=np.int32)
        for j in range(17):
            v = _VALUE16[rows[j]]
            charset_ok &= v >= 0
            acc += v.astype(np.int32) * int(WEIGHTS[j])
        last = _VALUE16[rows[17]]
        charset_ok &= last >= 0
        expect = (31 - acc % 31) % 31
        bad_chars = ~charset_ok
        bad_check = charset_ok & (expect != last)
        if bad_chars.any():
            out[idx[bad_chars]] = ("统一社会信用代码含非法字符（只能用数字和除 I O S V Z 外的大写字母）"
                                   " (invalid character)")
        if bad_check.any():
            exp_chars = np.array(list(CODE_CHARS))[expect[bad_check]]
            out[idx[bad_check]] = [f"统一社会信用代码校验位错误，应为 {c} (GB 32100-2015 check character should be {c})"
                                   for c in exp_chars]
    return out


def _duplicated18(ids: pd.Series, ok: np.ndarray) -> np.ndarray:
    """Rows among ``ok`` (valid 18-byte codes) whose code occurs more than once among them.

    A 64-bit mix of the 18 bytes finds candidates with an integer hash table
    (strings would take seconds on ten million rows); candidates are then
    compared exactly, so a hash collision can never reject a row.
    """
    out = np.zeros(len(ids), dtype=bool)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return out
    arr = text_array(ids)
    sub = arr if len(idx) == len(arr) else pc.filter(arr, pa.array(ok))
    m = _fixed18(sub)
    words = np.ascontiguousarray(m[:, :16]).view("<u8")
    tail = (m[:, 16].astype(np.uint64) << np.uint64(8)) | m[:, 17].astype(np.uint64)
    with np.errstate(over="ignore"):
        h = (words[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (words[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)) ^ tail
    # Three rounds of bucket counting on different bits of the mix narrow ten million rows to the few
    # sharing buckets every time (no sort: a sort of 10M keys takes 1.5 s); the rest is exact.
    cand = np.arange(len(h))
    for shift in (0, 24, 40):
        if len(cand) < 2:
            break
        b = ((h[cand] >> np.uint64(shift)) & np.uint64((1 << 24) - 1)).astype(np.int64)
        cand = cand[np.bincount(b, minlength=1 << 24)[b] > 1]
    cand_mask = np.zeros(len(h), dtype=bool)
    cand_mask[cand] = True
    cand = cand_mask
    if cand.any():
        rows = idx[cand]
        exact = ids.iloc[rows].duplicated(keep=False).to_numpy()
        out[rows[exact]] = True
    return out


def _rename(frame: pd.DataFrame, aliases: dict, required, path) -> pd.DataFrame:
    mapping = {}
    for col in frame.columns:
        key = aliases.get(col, aliases.get(col.strip(), None))
        if key and key not in frame.columns:
            mapping[col] = key
    frame = frame.rename(columns=mapping)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: 缺少列 (missing column(s)) {', '.join(missing)}；可用中文表头 (Chinese headers "
                         "accepted): " + ", ".join(f"{k}→{v}" for k, v in aliases.items() if v in missing))
    return frame


def _text(col: pd.Series) -> pd.Series:
    """Trimmed text; Arrow-backed string columns are trimmed in place of a cast (seconds on 10M rows)."""
    if col.dtype != object and pd.api.types.is_string_dtype(col.dtype):
        return col.str.strip()
    return col.astype("string").str.strip()


@dataclass
class Registers:
    entities: pd.DataFrame          # used rows; columns typed for the expression language
    entity_schema: dict             # field → FieldType
    inspectors: pd.DataFrame
    inspector_schema: dict
    conflicts: set                  # {(inspector_id, entity_id)}
    rejected: Rejected
    counts: dict                    # per file: rows, used, rejected


def _schema(frame: pd.DataFrame) -> dict:
    out = {}
    for col in frame.columns:
        if col in (ROW, SOURCE):
            continue
        dt = frame[col].dtype
        if pd.api.types.is_bool_dtype(dt):
            out[col] = FieldType.BOOL
        elif pd.api.types.is_numeric_dtype(dt):
            out[col] = FieldType.NUMBER
        elif pd.api.types.is_datetime64_any_dtype(dt):
            out[col] = FieldType.DATE
        else:
            out[col] = FieldType.STRING
    return out


def load_entities(path, rejected: Rejected) -> tuple[pd.DataFrame, dict, int]:
    frame = _rename(read_table(path), ENTITY_ALIASES, ENTITY_REQUIRED, path)
    frame = frame.drop(columns=[SOURCE])   # one copy of the path per row: 450 MB on a 10M register
    total = len(frame)
    for col in frame.columns:  # numbers from Parquet become float64, as the expression language expects
        if col not in (ROW, SOURCE) and pd.api.types.is_numeric_dtype(frame[col].dtype) \
                and not pd.api.types.is_bool_dtype(frame[col].dtype):
            frame[col] = frame[col].astype("float64")
        elif col not in (ROW, SOURCE) and frame[col].dtype == object:
            frame[col] = _text(frame[col])   # other text columns are trimmed when a filter uses them
    frame["entity_id"] = _text(frame["entity_id"])
    frame["credit_class"] = _text(frame["credit_class"]).str.upper()
    reason = credit_code_problems(frame["entity_id"])
    bad_class = ~frame["credit_class"].isin(CREDIT_CLASSES).to_numpy(dtype=bool, na_value=False)
    reason = np.where((reason == "") & bad_class,
                      "信用风险分类应为 A/B/C/D 之一 (credit_class must be A, B, C or D)", reason)
    dup = _duplicated18(frame["entity_id"], reason == "")
    if dup.any():
        reason = np.where(dup, "统一社会信用代码重复，所有重复行均不采用 (duplicate entity_id: every copy rejected)",
                          reason)
    bad = reason != ""
    if bad.any():
        rejected.add("entities", path, frame.loc[bad, ROW], frame.loc[bad, "entity_id"], reason[bad])
        frame = frame.loc[~bad].reset_index(drop=True)
    frame["status"] = _text(frame["status"])
    return frame, _schema(frame), total


def _qual_list(col: pd.Series) -> pd.Series:
    """``a; b；c、d`` → ``;a;b;c;d;`` (the expression language's list form)."""
    def norm(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return ";"
        parts = [p.strip() for p in re.split(r"[;；、,，\s]+", str(v)) if p.strip()]
        return ";" + ";".join(parts) + ";" if parts else ";"
    return col.map(norm).astype("string")


def load_inspectors(path, rejected: Rejected) -> tuple[pd.DataFrame, dict, int]:
    frame = _rename(read_table(path), INSPECTOR_ALIASES, INSPECTOR_REQUIRED, path)
    total = len(frame)
    for col in frame.columns:
        if col not in (ROW, SOURCE, "active", "max_load") and frame[col].dtype == object:
            frame[col] = _text(frame[col])
    frame["inspector_id"] = _text(frame["inspector_id"])
    reason = np.full(total, "", dtype=object)
    reason[frame["inspector_id"].isna().to_numpy() | (frame["inspector_id"] == "").to_numpy(dtype=bool, na_value=True)] \
        = "执法证号为空 (inspector_id missing)"
    act = frame["active"].map(lambda v: str(v).strip().lower() if v is not None and not pd.isna(v) else "")
    is_true, is_false = act.isin(_TRUE).to_numpy(), act.isin(_FALSE).to_numpy()
    if frame["active"].dtype == bool:
        is_true, is_false = frame["active"].to_numpy(), ~frame["active"].to_numpy()
    reason = np.where((reason == "") & ~(is_true | is_false),
                      "在岗状态无法识别（应为 是/否、true/false） (active must be yes/no)", reason)
    ml = frame["max_load"]
    numeric = pd.api.types.is_numeric_dtype(ml.dtype) and not pd.api.types.is_bool_dtype(ml.dtype)
    load = ml.astype("float64") if numeric else pd.to_numeric(_text(ml), errors="coerce")   # any text dtype
    load = load.to_numpy(dtype="float64", na_value=np.nan)
    bad_load = ~np.isfinite(load) | (load < 0) | (load != np.floor(load)) | (load >= 2.0 ** 62)
    reason = np.where((reason == "") & bad_load,
                      "最大任务数应为非负整数 (max_load must be a whole number ≥ 0)", reason)
    dup = frame["inspector_id"].duplicated(keep=False).to_numpy() & (reason == "")
    reason = np.where(dup, "执法证号重复，所有重复行均不采用 (duplicate inspector_id: every copy rejected)", reason)
    bad = reason != ""
    frame["active"] = is_true
    frame["max_load"] = np.where(bad_load, 0, load).astype(np.int64)
    if bad.any():
        rejected.add("inspectors", path, frame.loc[bad, ROW], frame.loc[bad, "inspector_id"], reason[bad])
        frame = frame.loc[~bad].reset_index(drop=True)
    frame["qualifications"] = _qual_list(frame["qualifications"])
    schema = _schema(frame)
    schema["qualifications"] = FieldType.LIST
    schema["max_load"] = FieldType.NUMBER
    frame["max_load_num"] = frame["max_load"].astype("float64")
    return frame, schema, total


def load_conflicts(path, rejected: Rejected, entity_ids: pd.Series, inspector_ids: pd.Series) -> tuple[set, int]:
    frame = _rename(read_table(path), CONFLICT_ALIASES, CONFLICT_REQUIRED, path)
    total = len(frame)
    ins = _text(frame["inspector_id"]).fillna("")
    ent = _text(frame["entity_id"]).fillna("")
    reason = np.full(total, "", dtype=object)
    reason[(ins == "").to_numpy()] = "执法证号为空 (inspector_id missing)"
    reason[((ent == "") & (ins != "")).to_numpy()] = "统一社会信用代码为空 (entity_id missing)"
    known_i = ins.isin(set(inspector_ids.tolist())).to_numpy()
    present = entity_ids[entity_ids.isin(pd.unique(ent.to_numpy(dtype=object)))]   # small side hashed
    known_e = ent.isin(set(present.tolist())).to_numpy()
    reason = np.where((reason == "") & ~known_i,
                      "执法证号不在检查人员名录（或该行被拒） (inspector not in the register)", reason)
    reason = np.where((reason == "") & ~known_e,
                      "统一社会信用代码不在检查对象名录（或该行被拒） (entity not in the register)", reason)
    bad = reason != ""
    if bad.any():
        rejected.add("conflicts", path, frame.loc[bad, ROW], ins[bad] + " / " + ent[bad], reason[bad])
    pairs = set(zip(ins[~bad].tolist(), ent[~bad].tolist()))
    return pairs, total


def trim_fields(frame: pd.DataFrame, fields) -> None:
    """Trim the text columns a filter reads ('餐饮 ' must match '餐饮'); done only for those, as each costs
    a pass over the register."""
    for f in fields:
        if f in frame.columns and (frame[f].dtype == object or pd.api.types.is_string_dtype(frame[f].dtype)):
            frame[f] = _text(frame[f])


def load_registers(entities, inspectors, conflicts) -> Registers:
    rejected = Rejected()
    ent, ent_schema, ent_total = load_entities(entities, rejected)
    ins, ins_schema, ins_total = load_inspectors(inspectors, rejected)
    pairs, con_total = load_conflicts(conflicts, rejected, ent["entity_id"], ins["inspector_id"])
    counts = {}
    for key, path, total in (("entities", entities, ent_total), ("inspectors", inspectors, ins_total),
                             ("conflicts", conflicts, con_total)):
        r = rejected.count(key)
        counts[key] = {"rows": total, "used": total - r, "rejected": r}
    return Registers(ent, ent_schema, ins, ins_schema, pairs, rejected, counts)
