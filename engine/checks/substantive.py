"""The decision against its provision: statutory range, tier, mandatory confiscation, sanctions.

Rows that are time-barred or have no provision in force are left to those
findings: a range check presumes the power to punish exists.
"""
from __future__ import annotations

import numpy as np

from engine import tiers as T
from engine.checks.common import (apl, benchmark_doc, branch_citation, cites, facts, num, provision_label,
                                  value, yuan)
from engine.checks.liability import penalized
from engine.findings import FindingBatch
from engine.records.schema import SANCTION_ZH, SANCTIONS
from engine.ruleset.models import Citation

TOL = 0.005  # amounts are compared to the fen


def _ranged(ev) -> np.ndarray:
    return ev.evaluated & (ev.branch_key >= 0) & ~ev.no_provision & ~getattr(ev, "time_barred", False)


def _range_text(ev, i) -> str:
    if np.isnan(ev.hi[i]):
        return "不得罚款"
    if not np.isnan(ev.base[i]):
        return (f"{ev.lo_m[i]:g}–{ev.hi_m[i]:g}倍 × {yuan(ev.base[i])} = "
                f"{yuan(ev.lo[i])}–{yuan(ev.hi[i])}")
    return f"{yuan(ev.lo[i])}–{yuan(ev.hi[i])}"


def _range_json(ev, i) -> dict:
    return {"statutory_min": num(ev.lo[i]), "statutory_max": num(ev.hi[i]),
            "lawful_fine_min": num(ev.lawful_min[i]), "lawful_fine_max": num(ev.lawful_max[i]),
            "tiers": T.tier_names(int(ev.tiers[i]))}


def _fact_names(ev, i, *more):
    entry = ev.branch(i)
    names = ["violation_code"]
    if entry:
        names += [f for f in entry[2].condition.fields if f not in names]
        fine = entry[2].model.fine
        if fine is not None and fine.base and fine.base not in names:
            names.append(fine.base)
    return names + [m for m in more if m not in names]


def should_not_punish(ev):
    hit = ev.evaluated & (ev.tiers == T.NONE) & penalized(ev) & ~getattr(ev, "time_barred", False)
    rows = np.flatnonzero(hit)
    articles = {"age_under_14": apl(30), "mental_illness": apl(31), "minor_corrected_no_harm": apl(33, 1),
                "no_fault": apl(33, 2)}

    def explain(k):
        i = rows[k]
        present = [f for f in articles if f";{f};" in (ev.column("factors")[i] or "")]
        return (facts(ev, i, "factors", "harm", "fine", "sanctions"),
                {"tiers": ["不予处罚"], "fine": 0, "sanctions": []},
                {"fine": float(ev.fine[i]), "sanctions": value(ev, "sanctions", i)},
                f"存在依法不予处罚的情节（{'、'.join(present)}），却给予了处罚（罚款{yuan(ev.fine[i])}）",
                f"a shall-not-punish factor ({', '.join(present)}) applies, yet a penalty was imposed",
                cites(*[articles[p] for p in present]))
    yield FindingBatch("penalty.should_not_punish", rows, explain)


