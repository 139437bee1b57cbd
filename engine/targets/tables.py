"""Reading the related-record files (complaints, inspection results, annual reports): headers in
Chinese or English, dates and yes/no cells checked column-wise, each bad row rejected with its row
number and every reason (Chinese first), never the file as a whole unless a required column is absent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InputError
from engine.io.arrowcols import text_array
from engine.io.readers import ROW, SOURCE, read_table

TRUE_WORDS = {"true", "1", "yes", "y", "t", "是", "属实", "已核实", "核实属实", "有"}
FALSE_WORDS = {"false", "0", "no", "n", "f", "否", "不属实", "未核实", "无"}


def positions(values, register) -> np.ndarray:
    """Per value, the position of the equal value in ``register`` (whose values are distinct), -1 where
    none (a null value: none).

    Why this way round: hashing the register is the costly side (ten million ids, rebuilt on every
    call: about 5 s and a few hundred MB each time, and a run used to do it six times); the records
    name at most a few million distinct ids, so those are hashed and the register only probed once."""
    vals = text_array(values, large=True)
    reg = text_array(register, large=True)
    out = np.full(len(vals), -1, dtype=np.int64)
    if not len(vals) or not len(reg):
        return out
    enc = pc.dictionary_encode(vals)
    uniq = enc.dictionary
    at = pc.index_in(reg, value_set=uniq)        # per register row: which distinct value it is
    where = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    rows = np.flatnonzero(where >= 0)
    pos_of = np.full(len(uniq), -1, dtype=np.int64)
    pos_of[where[rows]] = rows
    codes = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    ok = codes >= 0
    out[ok] = pos_of[codes[ok]]
    return out


def text(col: pd.Series) -> pd.Series:
    return col.astype("string").str.strip()


def rename(frame: pd.DataFrame, aliases: dict, required: tuple, path, what_zh: str) -> pd.DataFrame:
    """Canonical column names; a missing required column refuses the file, naming the headers accepted."""
    mapping = {}
    for col in frame.columns:
        key = aliases.get(str(col).strip())
        if key and key not in frame.columns and key not in mapping.values():
            mapping[col] = key
    frame = frame.rename(columns=mapping)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        heads = "; ".join(f"{c}: " + "、".join([c] + [k for k, v in aliases.items() if v == c and k != c])
                          for c in missing)
        raise InputError(f"{path}: {what_zh}缺少列 (missing column) {', '.join(missing)}；可用表头 "
                         f"(accepted headers) {heads}")
    return frame


def dates(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] with NaT for blank, mask of cells that are not blank and not a date)."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.to_numpy(dtype="datetime64[D]"), np.zeros(len(col), bool)
    t = text(col).fillna("")
    t = t.str.replace(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", r"\1-\2-\3", regex=True)
    t = t.str.replace("/", "-", regex=False).str.replace(".", "-", regex=False)
    parsed = pd.to_datetime(t.where(t != ""), format="%Y-%m-%d", errors="coerce")
    d = parsed.to_numpy(dtype="datetime64[D]")
    return d, (t != "").to_numpy(dtype=bool) & np.isnat(d)


def booleans(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, known, bad): a blank cell is an unknown fact (known false), not a no."""
    t = text(col).fillna("").str.lower()
    yes = t.isin(TRUE_WORDS).to_numpy(dtype=bool)
    no = t.isin(FALSE_WORDS - {""}).to_numpy(dtype=bool)
    blank = (t == "").to_numpy(dtype=bool)
    return yes, yes | no, ~(yes | no | blank)


class Reasons:
    """Per row, every reason it is refused (joined with ；)."""

    def __init__(self, n: int):
        self.parts = [np.full(n, "", dtype=object)]

    def add(self, mask: np.ndarray, reason: str) -> None:
        if mask.any():
            col = np.full(len(mask), "", dtype=object)
            col[mask] = reason
            self.parts.append(col)

    def joined(self) -> np.ndarray:
        out = np.full(len(self.parts[0]), "", dtype=object)
        for p in self.parts[1:]:
            has = p != ""
            out[has] = np.where(out[has] == "", p[has], out[has] + "；" + p[has])
        return out


def read(path: Path, aliases: dict, required: tuple, what_zh: str) -> pd.DataFrame:
    frame = read_table(path)
    frame = frame.drop(columns=[SOURCE], errors="ignore")
    frame = rename(frame, aliases, required, path, what_zh)
    frame["entity_id"] = text(frame["entity_id"])
    return frame


__all__ = ["ROW", "read", "dates", "booleans", "text", "Reasons", "rename"]
