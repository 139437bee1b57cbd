"""The power list (权力清单): which department holds which power, on which legal basis, when.

目录之外无权力: with ``review --powers``, every penalty and approval must be
backed by a power of its own department in force on its date.  The list is
read like any record file (CSV/GBK, Excel, Parquet, JSON Lines) or from YAML
(``powers:`` followed by a list of mappings), validated column-wise, and bad
rows are reported with their row numbers and reasons, never dropped silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.records.frame import Rejections, canonical_headers, normalize
from engine.records.schema import Column, Schema
from engine.types import FieldType as T

POWER_TYPES = {
    "许可": ("行政许可", "licensing"), "处罚": ("行政处罚", "penalty"), "强制": ("行政强制", "coercion"),
    "征收": ("行政征收", "levy"), "给付": ("行政给付", "benefit"), "检查": ("行政检查", "inspection"),
    "确认": ("行政确认", "confirmation"), "奖励": ("行政奖励", "reward"), "裁决": ("行政裁决", "adjudication"),
    "其他": ("其他行政权力", "other"),
}

POWERS = Schema("power", "权力清单", (
    Column("power_code", "权力编码", T.STRING, required=True,
           headers=("权力事项编码", "事项编码", "权力代码", "power code")),
    Column("name", "权力名称", T.STRING, headers=("权力事项名称", "事项名称", "power name")),
    Column("type", "权力类型", T.STRING, codes=POWER_TYPES,
           headers=("权力类别", "权力种类", "power_type", "power type")),
    Column("department", "实施部门", T.STRING,
           headers=("实施主体", "实施机关", "部门", "执法部门", "dept")),
    Column("legal_basis", "设定依据", T.STRING,
           headers=("法律依据", "实施依据", "依据", "basis", "legal basis")),
    Column("valid_from", "有效期起", T.DATE, headers=("生效日期", "起始日期", "valid from")),
    Column("valid_to", "有效期止", T.DATE, headers=("失效日期", "截止日期", "valid to")),
    Column("violation_codes", "违法行为编码", T.LIST,
           headers=("涵盖的违法行为编码", "违法行为代码", "violation_code", "violation codes")),
), required=("power_code", "type", "department", "legal_basis"), date_order=(("valid_from", "valid_to"),),
    id_column="power_code")


@dataclass
class PowerList:
    frame: pd.DataFrame          # the usable rows, typed
    rejected: pd.DataFrame       # row, power_code, reason
    source: Path
    input_rows: int

    def licensing(self) -> pd.DataFrame:
        """Licensing powers keyed by their code (an approval's item_code)."""
        f = self.frame[self.frame["type"] == "许可"]
        return pd.DataFrame({"key": f["power_code"].to_numpy(dtype=object), "department": f["department"],
                             "valid_from": f["valid_from"], "valid_to": f["valid_to"]})

    def penalties(self) -> pd.DataFrame:
        """Penalty powers keyed by every violation code they cover."""
        f = self.frame[self.frame["type"] == "处罚"]
        codes = f["violation_codes"].astype(str).str.strip(";").str.split(";")
        out = pd.DataFrame({"key": codes, "department": f["department"], "valid_from": f["valid_from"],
                            "valid_to": f["valid_to"]}).explode("key")
        return out[out["key"].notna() & (out["key"] != "")]


def read_powers(path: Path) -> PowerList:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: 权力清单文件不存在 (power list file not found)")
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = _yaml_rows(path)
    else:
        from engine.io.readers import read_table
        raw = read_table(path)
    from engine.io.readers import ROW, SOURCE
    raw = raw.drop(columns=[SOURCE], errors="ignore")
    headers = [c for c in raw.columns if not (isinstance(c, str) and c.startswith("__"))]
    raw = canonical_headers(raw, POWERS)
    _require_columns(path, raw, POWERS.required, headers)
    records = normalize(raw, POWERS, check_duplicates=False)
    rej: Rejections = records.rejections
    frame = records.frame
    penalty = (frame["type"] == "处罚").to_numpy(dtype=bool, na_value=False)
    if penalty.any():
        _require_columns(path, raw, ("violation_codes",), headers, "处罚 (penalty) powers need it")
    no_codes = penalty & (frame["violation_codes"].astype(str) == "").to_numpy()
    rej.add(no_codes, "处罚类权力须列出其涵盖的违法行为编码 (a penalty power must list the violation codes it covers)")
    idx = sorted(rej.reasons)
    rows = frame[ROW].to_numpy()
    rejected = pd.DataFrame({"row": [int(rows[i]) for i in idx],
                             "power_code": [frame["power_code"].iat[i] for i in idx],
                             "reason": [rej.text(i) for i in idx]})
    return PowerList(frame[~rej.mask].reset_index(drop=True), rejected, path, len(frame))


def _require_columns(path: Path, frame: pd.DataFrame, names, headers: list, why: str = "") -> None:
    """A column missing from the whole file is the file's mistake, not every row's: without it no
    power would back any record and each would be reported as not listed."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError(f"{path}: " + missing_columns_message(POWERS, missing, headers, "权力清单", "power list",
                                                               why))


def missing_columns_message(schema: Schema, missing, found, what_zh: str, what_en: str, why: str = "") -> str:
    """Which columns a file lacks and every header each may be given under, Chinese first."""
    zh = "、".join(schema.names_zh[n] for n in missing)
    en = ", ".join(f"{n} ({schema.names_zh[n]})" for n in missing)
    accepted = "; ".join(f"{n}: " + ", ".join(dict.fromkeys((schema.names_zh[n], n, *schema.by_name[n].headers)))
                         for n in missing)
    return (f"{what_zh}缺少必需的列：{zh} (the {what_en} has no column for {en}"
            + (f"; {why}" if why else "") + f"). 可用的列名 accepted headers — {accepted}. "
            f"文件中的列 columns found: {', '.join(map(str, found)) or '(none)'}")


def _yaml_rows(path: Path) -> pd.DataFrame:
    from engine.ruleset.yamlload import ProblemError, load_yaml
    from engine.io.readers import ROW
    try:
        data = load_yaml(path)
    except ProblemError as e:
        raise InputError(str(e.problem)) from None
    items = data.get("powers") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(f"{path}: YAML 权力清单须为 'powers:' 加映射列表 "
                         "(a YAML power list is 'powers:' followed by a list of mappings)")
    lines = getattr(items, "item_lines", None) or list(range(1, len(items) + 1))
    rows = [{k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in i.items()} for i in items]
    frame = pd.DataFrame(rows).astype(object)
    frame[ROW] = np.asarray(lines[:len(items)], dtype=np.int64)
    return frame
