"""The decision against its provision: statutory range, tier, mandatory confiscation, sanctions.

Rows that are time-barred or have no provision in force are left to those
findings: a range check presumes the power to punish exists.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import APL, apl, citation, cites, money, per_value, sentence, yuan, yuans
from engine.findings import FindingBatch, objects
from engine.penalty import tiers as T
from engine.penalty.branches import branch_fields, by_branch, groups, label, narrow
from engine.penalty.checks.liability import penalized
from engine.records.schema import SANCTION_ZH, SANCTIONS

TOL = 0.005  # amounts are compared to the fen


def _exempt(ev) -> np.ndarray:
    return ev.exempt if getattr(ev, "exempt", None) is not None else np.zeros(ev.n, dtype=bool)


def _waived(ev) -> np.ndarray:
    """Exempt rows where the decision chose to waive: no fine (免予处罚)."""
    return _exempt(ev) & (ev.fine <= TOL)


def _ranged(ev) -> np.ndarray:
    return (ev.evaluated & (ev.branch_key >= 0) & ~ev.no_provision & ~getattr(ev, "time_barred", False)
            & ~ev.wrong_subject)


def _tier_names(ev, rows) -> np.ndarray:
    table = np.empty(32, dtype=object)
    for b in range(32):
        table[b] = T.tier_names(b)
    return table[ev.tiers[rows]]


def _range(ev, rows) -> dict:
    """The lawful range as per-finding arrays (the ``expected`` of the range findings)."""
    return {"statutory_min": ev.lo[rows], "statutory_max": ev.hi[rows],
            "lawful_fine_min": ev.lawful_min[rows], "lawful_fine_max": ev.lawful_max[rows],
            "tiers": _tier_names(ev, rows)}


def _range_text(ev, entry, rows):
    """The statutory range of each finding's branch as text (Arrow), e.g. ``10–20倍 × 8,000元 = 80,000元–160,000元``."""
    import pyarrow as pa
    if entry[2].model.fine is None:
        return pa.array(["不得罚款"] * len(rows), type=pa.string())
    lo, hi = per_value(ev.lo[rows], yuan), per_value(ev.hi[rows], yuan)
    if entry[2].model.fine.is_multiple:
        return sentence(per_value(ev.lo_m[rows], "{:g}".format), "–", per_value(ev.hi_m[rows], "{:g}".format),
                        "倍 × ", per_value(ev.base[rows], yuan), " = ", lo, "–", hi)
    return sentence(lo, "–", hi)


def should_not_punish(ev):
    hit = ev.evaluated & (ev.tiers == T.NONE) & penalized(ev) & ~getattr(ev, "time_barred", False)
    articles = {"age_under_14": apl(30), "mental_illness": apl(31), "minor_corrected_no_harm": apl(33, 1),
                "no_fault": apl(33, 2)}
    for factor, article in articles.items():   # one batch per ground, so each cites its own article
        rows = np.flatnonzero(hit & ev.has_code("factors", factor))
        hit[rows] = False
        if not len(rows):
            continue
        fines = yuans(ev.fine[rows])
        yield FindingBatch(
            "penalty.should_not_punish", rows, facts=("factors", "harm", "fine", "sanctions"),
            expected={"tiers": ["不予处罚"], "fine": 0, "sanctions": []},
            actual={"fine": ev.fine[rows]},
            message_zh=[f"存在依法不予处罚的情节（{factor}），却给予了处罚（罚款{y}）" for y in fines],
            message_en=[f"a shall-not-punish factor ({factor}) applies, yet a penalty was imposed"] * len(rows),
            citations=cites(article))