def fine_range(ev):
    """Above the maximum, below the minimum without ground, or outside the tier the facts allow."""
    ok = _ranged(ev) & (ev.tiers != T.NONE)
    fine, lo, hi = ev.fine, ev.lo, ev.hi
    no_fine_lawful = np.isnan(hi)
    above = ok & (fine > np.nan_to_num(hi, nan=0.0) + TOL)
    warning_alt = np.zeros(ev.n, dtype=bool)
    for k, (cp, v, b) in enumerate(ev.table.entries):
        if b.model.fine is not None and b.model.fine.alternative == "warning":
            warning_alt |= ev.branch_key == k
    warned = ev.has_code("sanctions", "warning")
    zero_ok = (fine <= TOL) & ((ev.tiers & T.NONE) > 0)      # 首违不罚 chosen
    zero_ok |= (fine <= TOL) & warning_alt & warned           # 警告 instead of a fine
    mitigable = (ev.tiers & T.MITIGATED) > 0
    below = ok & ~no_fine_lawful & (fine < lo - TOL) & ~mitigable & ~zero_ok
    inside = ok & ~no_fine_lawful & ~above & ~below & ~zero_ok
    outside = inside & ~T.in_allowed_tier(fine, ev.tiers, ev.bounds, TOL)

    rows = np.flatnonzero(above)

    def explain_above(k):
        i = rows[k]
        return (facts(ev, i, *_fact_names(ev, i, "fine")), _range_json(ev, i), {"fine": float(fine[i])},
                f"罚款{yuan(fine[i])}超过{provision_label(ev, i)}的法定幅度（{_range_text(ev, i)}）",
                f"fine {fine[i]:,.2f} yuan exceeds the statutory range of {ev.provision[i]} "
                f"({'no fine lawful' if np.isnan(hi[i]) else f'{lo[i]:,.2f}–{hi[i]:,.2f} yuan'})",
                cites(branch_citation(ev, i)))
    yield FindingBatch("penalty.above_statutory_max", rows, explain_above)

    rows_b = np.flatnonzero(below)

    def explain_below(k):
        i = rows_b[k]
        return (facts(ev, i, *_fact_names(ev, i, "fine", "factors")), _range_json(ev, i), {"fine": float(fine[i])},
                f"罚款{yuan(fine[i])}低于{provision_label(ev, i)}的法定最低额（{_range_text(ev, i)}），"
                "且无依法从轻或者减轻处罚的情节",
                f"fine {fine[i]:,.2f} yuan is below the statutory minimum {lo[i]:,.2f} yuan of {ev.provision[i]} "
                "with no mitigating ground (Arts. 30–32)",
                cites(branch_citation(ev, i), apl(32)))
    yield FindingBatch("penalty.below_statutory_min", rows_b, explain_below)

    rows_o = np.flatnonzero(outside)
    category = np.where(fine[rows_o] > ev.lawful_max[rows_o] + TOL, "overreach", "leniency")

    def explain_outside(k):
        i = rows_o[k]
        names = T.tier_names(int(ev.tiers[i]))
        doc = benchmark_doc(ev, i)
        return (facts(ev, i, *_fact_names(ev, i, "fine", "factors", "harm")), _range_json(ev, i),
                {"fine": float(fine[i])},
                f"罚款{yuan(fine[i])}在法定幅度内，但不在情节所对应的裁量阶次（{'、'.join(names)}："
                f"{yuan(ev.lawful_min[i])}–{yuan(ev.lawful_max[i])}）内",
                f"fine {fine[i]:,.2f} yuan is within the statutory range but outside the tier(s) the facts allow "
                f"({', '.join(T.TIER_EN[n] for n in names)}: {ev.lawful_min[i]:,.2f}–{ev.lawful_max[i]:,.2f} yuan)",
                cites(branch_citation(ev, i), Citation(law="中华人民共和国行政处罚法", article=34, document=doc)))
    yield FindingBatch("penalty.outside_tier", rows_o, explain_outside, category=category)


def gain_not_confiscated(ev):
    mandatory = np.zeros(ev.n, dtype=bool)
    for k, (cp, v, b) in enumerate(ev.table.entries):
        if v.model.confiscate_gain == "mandatory":
            mandatory |= ev.branch_key == k
    gain = np.nan_to_num(ev.column("illegal_gain").astype(float))
    taken = np.nan_to_num(ev.column("confiscated_gain").astype(float))
    hit = _ranged(ev) & mandatory & (gain > TOL) & (taken < gain - TOL) & (ev.tiers != T.NONE)
    rows = np.flatnonzero(hit)

    def explain(k):
        i = rows[k]
        return (facts(ev, i, "illegal_gain", "confiscated_gain"), {"confiscated_gain": float(gain[i])},
                {"confiscated_gain": float(taken[i])},
                f"违法所得{yuan(gain[i])}应当没收，实际没收{yuan(taken[i])}",
                f"illegal gain of {gain[i]:,.2f} yuan must be confiscated; {taken[i]:,.2f} yuan was",
                cites(branch_citation(ev, i), apl(28, 2)))
    yield FindingBatch("penalty.gain_not_confiscated", rows, explain)


