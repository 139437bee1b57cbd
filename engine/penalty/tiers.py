"""Discretion tiers (裁量阶次): which tiers the facts allow and what fine each tier spans.

Selection (行政处罚法 2021, Arts. 30–33 and 49): a shall-not-punish factor
leaves only 不予处罚; first offence + prompt correction + harm none/minor
(首违不罚, Art. 33 ¶1) adds 不予处罚 as an option; mitigating factors alone give
从轻 or 减轻; aggravating factors alone give 从重; both or neither give 一般.

Ranges for a statutory range [L, U] with split fractions a, b (default 0.3 and
0.7, a parameter with its source): 从轻 [L, L+a(U−L)], 一般 [L+a(U−L), L+b(U−L)],
从重 [L+b(U−L), U], 减轻 [0, L), 不予 = no fine.  A benchmark may set explicit
tier ranges per branch instead (in the branch's unit: yuan or multiples).
"""
from __future__ import annotations

import numpy as np

from engine.records.schema import AGGRAVATING, MAY_MITIGATE, SHALL_MITIGATE, SHALL_NOT_PUNISH

NONE, MITIGATED, LIGHT, ORDINARY, HEAVY = 1, 2, 4, 8, 16
TIER_BITS = {"不予处罚": NONE, "减轻处罚": MITIGATED, "从轻处罚": LIGHT, "一般处罚": ORDINARY, "从重处罚": HEAVY}
TIER_EN = {"不予处罚": "no penalty", "减轻处罚": "mitigated", "从轻处罚": "lighter", "一般处罚": "ordinary",
           "从重处罚": "heavier"}


def factor_flags(ev) -> dict[str, np.ndarray]:
    def any_of(codes):
        out = np.zeros(ev.n, dtype=bool)
        for c in codes:
            out |= ev.has_code("factors", c)
        return out
    minor_harm = ev.frame["harm"].isin(["none", "minor"]).to_numpy(dtype=bool, na_value=False)
    # 配合调查、如实陈述 is no ground of Art. 32 by itself; a benchmark may make it one (Art. 32 (五))
    cooperation = ["cooperated"] if str(ev.ruleset.value("cooperated_effect")) == "mitigating" else []
    return {
        "shall_not": any_of(SHALL_NOT_PUNISH),
        "may_not": any_of(["first_offense"]) & any_of(["corrected_promptly"]) & minor_harm,
        "mitigating": any_of(SHALL_MITIGATE + MAY_MITIGATE + tuple(cooperation)),
        "aggravating": any_of(AGGRAVATING),
    }


def allowed_tiers(flags: dict[str, np.ndarray]) -> np.ndarray:
    mit, agg = flags["mitigating"], flags["aggravating"]
    tiers = np.where(mit & ~agg, LIGHT | MITIGATED, np.where(agg & ~mit, HEAVY, ORDINARY))
    tiers = np.where(flags["may_not"], tiers | NONE, tiers)
    return np.where(flags["shall_not"], NONE, tiers).astype(np.int64)


def tier_names(bits: int) -> list[str]:
    return [name for name, bit in TIER_BITS.items() if bits & bit]


def tier_bounds(lo, hi, light_upto, heavy_from):
    """Per tier (lo, hi) arrays in yuan; the split fractions may differ per row (per provision)."""
    span = hi - lo
    out = {
        "减轻处罚": (np.zeros_like(lo), lo),
        "从轻处罚": (lo, lo + light_upto * span),
        "一般处罚": (lo + light_upto * span, lo + heavy_from * span),
        "从重处罚": (lo + heavy_from * span, hi),
    }
    return {k: (np.round(a, 2), np.round(b, 2)) for k, (a, b) in out.items()}


def lawful_range(tiers: np.ndarray, bounds: dict) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest fine over the punishing tiers allowed (NaN where none is)."""
    n = len(tiers)
    mn, mx = np.full(n, np.inf), np.full(n, -np.inf)
    for name, (a, b) in bounds.items():
        on = (tiers & TIER_BITS[name]) > 0
        mn = np.where(on, np.fmin(mn, a), mn)
        mx = np.where(on, np.fmax(mx, b), mx)
    mn[~np.isfinite(mn)] = np.nan
    mx[~np.isfinite(mx)] = np.nan
    return mn, mx


def in_allowed_tier(fine: np.ndarray, tiers: np.ndarray, bounds: dict, tol: float = 0.005) -> np.ndarray:
    ok = np.zeros(len(fine), dtype=bool)
    for name, (a, b) in bounds.items():
        on = (tiers & TIER_BITS[name]) > 0
        if name == "减轻处罚":
            ok |= on & (fine >= 0) & (fine < b - tol)
        else:
            ok |= on & (fine >= a - tol) & (fine <= b + tol)
    return ok
