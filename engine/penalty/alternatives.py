"""Records with unknown facts: the alternatives the blanks leave open, and what holds in all or some.

A blank fact (engine.penalty.unknown) does not reject a record.  Each record
with blanks that matter is split into *cases*: every value of a yes/no or
coded fact, and for an amount or a date one point per *region* — the stretch
between two critical values (a constant a branch condition compares the fact
with; the base at which the decided fine meets a statutory or tier bound,
fine ÷ multiple; a version's start; the time-bar limit).  Within a region no
check can change its answer, so one representative decides the whole region:
the alternatives are cases and intervals, never an enumeration of values.
The alternatives are complete records, evaluated column-wise by the same
evaluation as every other record (engine.penalty.evaluate), all at once.

Facts that only one procedural check reads (``officers``, ``hearing_notified``,
``filed_date``) are not split: they take the value that would produce the
finding, and the finding is then at most *possible*.

A finding is *definite* when it holds in every alternative, *possible* when it
holds in some.  The checks that presume the power to punish (range, tier,
sanctions, procedure) are judged over the alternatives where the act is
punishable; the bars themselves (time bar, no provision in force) over all of
them.  So a blank act date leaves a time bar possible without hiding that the
fine is below every lawful minimum: filling the date in either keeps that
finding or bars the penalty altogether, itself a finding.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.expr.nodes import literals_compared
from engine.penalty.branches import groups
from engine.penalty.unknown import party_type_from_id
from engine.records.frame import Records, Rejections, blank_cells, month_bounds_name
from engine.records.values import UNCOMPUTABLE
from engine.records.schema import HARMS, PARTY_TYPES
from engine.types import FieldType as T

BARRING = ("penalty.time_barred", "penalty.no_provision")
# the single check each of these facts feeds, and the value that makes it fire
# (the procedure read by two checks: the main pass takes 普通 for publication, a second pass 简易 for the
# simple-procedure limit, engine.penalty.evaluate)
# (publicized_date: a blank cell is "not published", a fact the department records; only a file without
# that column says nothing about publication)
LOCAL = {"officers": "procedure.too_few_officers", "hearing_notified": "procedure.hearing_not_offered",
         "procedure": ("procedure.publication_overdue", "procedure.simple_procedure_exceeded"),
         "filed_date": "procedure.decision_overdue", "publicized_date": "procedure.publication_overdue",
         "extension_approved": "procedure.decision_overdue"}
# (extension_approved, likewise: a blank cell is "none recorded"; a file without the column — a published
# decision rarely says whether its deadline was extended — leaves the extension open)
ALWAYS = ("party_type", "procedure", "decision_date", "violation_date", "discovered_date", "officers",
          "hearing_notified", "filed_date")


@dataclass
class Alternatives:
    """The alternatives of the partial rows, as complete records, with what each stands for."""
    records: Records
    origin: np.ndarray                 # position of the original row, per alternative
    values: dict = field(default_factory=dict)    # fact -> (value per alternative, lo, hi) for split facts
    local: dict = field(default_factory=dict)     # fact -> mask of alternatives where it took the worst value


def provision_facts(cp) -> dict[str, set]:
    """Facts a provision reads (conditions, bases, requirements, conditional sanctions), with the
    literals each is compared with."""
    out: dict[str, set] = {}
    for _, cond in cp.exemptions:
        if cond is not None:
            for f, lits in literals_compared(cond.tree).items():
                out.setdefault(f, set()).update(lits)
            for f in cond.fields:
                out.setdefault(f, set())
    for v in cp.versions:
        for name in v.model.requires:
            out.setdefault(name, set())
        if v.model.confiscate_gain == "mandatory":
            out.setdefault("illegal_gain", set())
        for b in v.branches:
            for f, lits in literals_compared(b.condition.tree).items():
                out.setdefault(f, set()).update(lits)
            for f in b.condition.fields:
                out.setdefault(f, set())
            if b.model.fine is not None and b.model.fine.base:
                out.setdefault(b.model.fine.base, set())
            if b.model.fine is not None and b.model.fine.per_day is not None:
                out.setdefault(b.model.fine.per_day.order, set())
                out.setdefault(b.model.fine.per_day.until, set())
            for _, cond in b.sanctions.values():
                if cond is not None:
                    for f, lits in literals_compared(cond.tree).items():
                        out.setdefault(f, set()).update(lits)
                    for f in cond.fields:
                        out.setdefault(f, set())
    return out


def _exemption_only_facts(cp) -> set:
    """Facts only the provision's exemptions read."""
    if not cp.exemptions:
        return set()
    bare = type(cp)(cp.model, cp.file, cp.data, cp.versions, [])
    return set(provision_facts(cp)) - set(provision_facts(bare))


