"""Personal identity numbers in anything published are masked (个人信息保护法 Arts. 28, 51: an identity
number is sensitive personal information, processed only as far as needed; the 经营异常名录 needs the
enterprise, not its owner's number).

A number is masked only when it is one: 18 characters, a valid birth date, and the GB 11643-1999
check character (ISO 7064 MOD 11-2); so a unified social credit code or an order number is left alone.
The region (first 6) and last 4 characters stay, the 8 birth-date digits become ``*`` — how much to keep
is practice (e.g. the 公安 and bank convention), not statute: tag C.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def is_id_number(text: str) -> bool:
    if len(text) != 18 or not text[:17].isdigit():
        return False
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return _CHECK[sum(int(c) * w for c, w in zip(text[:17], _W)) % 11] == text[17].upper()


def mask_text(value):
    if not isinstance(value, str):
        return value

    def sub(m):
        whole = m.group(0)
        return m.group(1) + "********" + whole[14:] if is_id_number(whole) else whole
    return _ID.sub(sub, value)


def mask_frame(frame: pd.DataFrame, keep: tuple = ()) -> pd.DataFrame:
    """Every text cell outside ``keep`` with identity numbers masked (only cells holding 18 digits are
    looked at one by one).  The entity id too: a sole trader registered under a citizen identity number
    would otherwise be published in full (个人信息保护法 Art. 28); a credit code is no identity number and
    stays as it is."""
    out = frame.copy()
    for c in out.columns:
        if c in keep or not (out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype)):
            continue
        col = out[c].astype(object)
        hit = col.astype("string").str.contains(r"\d{17}[\dXx]", regex=True).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            col = col.copy()
            col[hit] = [mask_text(v) for v in col[hit]]
            out[c] = col
    return out
