"""Database values as the cells the record layer reads from files.

Why a conversion at all: drivers hand back Decimal, memoryview, UUID, PostgreSQL arrays and JSON
objects; the record layer knows numbers, dates, text and ``JsonCell``.  Numbers stay numbers (an
integral DECIMAL is an int, so ``8000.00`` reads as the CSV's ``8000``), dates stay dates, NULL is
None (a blank: an unknown fact), arrays and JSON objects become ``JsonCell`` as in a JSON Lines file.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math

import numpy as np

from engine.io.readers import JsonCell

_KEPT = frozenset({str, int, bool, dt.date, dt.datetime, type(None)})


def column(values: list) -> np.ndarray:
    """One column of a batch as an object array.  The types present are found once (in C); only a
    column holding some other type (Decimal, arrays ...) is converted cell by cell."""
    types = set(map(type, values))
    out = np.empty(len(values), dtype=object)
    if types <= _KEPT:
        out[:] = values
        return out
    if types <= _KEPT | {float}:
        out[:] = values
        if float in types:
            nums = np.array([v if type(v) is float else 0.0 for v in values], dtype=float)
            out[~np.isfinite(nums)] = None
        return out
    return np.fromiter((cell(v) for v in values), dtype=object, count=len(values))


def cell(v):
    if v is None or isinstance(v, (str, bool, int, dt.date)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None            # NaN in a REAL column: no value
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return None
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (list, tuple, dict)):
        return JsonCell(_plain(v))
    if isinstance(v, dt.time):
        return v.isoformat()
    return str(v)                                         # UUID, interval, network address ...


def _plain(v):
    """A nested value with Decimals and dates made JSON-able (as a JSON Lines file would hold them)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return cell(v)
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return v