def unknown_masks(records: Records, provision_idx: np.ndarray, provisions: list, ruleset) -> dict[str, np.ndarray]:
    """Per fact, the rows where it is blank *and* matters for that row."""
    frame, n = records.frame, len(records.frame)
    out: dict[str, np.ndarray] = {}
    blanks = records.blanks
    cache: dict[str, np.ndarray] = {}

    def is_blank(name):
        if name not in cache:
            if name == "officers":
                cache[name] = records.officer_count == 0
            elif name in blanks:
                cache[name] = blanks[name]
            elif frame[name].dtype.kind == "M":
                cache[name] = np.isnat(frame[name].to_numpy())
            elif frame[name].dtype.kind == "f":
                cache[name] = np.isnan(frame[name].to_numpy())
            else:
                cache[name] = blank_cells(frame[name])
        return cache[name]
    for name in ALWAYS:
        out[name] = is_blank(name).copy()
    if "publicized_date" in records.absent:     # no such column at all: publication unknown
        out["publicized_date"] = np.ones(n, dtype=bool)
    if "extension_approved" in records.absent:  # no such column: an extension is open where it would matter
        filed = frame["filed_date"].to_numpy().astype("datetime64[D]")
        decided = frame["decision_date"].to_numpy().astype("datetime64[D]")
        days = (decided - filed).astype("timedelta64[D]").astype(float)
        out["extension_approved"] = np.isnan(days) | (days > float(ruleset.value("decision_days")))
    end_first, _ = _month(frame, "violation_end_date")
    out["violation_date"] = (out["violation_date"] & is_blank("violation_end_date")) | ~np.isnat(end_first)
    sensitive = np.zeros(n, bool)
    no_fine = np.nan_to_num(frame["fine"].to_numpy(dtype=float)) <= 0.005
    for k, rows in groups(provision_idx):
        if k < 0:
            continue
        cp = ruleset.provisions[provisions[k]]
        waiving = _exemption_only_facts(cp)
        for name in provision_facts(cp):
            if name in frame.columns:
                out.setdefault(name, np.zeros(n, bool))
                # an exemption's facts matter only where the decision waived the fine (免予处罚)
                where = rows[no_fine[rows]] if name in waiving else rows
                out[name][where] |= is_blank(name)[where]
        if cp.model.life_health or cp.model.financial_safety:
            sensitive[rows] = True
    may_not = _has(frame, "factors", "first_offense") & _has(frame, "factors", "corrected_promptly")
    out["harm"] = out.get("harm", np.zeros(n, bool)) | ((may_not | sensitive) & is_blank("harm"))
    return {k: v & (provision_idx >= 0) for k, v in out.items() if v.any()}


def _has(frame, column, code) -> np.ndarray:
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        hit = np.array([f";{code};" in str(c) for c in col.cat.categories] + [False], dtype=bool)
        return hit[col.cat.codes.to_numpy()]
    return col.astype("string").str.contains(f";{code};", regex=False).to_numpy(dtype=bool, na_value=False)


def fill_party_type(records: Records, parameter: str) -> None:
    """Blank party types the identity number decides are filled in place (GB 32100 / GB 11643)."""
    frame = records.frame
    miss = blank_cells(frame["party_type"])
    if not miss.any() or "party_id" not in frame.columns:
        return
    guess = party_type_from_id(frame["party_id"], parameter)
    fill = miss & pd.notna(guess)
    if fill.any():
        col = frame["party_type"].astype(object).to_numpy(copy=True)
        col[fill] = guess[fill]
        frame["party_type"] = col


