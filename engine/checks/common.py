"""What every check needs to explain itself: record values as JSON, yuan formatting, citations."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.records.schema import BY_NAME
from engine.ruleset.models import Citation
from engine.types import FieldType

APL = "中华人民共和国行政处罚法"


def apl(article: int, paragraph: int | None = None, item: int | None = None) -> Citation:
    return Citation(law=APL, article=article, paragraph=paragraph, item=item)


def value(ev, name: str, i: int):
    """One record value in JSON form (dates as ISO text, lists as lists, missing as None)."""
    v = ev.column(name)[i]
    col = BY_NAME.get(name)
    if col is not None and col.type == FieldType.LIST:
        return [x for x in (v or "").split(";") if x] if isinstance(v, str) else []
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else str(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def facts(ev, i: int, *names: str) -> dict:
    return {n: value(ev, n, i) for n in names}


def yuan(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = float(x)
    return f"{x:,.2f}".rstrip("0").rstrip(".") + "元"


def num(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def cites(*cs) -> list[dict]:
    out, seen = [], set()
    for c in cs:
        if c is None:
            continue
        key = (c.law, c.article, c.paragraph, c.item, c.version)
        if key not in seen:
            seen.add(key)
            out.append(c.as_json())
    return out


def branch_citation(ev, i):
    entry = ev.branch(i)
    return entry[2].citation if entry else None


def benchmark_doc(ev, i):
    entry = ev.branch(i)
    if not entry:
        return None
    return entry[0].model.benchmark


def provision_label(ev, i) -> str:
    entry = ev.branch(i)
    if not entry:
        return str(ev.provision[i])
    cp, v, b = entry
    return f"{cp.id} ({b.citation.short()}, {v.valid_from.isoformat()}起)"