def sanctions(ev):
    """Each sanction decided must be one the branch provides (under its condition); mandatory ones must be there."""
    ok = _ranged(ev) & (ev.tiers != T.NONE)
    frame = ev.frame
    not_permitted = {s: np.zeros(ev.n, dtype=bool) for s in SANCTIONS}
    missing = {s: np.zeros(ev.n, dtype=bool) for s in SANCTIONS}
    decided = {s: ev.has_code("sanctions", s) for s in SANCTIONS}
    light_only = (ev.tiers & (T.MITIGATED | T.NONE)) == 0
    for k, (cp, v, b) in enumerate(ev.table.entries):
        m = ok & (ev.branch_key == k)
        if not m.any():
            continue
        idx = np.flatnonzero(m)
        sub = frame.iloc[idx]
        for s in SANCTIONS:
            spec = b.sanctions.get(s)
            if spec is None:
                allowed = np.zeros(len(idx), dtype=bool)
                required = allowed
            else:
                mode, cond = spec
                applies = cond.evaluate(sub) if cond is not None else np.ones(len(idx), dtype=bool)
                allowed = applies
                required = applies if mode == "mandatory" else np.zeros(len(idx), dtype=bool)
            not_permitted[s][idx] = decided[s][idx] & ~allowed
            missing[s][idx] = ~decided[s][idx] & required & light_only[idx]
    bad = np.zeros(ev.n, dtype=bool)
    for s in SANCTIONS:
        bad |= not_permitted[s]
    rows = np.flatnonzero(bad)

    def lawful(i):
        entry = ev.branch(i)
        out = []
        for s, (mode, cond) in entry[2].sanctions.items():
            out.append({"sanction": s, "mode": mode, "when": cond.source if cond else None})
        return out

    def explain(k):
        i = rows[k]
        wrong = [s for s in SANCTIONS if not_permitted[s][i]]
        names = "、".join(SANCTION_ZH[s] for s in wrong)
        return (facts(ev, i, *_fact_names(ev, i, "sanctions", "serious")), {"lawful_sanctions": lawful(i)},
                {"sanctions_not_permitted": wrong},
                f"{provision_label(ev, i)}对本案事实未规定“{names}”这一处罚种类",
                f"{ev.provision[i]} does not provide {', '.join(wrong)} for these facts",
                cites(branch_citation(ev, i), apl(38, 1)))
    yield FindingBatch("penalty.sanction_not_permitted", rows, explain)

    miss_any = np.zeros(ev.n, dtype=bool)
    for s in SANCTIONS:
        miss_any |= missing[s]
    rows_m = np.flatnonzero(miss_any)

    def explain_missing(k):
        i = rows_m[k]
        absent = [s for s in SANCTIONS if missing[s][i]]
        names = "、".join(SANCTION_ZH[s] for s in absent)
        return (facts(ev, i, *_fact_names(ev, i, "sanctions", "factors")), {"mandatory_sanctions": absent},
                {"sanctions": value(ev, "sanctions", i)},
                f"{provision_label(ev, i)}规定应当并处“{names}”，决定中没有，且不属于减轻处罚",
                f"{ev.provision[i]} requires {', '.join(absent)}; the decision lacks it and no mitigation applies",
                cites(branch_citation(ev, i)))
    yield FindingBatch("penalty.mandatory_sanction_missing", rows_m, explain_missing)


CHECKS = (should_not_punish, fine_range, gain_not_confiscated, sanctions)