def fine_range(ev):
    """Above the maximum, below the minimum without ground, or outside the tier the facts allow."""
    ok = _ranged(ev) & (ev.tiers != T.NONE)
    fine, lo, hi = ev.fine, ev.lo, ev.hi
    no_fine_lawful = np.isnan(hi)
    above = ok & (fine > np.nan_to_num(hi, nan=0.0) + TOL)
    fines = [(k, b.model.fine) for k, (cp, v, b) in enumerate(ev.table.entries) if b.model.fine is not None]
    warning_alt = ev.of_branches([k for k, f in fines if f.alternative == "warning"])
    optional = ev.of_branches([k for k, f in fines if f.optional])
    warned = ev.has_code("sanctions", "warning")
    zero_ok = (fine <= TOL) & ((ev.tiers & T.NONE) > 0)      # 首违不罚 chosen
    zero_ok |= (fine <= TOL) & warning_alt & warned           # 警告 instead of a fine
    zero_ok |= (fine <= TOL) & _exempt(ev)                    # the provision's own 免予处罚 chosen
    zero_ok |= (fine <= TOL) & optional                       # 可以并处罚款: no fine is lawful too
    mitigable = (ev.tiers & T.MITIGATED) > 0
    below = ok & ~no_fine_lawful & (fine < lo - TOL) & ~mitigable & ~zero_ok
    inside = ok & ~no_fine_lawful & ~above & ~below & ~zero_ok
    outside = inside & ~T.in_allowed_tier(fine, ev.tiers, ev.bounds, TOL)

    # Messages are built only when the findings are written (in parallel with the cases report):
    # each ``texts`` function binds its batch through default arguments.
    for entry, rows in by_branch(ev, np.flatnonzero(above)):
        def texts(entry=entry, rows=rows):
            f = per_value(fine[rows], yuan)
            range_en = (" (no fine lawful on these facts)" if entry[2].model.fine is None else
                        sentence(" (", per_value(lo[rows], money), "–", per_value(hi[rows], money), " yuan)"))
            return (sentence("罚款", f, f"超过{label(entry)}的法定幅度（", _range_text(ev, entry, rows), "）"),
                    sentence("fine ", per_value(fine[rows], money), f" yuan exceeds the statutory range of {entry[0].id}",
                             range_en))
        yield FindingBatch(
            "penalty.above_statutory_max", rows, facts=branch_fields(entry, "fine"),
            expected=_range(ev, rows), actual={"fine": fine[rows]}, texts=texts,
            citations=cites(*entry[2].citations))

    for entry, rows in by_branch(ev, np.flatnonzero(below)):
        def texts(entry=entry, rows=rows):
            return (sentence("罚款", per_value(fine[rows], yuan), f"低于{label(entry)}的法定最低额（",
                             _range_text(ev, entry, rows), "），且无依法从轻或者减轻处罚的情节"),
                    sentence("fine ", per_value(fine[rows], money), " yuan is below the statutory minimum ",
                             per_value(lo[rows], money), f" yuan of {entry[0].id} with no mitigating ground (Arts. 30–32)"))
        yield FindingBatch(
            "penalty.below_statutory_min", rows, facts=branch_fields(entry, "fine", "factors"),
            expected=_range(ev, rows), actual={"fine": fine[rows]}, texts=texts,
            citations=cites(*entry[2].citations, apl(32)))

    for entry, rows in by_branch(ev, np.flatnonzero(outside)):
        def texts(rows=rows):
            bits = ev.tiers[rows]
            return (sentence("罚款", per_value(fine[rows], yuan), "在法定幅度内，但不在情节所对应的裁量阶次（",
                             per_value(bits, lambda b: "、".join(T.tier_names(b))), "：",
                             per_value(ev.lawful_min[rows], yuan), "–", per_value(ev.lawful_max[rows], yuan), "）内"),
                    sentence("fine ", per_value(fine[rows], money),
                             " yuan is within the statutory range but outside the tier(s) the facts allow (",
                             per_value(bits, lambda b: ", ".join(T.TIER_EN[t] for t in T.tier_names(b))), ": ",
                             per_value(ev.lawful_min[rows], money), "–", per_value(ev.lawful_max[rows], money),
                             " yuan)"))
        yield FindingBatch(
            "penalty.outside_tier", rows, facts=branch_fields(entry, "fine", "factors", "harm"),
            expected=_range(ev, rows), actual={"fine": fine[rows]}, texts=texts,
            citations=cites(*entry[2].citations, citation(APL, 34, entry[0].model.benchmark)),
            category=np.where(fine[rows] > ev.lawful_max[rows] + TOL, "overreach", "leniency"))


def gain_not_confiscated(ev):
    mandatory = ev.of_branches([k for k, (cp, v, b) in enumerate(ev.table.entries)
                                if v.model.confiscate_gain == "mandatory"])
    gain = np.nan_to_num(ev.column("illegal_gain").astype(float))
    taken = np.nan_to_num(ev.column("confiscated_gain").astype(float))
    hit = _ranged(ev) & mandatory & (gain > TOL) & (taken < gain - TOL) & (ev.tiers != T.NONE) & ~_waived(ev)
    for entry, rows in by_branch(ev, np.flatnonzero(hit)):
        g, t = yuans(gain[rows]), yuans(taken[rows])
        yield FindingBatch(
            "penalty.gain_not_confiscated", rows, facts=("illegal_gain", "confiscated_gain"),
            expected={"confiscated_gain": gain[rows]}, actual={"confiscated_gain": taken[rows]},
            message_zh=[f"违法所得{a}应当没收，实际没收{b}" for a, b in zip(g, t)],
            message_en=[f"illegal gain of {a:,.2f} yuan must be confiscated; {b:,.2f} yuan was"
                        for a, b in zip(gain[rows].tolist(), taken[rows].tolist())],
            citations=cites(*entry[2].citations, apl(28, 2)))