def fill_ad_fee_uncomputable(records: Records) -> None:
    """广告费用无法计算 written in the ad-fee cell states the fact 广告法 gives its own branch: the flag is set
    where its own cell is blank."""
    frame, flag = records.frame, UNCOMPUTABLE + "ad_fee"
    if flag not in frame.columns:
        return
    blank_flag = records.blanks.get("ad_fee_uncomputable", np.zeros(len(frame), bool))
    set_ = frame[flag].to_numpy(dtype=bool) & blank_flag
    if set_.any():
        col = frame["ad_fee_uncomputable"].to_numpy(dtype=bool, copy=True)
        col[set_] = True
        frame["ad_fee_uncomputable"] = col
        records.blanks["ad_fee_uncomputable"] = blank_flag & ~set_


def expand(records: Records, rows: np.ndarray, unknown: dict[str, np.ndarray], provision_idx: np.ndarray,
           provisions: list, ruleset, as_of: dt.date) -> Alternatives:
    """The alternatives of ``rows`` (positions of partial rows), split fact by fact."""
    frame = records.frame.take(rows).reset_index(drop=True)
    origin = rows.copy()
    officer_count = records.officer_count[rows].copy()
    alt = Alternatives(None, origin)
    state = {"frame": frame, "origin": origin, "officers": officer_count, "pidx": provision_idx[rows]}

    def split(name: str, reps_of, fill_single: bool = False):
        """Repeat each row once per representative of ``name`` where it is unknown there."""
        f, org = state["frame"], state["origin"]
        unk = unknown[name][org] if name in unknown else np.zeros(len(org), bool)
        if not unk.any():
            return
        reps = reps_of(f, unk)            # list per row (only rows with unk): [(value, lo, hi), ...]
        reps = [r if r else [(None, None, None)] for r in reps]   # never drop a row: one case, the fact left blank
        counts = np.ones(len(org), dtype=np.int64)
        counts[unk] = [len(r) for r in reps]
        take = np.repeat(np.arange(len(org)), counts)
        nf = f.take(take).reset_index(drop=True)
        was = unk[take]                   # the split rows, in the order their representatives were listed
        flat = [x for r in reps for x in r]
        vals, lo, hi = (np.full(len(take), None, dtype=object) for _ in range(3))
        for target, part in zip((vals, lo, hi), zip(*flat)):
            target[was] = np.array(part + (None,), dtype=object)[:-1]
        col = nf[name]
        if col.dtype.kind == "M":
            new = col.to_numpy().astype("datetime64[D]").copy()
            new[was] = np.array([np.datetime64(v, "D") for v in vals[was]], dtype="datetime64[D]")
        elif col.dtype.kind in "fi":
            new = col.to_numpy(dtype=float).copy()
            new[was] = vals[was].astype(float)
        elif col.dtype.kind == "b":
            new = col.to_numpy().copy()
            new[was] = vals[was].astype(bool)
        else:
            new = col.astype(object).to_numpy(copy=True)
            new[was] = vals[was]
        nf[name] = new
        if fill_single:                   # one value only: a fill, not a split (nothing is left open by it)
            single = np.zeros(len(org), bool)
            single[unk] = counts[unk] == 1
            for a in range(3):
                (vals, lo, hi)[a][single[take]] = None
        for prev in alt.values.values():
            for a in range(3):
                prev[a] = prev[a][take]
        for k2 in list(alt.local):
            alt.local[k2] = alt.local[k2][take]
        alt.values[name] = [vals, lo, hi]
        state["frame"], state["origin"] = nf, org[take]
        state["officers"], state["pidx"] = state["officers"][take], state["pidx"][take]

    def choices(codes):
        def reps(f, unk):
            return [[(c, None, None) for c in codes]] * int(unk.sum())
        return reps

    # dates first, while the rows are few: the other splits copy them
    split("decision_date", lambda f, unk: _decision_reps(f, unk, state["pidx"], provisions, ruleset, as_of))
    split("violation_date", lambda f, unk: _act_reps(f, unk, state["pidx"], provisions, ruleset))
    split("discovered_date", lambda f, unk: _discovery_reps(f, unk))
    split("party_type", choices(list(PARTY_TYPES)))
    split("harm", lambda f, unk: _harm_reps(unk, state["pidx"], provisions, ruleset))
    split("subject", lambda f, unk: _subject_reps(unk, state["pidx"], provisions, ruleset), fill_single=True)
    schema = records.schema
    for name in [n for n in unknown if n not in ALWAYS and n not in ("harm", "subject")]:
        col = schema.by_name.get(name)
        if col is None:
            continue
        if col.type == T.BOOL:
            split(name, choices([False, True]))
        elif col.codes:
            split(name, choices(list(col.codes)))
        elif col.type == T.NUMBER:
            split(name, lambda f, unk, name=name: _amount_reps(f, unk, name, state["pidx"], provisions, ruleset))

    f, org = state["frame"], state["origin"]
    # facts one check reads: the value that fires it (the finding then is at most possible)
    unk_f = unknown.get("filed_date", np.zeros(len(records.frame), bool))[org]
    if unk_f.any():
        filed = f["filed_date"].to_numpy().astype("datetime64[D]").copy()
        disc = f["discovered_date"].to_numpy().astype("datetime64[D]")
        act = _act_dates(f)
        filed[unk_f] = np.where(np.isnat(disc[unk_f]), act[unk_f], disc[unk_f])
        f["filed_date"] = filed
        alt.local["filed_date"] = unk_f
    unk_p = unknown.get("procedure", np.zeros(len(records.frame), bool))[org]
    if unk_p.any():      # ordinary here (publication); the simple-procedure check gets its own pass
        proc = f["procedure"].astype(object).to_numpy(copy=True)
        proc[unk_p] = "ordinary"
        f["procedure"] = proc
        alt.local["procedure"] = unk_p
    unk_pub = unknown.get("publicized_date", np.zeros(len(records.frame), bool))[org]
    if unk_pub.any():      # left unpublished (the value that fires the publication check)
        alt.local["publicized_date"] = unk_pub
    unk_x = unknown.get("extension_approved", np.zeros(len(records.frame), bool))[org]
    if unk_x.any():      # left unextended (the value that fires the decision-deadline check)
        alt.local["extension_approved"] = unk_x
    unk_h = unknown.get("hearing_notified", np.zeros(len(records.frame), bool))[org]
    if unk_h.any():
        alt.local["hearing_notified"] = unk_h
    unk_o = unknown.get("officers", np.zeros(len(records.frame), bool))[org]
    officers = state["officers"].copy()
    if unk_o.any():
        officers[unk_o] = 1
        alt.local["officers"] = unk_o
    rej = Rejections(len(f))
    alt.records = Records(f, rej, records.extra_columns, officers, None, records.schema)
    alt.records.blanks = {}
    alt.origin = org
    return alt


