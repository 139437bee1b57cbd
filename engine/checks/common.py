"""Helpers every check uses to explain itself: citations, yuan formatting (grouping rows by
statutory branch is the penalties' own: engine.penalty.branches)."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.ruleset.models import Citation

APL = "中华人民共和国行政处罚法"


@functools.lru_cache(maxsize=None)
def apl(article: int, paragraph: int | None = None, item: int | None = None) -> Citation:
    return Citation(law=APL, article=article, paragraph=paragraph, item=item)


@functools.lru_cache(maxsize=None)
def citation(law: str, article: int, document: str | None = None) -> Citation:
    return Citation(law=law, article=article, document=document)


def cites(*cs) -> list[dict]:
    """JSON citations in order, without repeats or gaps."""
    out, seen = [], set()
    for c in cs:
        if c is not None and c not in seen:
            seen.add(c)
            out.append(c.as_json())
    return out


@functools.lru_cache(maxsize=65536)
def yuan(x) -> str:
    """An amount as Chinese readers write it: 75,000元, 9,999.99元; memoized, amounts repeat."""
    if x is None or x != x:
        return "—"
    return f"{x:,.2f}".rstrip("0").rstrip(".") + "元"


def money(x: float) -> str:
    """An amount as English messages write it: 75,000.00."""
    return f"{x:,.2f}"


def per_value(values, fmt) -> pa.Array:
    """``fmt(v)`` for every value as Arrow text, formatted once per distinct value (amounts, tiers and
    multipliers repeat across a batch) and spread by index."""
    codes, uniques = pd.factorize(np.asarray(values), use_na_sentinel=False)
    return pa.array([fmt(v) for v in np.asarray(uniques).tolist()], type=pa.string()).take(pa.array(codes))


def sentence(*parts) -> pa.Array:
    """Fixed text and per-finding Arrow texts joined finding by finding (a message per finding)."""
    return pc.binary_join_element_wise(*(pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts),
                                       pa.scalar("", pa.string()))


def yuans(values) -> list[str]:
    """``yuan`` over an array (one string per value)."""
    return list(map(yuan, np.asarray(values, dtype=float).tolist()))


def iso(dates) -> np.ndarray:
    """ISO text per date (None for NaT), as a per-finding object array."""
    d = np.asarray(dates, dtype="datetime64[D]")
    text = np.datetime_as_string(d, unit="D").astype(object)
    text[np.isnat(d)] = None
    return text