def sanctions(ev):
    """Each sanction decided must be one the branch provides (under its condition); mandatory ones must be there."""
    ok = _ranged(ev) & (ev.tiers != T.NONE)
    not_permitted = {s: np.zeros(ev.n, dtype=bool) for s in SANCTIONS}
    missing = {s: np.zeros(ev.n, dtype=bool) for s in SANCTIONS}
    decided = {s: ev.has_code("sanctions", s) for s in SANCTIONS}
    light_only = (ev.tiers & (T.MITIGATED | T.NONE)) == 0
    waived = _waived(ev)
    decided_bits = np.zeros(ev.n, dtype=np.int32)     # one gather per branch, not one per sanction kind
    for i, s in enumerate(SANCTIONS):
        decided_bits |= decided[s].astype(np.int32) << i
    for k, idx in groups(ev.branch_key, np.flatnonzero(ok)):
        cp, v, b = ev.table.entries[k]
        # only the sanctions the branch names or a row decided can give a finding
        bits = int(np.bitwise_or.reduce(decided_bits[idx]))
        relevant = [s for i, s in enumerate(SANCTIONS) if s in b.sanctions or (bits >> i) & 1]
        if not relevant:
            continue
        sub = narrow(ev.frame, cp.fields_read, idx) if any(
            b.sanctions[s][1] is not None for s in relevant if s in b.sanctions) else None
        first_of = {}                              # a one_of group is reported once, on its first member
        for s2, g in b.groups.items():
            first_of.setdefault(g, s2)
        kept = {k2 for e, _ in cp.exemptions for k2 in e.keeps}
        for s in relevant:
            spec = b.sanctions.get(s)
            if spec is None:
                allowed = required = np.zeros(len(idx), dtype=bool)
            else:
                mode, cond = spec
                allowed = cond.evaluate(sub) if cond is not None else np.ones(len(idx), dtype=bool)
                required = allowed if mode == "mandatory" else np.zeros(len(idx), dtype=bool)
            not_permitted[s][idx] = decided[s][idx] & ~allowed
            excused = waived[idx] & (s not in kept)          # 免予处罚: only what the exemption keeps stays due
            group = b.groups.get(s)
            if group is not None:                  # 或者: any member of the group decided is enough
                required = required & (first_of[group] == s)
                for t, g in b.groups.items():
                    required = required & ~decided[t][idx] if g == group else required
            missing[s][idx] = ~decided[s][idx] & required & light_only[idx] & ~excused
    yield from _sanction_batches(ev, not_permitted, "penalty.sanction_not_permitted")
    yield from _sanction_batches(ev, missing, "penalty.mandatory_sanction_missing")


def _sanction_batches(ev, per_sanction: dict, code: str):
    any_row = np.zeros(ev.n, dtype=bool)
    for m in per_sanction.values():
        any_row |= m
    for entry, rows in by_branch(ev, np.flatnonzero(any_row)):
        cp, v, b = entry
        which = objects([[s for s in SANCTIONS if per_sanction[s][i]] for i in rows.tolist()])
        zh = ["、".join(_sanction_words(b, s) for s in w) for w in which]
        if code == "penalty.sanction_not_permitted":
            lawful = [{"sanction": s, "mode": mode, "when": cond.source if cond else None}
                      for s, (mode, cond) in b.sanctions.items()]
            yield FindingBatch(
                code, rows, facts=branch_fields(entry, "sanctions", "serious"),
                expected={"lawful_sanctions": lawful}, actual={"sanctions_not_permitted": which},
                message_zh=[f"{label(entry)}对本案事实未规定“{z}”这一处罚种类" for z in zh],
                message_en=[f"{cp.id} does not provide {', '.join(w)} for these facts" for w in which],
                citations=cites(*b.citations, apl(38, 1)))
        else:
            yield FindingBatch(
                code, rows, facts=branch_fields(entry, "sanctions", "factors"),
                expected={"mandatory_sanctions": which}, actual={"sanctions_missing": which},
                message_zh=[f"{label(entry)}规定应当并处“{z}”，决定中没有，且不属于减轻处罚" for z in zh],
                message_en=[f"{cp.id} requires {', '.join(_sanction_words(b, s, ' or ') for s in w)}; the decision "
                            "lacks it and no mitigation applies" for w in which],
                citations=cites(*b.citations))


def _sanction_words(b, s: str, joiner: str | None = None) -> str:
    """A sanction's Chinese name (its code with ``joiner``); a one_of group's members joined by 或 (or)."""
    group = b.groups.get(s)
    members = [s] if group is None else [t for t, g in b.groups.items() if g == group]
    if joiner is not None:
        return joiner.join(members)
    return "或".join(SANCTION_ZH[t] for t in members)


CHECKS = (should_not_punish, fine_range, gain_not_confiscated, sanctions)