def _subject_reps(unk, pidx, provisions, ruleset) -> list:
    """A blank 处罚对象 is the party the decision addresses, whoever the provision punishes: the party where
    the provision punishes the party, else the one person it punishes; only a provision punishing several
    persons and not the party leaves the role open among them."""
    out, memo = [], {}
    for i in np.flatnonzero(unk):
        k = int(pidx[i])
        if k not in memo:
            subjects = ruleset.provisions[provisions[k]].model.subjects if k >= 0 else ["party"]
            memo[k] = [("party", None, None)] if "party" in subjects else [(s, None, None) for s in subjects]
        out.append(memo[k])
    return out


def _harm_reps(unk, pidx, provisions, ruleset) -> list:
    """A blank harm: the checks tell apart none (time bar), none or minor (首违不罚) and the rest; a
    provision comparing harm with a value of its own (造成严重后果) adds that value."""
    out, memo = [], {}
    for i in np.flatnonzero(unk):
        k = int(pidx[i])
        if k not in memo:
            named = {v for v in provision_facts(ruleset.provisions[provisions[k]]).get("harm", set())
                     if isinstance(v, str)}
            memo[k] = [(h, None, None) for h in HARMS if h in {"none", "minor", "general"} | named]
        out.append(memo[k])
    return out


def _act_dates(f: pd.DataFrame) -> np.ndarray:
    vd = f["violation_date"].to_numpy().astype("datetime64[D]")
    ve = f["violation_end_date"].to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(ve), vd, ve)


def _tier_multiples(cp, v, b, ruleset) -> list[float]:
    """The branch's bounds in its own unit (yuan or multiples): statutory range and tier edges."""
    fine = b.model.fine
    lo, hi = float(fine.lo), float(fine.hi)
    if fine.uncapped:              # no maximum, no tier edges
        return [lo]
    split = b.model.tiers
    out = [lo, hi]
    if split is not None:
        for name in ("减轻处罚", "从轻处罚", "一般处罚", "从重处罚"):
            rng = getattr(split, name)
            if rng is not None:
                out += [float(rng[0]), float(rng[1])]
        return out
    ts = v.model.tier_split or cp.model.tier_split
    a = float(ts.light_upto) if ts else float(ruleset.value("tier_light_upto"))
    c = float(ts.heavy_from) if ts else float(ruleset.value("tier_heavy_from"))
    return out + [lo + a * (hi - lo), lo + c * (hi - lo)]


def _amount_reps(f: pd.DataFrame, unk: np.ndarray, name: str, pidx: np.ndarray, provisions, ruleset) -> list:
    """One representative per region of an unknown amount, column-wise per provision."""
    fine = np.nan_to_num(f["fine"].to_numpy(dtype=float))
    taken = np.nan_to_num(f["confiscated_gain"].to_numpy(dtype=float))
    lowest = str(ruleset.value("uncomputable_amount_as")) == "lowest_branch"
    cannot = (f[UNCOMPUTABLE + name].to_numpy(dtype=bool) if UNCOMPUTABLE + name in f.columns
              else np.zeros(len(f), dtype=bool))
    idx = np.flatnonzero(unk)
    out = [None] * len(idx)
    for k in np.unique(pidx[idx]):
        cp = ruleset.provisions[provisions[k]]
        at = np.flatnonzero(pidx[idx] == k)
        rows = idx[at]
        floors = {float(b.model.fine.base_floor) for v in cp.versions for b in v.branches
                  if b.model.fine is not None and b.model.fine.base == name and b.model.fine.base_floor is not None}
        consts = sorted({float(x) for x in provision_facts(cp).get(name, set())
                         if isinstance(x, (int, float, Decimal)) and not isinstance(x, bool)} | {0.0} | floors)
        multiples = sorted({m for v in cp.versions for b in v.branches
                            if b.model.fine is not None and b.model.fine.base == name
                            for m in _tier_multiples(cp, v, b, ruleset) if m > 0})
        cols = [np.full(len(rows), c) for c in consts]
        cols += [fine[rows] / m for m in multiples]
        if name == "illegal_gain":
            cols += [taken[rows]]
        crit = np.sort(np.column_stack(cols), axis=1)
        memo: dict = {}
        for j, r in enumerate(crit.tolist()):
            key = (tuple(r), bool(cannot[rows[j]]))
            if key in memo:
                out[at[j]] = memo[key]
                continue
            pts = sorted(set(round(x, 6) for x in r if x >= 0))
            reps = []
            for a, b in zip(pts, pts[1:] + [None]):
                reps.append((a, a, a))
                reps.append(((a + b) / 2 if b is not None else a * 2 + 1, a, b if b is not None else np.inf))
            floor = [c for c in consts if c > 0]
            if lowest and cannot[rows[j]] and floor:     # 无法计算: read as below the lowest threshold (a parameter)
                reps = [r for r in reps if r[2] <= floor[0] and r[0] < floor[0]]
            out[at[j]] = memo[key] = reps
    return out


def _month(f: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of the month a month-only cell gives (NaT where the cell gave none)."""
    a, b = month_bounds_name(name)
    if a not in f.columns:
        nat = np.full(len(f), np.datetime64("NaT"), dtype="datetime64[D]")
        return nat, nat
    return f[a].to_numpy().astype("datetime64[D]"), f[b].to_numpy().astype("datetime64[D]")


def _clip_to(pts: set, first, last) -> set:
    """Representatives kept within a known month, its first and last days added."""
    if np.isnat(first):
        return pts
    return {p for p in pts if first <= p <= last} | {first, last}


def _versions(cp):
    return sorted(cp.versions, key=lambda v: v.valid_from)


def _decision_reps(f, unk, pidx, provisions, ruleset, as_of) -> list:
    """A blank decision date: each version era from the latest known earlier date up to as-of."""
    known = [f[c].to_numpy().astype("datetime64[D]") for c in ("violation_date", "violation_end_date",
                                                              "discovered_date", "filed_date")]
    lower = np.max(np.where(np.isnat(np.stack(known)), np.datetime64("1900-01-01"), np.stack(known)), axis=0)
    end = np.datetime64(as_of, "D")
    first, last = _month(f, "decision_date")
    out = []
    for i in np.flatnonzero(unk):
        cp = ruleset.provisions[provisions[pidx[i]]]
        lo = lower[i] if lower[i] > np.datetime64("1900-01-01") else np.datetime64(_versions(cp)[0].valid_from, "D")
        pts = sorted(_clip_to({lo, end} | {np.datetime64(v.valid_from, "D") for v in cp.versions
                                           if lo < np.datetime64(v.valid_from, "D") <= end}, first[i], last[i]))
        reps = [(p.astype(object), p.astype(object), (pts[j + 1] - 1).astype(object) if j + 1 < len(pts)
                 else p.astype(object)) for j, p in enumerate(pts) if p <= end]
        out.append(reps or [(p.astype(object), p.astype(object), p.astype(object)) for p in pts])
    return out


def _add_years(d: np.datetime64, years: int) -> np.datetime64:
    t = pd.Timestamp(d) - pd.DateOffset(years=years)
    return np.datetime64(t.date(), "D")


def _act_reps(f, unk, pidx, provisions, ruleset) -> list:
    """A blank act date: each version era before the earliest later date, the day before the first
    version (no provision), and the day past each time-bar limit."""
    later = [f[c].to_numpy().astype("datetime64[D]") for c in ("discovered_date", "filed_date", "decision_date")]
    st = np.stack(later)
    upper = np.min(np.where(np.isnat(st), np.datetime64("2999-12-31"), st), axis=0)
    disc = later[0]
    years = (int(ruleset.value("time_bar_years")), int(ruleset.value("time_bar_years_extended")))
    first, last = _month(f, "violation_date")
    first_end, last_end = _month(f, "violation_end_date")
    first = np.where(np.isnat(first_end), first, first_end)     # the act's end, where a month of it is given
    last = np.where(np.isnat(last_end), last, last_end)
    out = []
    for i in np.flatnonzero(unk):
        cp = ruleset.provisions[provisions[pidx[i]]]
        up = upper[i] if np.isnat(last[i]) else min(upper[i], last[i])
        vs = _versions(cp)
        pts = {up, np.datetime64(vs[0].valid_from, "D") - 1}
        pts |= {np.datetime64(v.valid_from, "D") for v in vs if np.datetime64(v.valid_from, "D") <= up}
        pts |= {np.datetime64(v.valid_to, "D") for v in vs if v.valid_to and np.datetime64(v.valid_to, "D") <= up}
        ref = disc[i] if not np.isnat(disc[i]) else up
        for y in years:
            pts |= {_add_years(ref, y) - 1, _add_years(ref, y)}
        pts = sorted(p for p in _clip_to(pts, first[i], up if not np.isnat(first[i]) else last[i]) if p <= up)
        out.append([(p.astype(object), (pts[j - 1] + 1).astype(object) if j else None, p.astype(object))
                    for j, p in enumerate(pts)])
    return out


def _discovery_reps(f, unk) -> list:
    """A blank discovery date: as early as the act (never barred) or as late as filing or decision."""
    act = _act_dates(f)
    later = [f[c].to_numpy().astype("datetime64[D]") for c in ("filed_date", "decision_date")]
    st = np.stack(later)
    upper = np.min(np.where(np.isnat(st), np.datetime64("2999-12-31"), st), axis=0)
    first, last = _month(f, "discovered_date")
    out = []
    for i in np.flatnonzero(unk):
        a, u = act[i], upper[i]
        pts = {p for p in (a, u) if not np.isnat(p) and p != np.datetime64("2999-12-31")}
        pts = sorted(_clip_to(pts, first[i], last[i]))
        out.append([(p.astype(object), a.astype(object), u.astype(object)) for p in pts] or [(None, None, None)])
    return out
