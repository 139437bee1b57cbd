"""Evaluate penalty records against the rule set, column-wise.

Data flow: normalized records → provision per violation code → version and
statutory branch per record (从旧兼从轻) → allowed tiers and lawful range →
checks (each a function over the whole frame producing FindingBatches).
Rows that cannot be evaluated (unknown code, missing required facts, no
branch applies) join the rejected rows with their reasons; every input row
ends up evaluated or rejected.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.calendar import WorkingDayCalendar
from engine.findings import FindingSet
from engine.penalty import tiers as T
from engine.penalty.alternatives import expand, fill_ad_fee_uncomputable, fill_party_type, unknown_masks
from engine.penalty.branches import among, groups, narrow
from engine.penalty.certainty import settle
from engine.penalty.decisions import add_decision_columns, persons_duties
from engine.library.citations import has_older_texts
from engine.penalty.checks import CHECKS
from engine.penalty.checks.liability import double_fine
from engine.record_columns import RecordColumns
from engine.records.frame import Records, Rejections, blank_cells
from engine.records.schema import ZH
from engine.ruleset.loader import RuleSet
from engine.ruleset.versions import BranchTable, select

_NO_ROWS = np.zeros(0, dtype=np.int64)


@dataclass
class Evaluation(RecordColumns):
    records: Records
    ruleset: RuleSet
    table: BranchTable
    as_of: dt.date
    calendar: WorkingDayCalendar
    provision: np.ndarray = None        # object: provision id or None
    provision_idx: np.ndarray = None    # int: index into provision_ids, -1 for none
    provision_ids: list = None
    branch_key: np.ndarray = None       # -1 where no branch
    lo: np.ndarray = None               # statutory range in yuan
    hi: np.ndarray = None
    lo_m: np.ndarray = None
    hi_m: np.ndarray = None
    base: np.ndarray = None
    no_provision: np.ndarray = None
    tiers: np.ndarray = None
    flags: dict = None
    bounds: dict = None
    lawful_min: np.ndarray = None
    lawful_max: np.ndarray = None
    act_date: np.ndarray = None
    fine: np.ndarray = None
    findings: FindingSet = field(default_factory=FindingSet)
    double_fines: object = None         # () -> Art. 29 findings decided over the whole batch (engine.batchwide)
    double_fine_at: int = 0             # how many finding batches came before the Art. 29 check's
    exempt: np.ndarray = None           # rows meeting a provision's own exemption (免予处罚 may be chosen)
    wrong_subject: np.ndarray = None    # rows punishing a subject the provision does not punish
    partial: np.ndarray = None          # rows judged over alternatives (engine.penalty.certainty); None: none
    possible_codes: np.ndarray = None   # per partial row: the possible findings' codes
    undetermined: np.ndarray = None     # per partial row: the unknown facts that left something open
    max_unbounded: np.ndarray = None    # no statutory maximum, or (partial rows) a multiple of an unknown amount
    _rows_by_provision: dict = None
    kind = "penalty"

    def default_event_dates(self) -> np.ndarray:
        """The date a penalty finding is about unless it says otherwise: the decision date."""
        return self.column("decision_date")

    def provision_rows(self, pid: str) -> np.ndarray:
        """Positions of the rows of provision ``pid``, ascending: grouped once per evaluation, where a pass
        over every row per provision costs two hundred passes."""
        if self._rows_by_provision is None:
            self._rows_by_provision = dict(groups(self.provision_idx))
        return self._rows_by_provision.get(self.provision_ids.index(pid), _NO_ROWS)

    def is_provision(self, pid: str) -> np.ndarray:
        out = np.zeros(len(self.provision_idx), dtype=bool)
        out[self.provision_rows(pid)] = True
        return out

    def of_provisions(self, pids) -> np.ndarray:
        """Rows of any of the provisions ``pids``."""
        return among(self.provision_idx, [self.provision_ids.index(p) for p in pids], len(self.provision_ids))

    def of_branches(self, keys) -> np.ndarray:
        """Rows whose statutory branch is one of ``keys`` (indices into ``table.entries``)."""
        return among(self.branch_key, keys, len(self.table.entries))

    def branch(self, i: int):
        k = self.branch_key[i]
        return self.table.entries[k] if k >= 0 else None


def provision_of_code(code, ruleset: RuleSet, on=None) -> tuple[str | None, str]:
    """The provision a ``violation_code`` names — a rule-set code, or a citation as decisions write it
    (《中华人民共和国食品安全法》第一百二十四条第一款, 安全生产法(2014)第109条 …, engine.library.citations) —
    and, when none, the rejection reason with the nearest provisions."""
    if code in ruleset.codes:
        return ruleset.codes[code], ""
    from engine.library.citations import judged_provision
    pid, why = judged_provision(str(code), ruleset, on)
    if pid:
        return pid, ""
    return None, (f"{ZH['violation_code']} (violation_code)：未知编码 '{code}'，也无法对应到条款 (unknown code '{code}': "
                  f"no provision in the rules claims it or is cited by it)；{why}")


def evaluate(records: Records, ruleset: RuleSet, as_of: dt.date,
             calendar: WorkingDayCalendar, double_fines=None) -> Evaluation:
    """``double_fines``: when the records are a chunk of a batch, a function giving the Art. 29
    findings on them (only the whole batch can tell whether an act was fined twice).

    Rows with blank facts that matter are held out of the first pass and judged over the
    alternatives their blanks leave open (engine.penalty.alternatives, engine.penalty.certainty).
    """
    fill_party_type(records, str(ruleset.value("individual_business_counts_as")))
    fill_ad_fee_uncomputable(records)
    _reject_nothing_to_judge(records)
    provision_idx, pids = _provisions(records, ruleset)
    if records.frame["decision_no"].notna().any():
        add_decision_columns(records.frame, records.rejections.mask.copy(), provision_idx,
                             persons_duties(ruleset, pids))
    unknown = unknown_masks(records, provision_idx, pids, ruleset)
    partial = np.zeros(len(records.frame), dtype=bool)
    for m in unknown.values():
        partial |= m
    partial &= ~records.rejections.mask
    if not partial.any():
        return _evaluate(records, ruleset, as_of, calendar, double_fines, provision_idx, pids)
    records.rejections.hold(partial)
    ev = _evaluate(records, ruleset, as_of, calendar, lambda: [], provision_idx, pids)
    records.rejections.release(partial)
    alt = expand(records, np.flatnonzero(partial), unknown, provision_idx, pids, ruleset, as_of)
    ax = _evaluate(alt.records, ruleset, as_of, calendar, lambda: [], provision_idx[alt.origin], pids, ev.table)
    _simple_procedure_pass(ax, alt, ruleset, as_of, calendar, provision_idx, pids)
    settle(ev, ax, alt)
    ev.findings.batches = [b for b in ev.findings.batches if b.code != "penalty.double_fine"]
    ev.double_fines = double_fines
    # Art. 29 is judged over every row at once, now that the held rows have their fines.  A complete row's
    # finding goes where the check's order puts it (as in a part of the batch without blanks: the output
    # must not depend on where the batch was cut), a held row's after the findings settled for it.
    at, late = ev.double_fine_at, []
    for batch in double_fine(ev):
        keep = ~records.rejections.mask[batch.rows]
        batch = batch if keep.all() else batch.keep(keep)
        held = partial[batch.rows]
        complete = batch if not held.any() else batch.keep(~held)
        if len(complete):
            ev.findings.batches.insert(at, complete)
            at += 1
        if held.any():
            late.append(batch if held.all() else batch.keep(held))
    for batch in late:
        ev.findings.add(batch)
    return ev


def _simple_procedure_pass(ax, alt, ruleset, as_of, calendar, provision_idx, pids) -> None:
    """Where the procedure is blank, the alternatives were judged as 普通程序; the simple-procedure limit
    (行政处罚法 Art. 51) is judged on them again as 简易程序, and only that check's findings are kept."""
    blank = alt.local.get("procedure")
    if blank is None or not blank.any():
        return
    frame = alt.records.frame.copy()
    proc = frame["procedure"].astype(object).to_numpy(copy=True)
    proc[blank] = "simple"
    frame["procedure"] = proc
    again = Records(frame, Rejections(len(frame)), alt.records.extra_columns, alt.records.officer_count, None,
                    alt.records.schema)
    ev2 = _evaluate(again, ruleset, as_of, calendar, lambda: [], provision_idx[alt.origin], pids, ax.table)
    code = "procedure.simple_procedure_exceeded"
    ax.findings.batches = [b for b in ax.findings.batches if b.code != code] + [
        b for b in ev2.findings.batches if b.code == code]


def _reject_nothing_to_judge(records: Records) -> None:
    """No fine stated and no sanction: the record decides nothing a check could judge."""
    frame = records.frame
    no_fine = frame["fine"].isna().to_numpy()
    no_sanction = blank_cells(frame["sanctions"])
    records.rejections.add(no_fine & no_sanction,
                           f"{ZH['fine']} (fine)与{ZH['sanctions']} (sanctions)均未填写，没有可评查的处罚 "
                           "(no fine and no sanction: the record decides nothing to check)")


def _provisions(records: Records, ruleset: RuleSet) -> tuple[np.ndarray, list]:
    """Provision index per row (-1: none), decided once per distinct code or citation; unknown ones rejected.

    The provision is named by ``violation_code`` (a rule-set code or a citation as decisions write it), else
    by ``penalty_basis`` (处罚依据).  A citation that only the decision date can read (an older text's
    article number, no version named) is decided once per distinct date."""
    frame, rej = records.frame, records.rejections
    named = frame["violation_code"].astype(object).where(~blank_cells(frame["violation_code"]),
                                                          frame["penalty_basis"].astype(object))
    named = named.where(~pd.isna(named), None)
    vcodes, vuniq = pd.factorize(named, use_na_sentinel=True)
    pids = list(ruleset.provisions)
    found = [provision_of_code(c, ruleset) for c in vuniq]
    pid_of_code = np.array([pids.index(pid) if pid else -1 for pid, _ in found] + [-1])
    provision_idx = pid_of_code[vcodes]
    failed = (vcodes >= 0) & (provision_idx < 0)
    dates = frame["decision_date"].to_numpy().astype("datetime64[D]")
    acts = frame["violation_end_date"].to_numpy().astype("datetime64[D]")
    acts = np.where(np.isnat(acts), frame["violation_date"].to_numpy().astype("datetime64[D]"), acts)
    # a citation (not a rule code) of a law with an older text encoded is read by the dates, resolved or not
    dated = np.array([c not in ruleset.codes and has_older_texts(str(c), ruleset) for c in vuniq] + [False])
    retry = (failed | dated[vcodes]) & (vcodes >= 0) & ~np.isnat(dates)
    why = np.full(len(frame), None, dtype=object)
    if retry.any():      # read by the texts in force when the act was done and decided
        pairs = pd.DataFrame({"code": vcodes[retry], "date": dates[retry],
                              "act": np.where(np.isnat(acts[retry]), np.datetime64("1000-01-01"), acts[retry])})
        at = np.flatnonzero(retry)
        for (code, day, act), sub in pairs.groupby(["code", "date", "act"]).groups.items():
            act = None if act == pd.Timestamp("1000-01-01") else pd.Timestamp(act).date()
            pid, reason = provision_of_code(vuniq[code], ruleset, on=(act, pd.Timestamp(day).date()))
            rows = at[np.asarray(sub)]
            provision_idx[rows] = pids.index(pid) if pid else -1
            if not pid:
                why[rows] = reason
    unknown = (vcodes >= 0) & (provision_idx < 0)
    rej.add(unknown, lambda i: why[i] or found[vcodes[i]][1], np.arange(len(frame)))
    rej.add(vcodes < 0, f"{ZH['violation_code']} (violation_code)与{ZH['penalty_basis']} (penalty_basis)均未填写，"
                        "无法确定适用条款 (neither a violation code nor a penalty basis names the provision)")
    return provision_idx, pids


def _evaluate(records: Records, ruleset: RuleSet, as_of: dt.date, calendar: WorkingDayCalendar,
              double_fines, provision_idx: np.ndarray, pids: list, table: BranchTable | None = None) -> Evaluation:
    ev = Evaluation(records, ruleset, table if table is not None else BranchTable(), as_of, calendar,
                    double_fines=double_fines)
    frame, rej, n = records.frame, records.rejections, len(records.frame)

    ev.provision_idx = provision_idx
    ev.provision_ids = pids
    prov = np.array(pids + [None], dtype=object)[ev.provision_idx]
    ev.provision = prov
    vd, ve = ev.column("violation_date"), ev.column("violation_end_date")
    ev.act_date = np.where(np.isnat(ve), vd, ve)
    dd = ev.column("decision_date")

    ev.branch_key = np.full(n, -1, dtype=np.int64)
    ev.lo, ev.hi, ev.lo_m, ev.hi_m, ev.base = (np.full(n, np.nan) for _ in range(5))
    ev.no_provision = np.zeros(n, dtype=bool)
    light = np.full(n, float(ruleset.value("tier_light_upto")))
    heavy = np.full(n, float(ruleset.value("tier_heavy_from")))

    usable = ~rej.mask
    last_day = bool(ruleset.parameters["daily_penalty_counts_last_day"].value) \
        if "daily_penalty_counts_last_day" in ruleset.parameters else True
    ev.exempt = np.zeros(n, dtype=bool)
    ev.wrong_subject = np.zeros(n, dtype=bool)
    subject = frame["subject"].astype(object).to_numpy()     # blank: the party addressed, whoever the provision punishes
    for pid, cp in ruleset.provisions.items():
        idx = ev.provision_rows(pid)
        idx = idx[usable[idx]]
        if not len(idx):
            continue
        ev.wrong_subject[idx] = pd.notna(subject[idx]) & ~np.isin(subject[idx], cp.model.subjects)
        for _, cond in cp.exemptions:      # the provision's own 免予处罚 (e.g. 食品安全法 Art. 136)
            ev.exempt[idx] |= np.asarray(cond.evaluate(narrow(frame, cond.fields, idx)), dtype=bool)
        sub = narrow(frame, cp.fields_read, idx)
        res = select(cp, sub, ev.act_date[idx], dd[idx], ev.table, last_day)
        ev.branch_key[idx] = res.branch_key
        ev.lo[idx], ev.hi[idx] = res.lo, res.hi
        ev.lo_m[idx], ev.hi_m[idx], ev.base[idx] = res.lo_m, res.hi_m, res.base
        ev.no_provision[idx] = res.no_provision
        for pos, fields in res.missing.items():
            rej.reject(int(idx[pos]),
                f"{pid} 需要" + "、".join(_zh(f, ruleset) for f in fields) + f"才能判断 ({pid} needs "
                + ", ".join(fields) + " for these facts)")
        if cp.model.earlier_text == "not_encoded":     # an older text applies, and it is not encoded
            first = np.datetime64(min(v.valid_from for v in cp.versions), "D")
            early = res.no_provision & ((ev.act_date[idx] < first) | (dd[idx] < first))
            _reject(rej, idx, early,
                    f"{pid} 只编码了{first}起施行的文本；较早的文本适用于该记录但未编码，无法判断 (only the text in force "
                    f"from {first} is encoded; an earlier text applies to this record and is not encoded)")
        for order, until in _per_day_dates(cp):     # 按日连续处罚: the re-inspection must come after the order
            a, b = sub[order].to_numpy().astype("datetime64[D]"), sub[until].to_numpy().astype("datetime64[D]")
            _reject(rej, idx, ~np.isnat(a) & ~np.isnat(b) & (b <= a),
                    f"{_zh(until, ruleset)}不晚于{_zh(order, ruleset)}，无法按日计罚 ({until} is not after {order}: "
                    "no day of a daily penalty can be counted)")
        _reject(rej, idx, res.no_branch,
                f"{pid} 没有与这些事实相符的法定情形，请核对其所依据的金额和事实 (no statutory branch of {pid} "
                "fits these facts: check the amounts and flags it depends on)")
        _reject(rej, idx, res.multi_branch,
                f"{pid} 有多个法定情形与这些事实相符，规则文件需要检查 zhunsheng rules lint (more than one branch "
                f"of {pid} fits these facts: the rule file needs 'zhunsheng rules lint')")
        split = cp.model.tier_split
        if split:
            light[idx], heavy[idx] = float(split.light_upto), float(split.heavy_from)
        for vi, v in enumerate(cp.versions):
            if v.model.tier_split:
                keys = {ev.table.key(cp, v, b) for b in v.branches}
                vm = idx[np.isin(res.branch_key, list(keys))]
                light[vm], heavy[vm] = float(v.model.tier_split.light_upto), float(v.model.tier_split.heavy_from)

    ev.fine = np.nan_to_num(frame["fine"].to_numpy(dtype=float), nan=0.0)
    ev.flags = T.factor_flags(ev)
    ev.tiers = T.allowed_tiers(ev.flags)
    ev.bounds = T.tier_bounds(ev.lo, ev.hi, light, heavy)
    _apply_explicit_tiers(ev)
    ev.max_unbounded = np.isposinf(ev.hi)
    _uncapped_tiers(ev)
    ev.lawful_min, ev.lawful_max = T.lawful_range(ev.tiers, ev.bounds)
    no_range = np.isnan(ev.hi)
    ev.lawful_min[no_range] = np.nan
    ev.lawful_max[no_range] = np.nan
    for check in CHECKS:
        if check is double_fine:       # where its findings go when they are judged after the checks
            ev.double_fine_at = len(ev.findings.batches)
        for batch in check(ev):
            keep = ~rej.mask[batch.rows]
            if not keep.all():  # rows rejected since: their findings would be about guesses
                batch = batch.keep(keep)
            ev.findings.add(batch)
    return ev


def _uncapped_tiers(ev: Evaluation) -> None:
    """No statutory maximum (价格法 "可以处以罚款"): no tier can be placed, so every punishing tier spans
    the whole range from the minimum up; only 减轻 (below the minimum) stays apart."""
    m = ev.max_unbounded
    if not m.any():
        return
    for name in ("从轻处罚", "一般处罚", "从重处罚"):
        a, b = ev.bounds[name]
        a[m], b[m] = ev.lo[m], np.inf


def _per_day_dates(cp) -> set:
    return {(b.model.fine.per_day.order, b.model.fine.per_day.until) for v in cp.versions for b in v.branches
            if b.model.fine is not None and b.model.fine.per_day is not None}


def _zh(name: str, ruleset: RuleSet) -> str:
    zh = ZH.get(name) or (ruleset.declared[name][0].zh if name in ruleset.declared else None)
    return f"{zh} ({name})" if zh else name


def _reject(rej: Rejections, idx: np.ndarray, sub_mask: np.ndarray, reason) -> None:
    """Reject the rows ``idx[sub_mask]`` of one provision; nothing to do (the usual case) costs no pass
    over the whole batch."""
    if sub_mask.any():
        out = np.zeros(len(rej.mask), dtype=bool)
        out[idx[sub_mask]] = True
        rej.add(out, reason)


def _apply_explicit_tiers(ev: Evaluation):
    """Benchmark-set tier ranges replace the default split on the rows of their branch."""
    for k, (cp, v, b) in enumerate(ev.table.entries):
        tiers = b.model.tiers
        if tiers is None:
            continue
        m = ev.branch_key == k
        if not m.any():
            continue
        unit = np.where(np.isnan(ev.base[m]), 1.0, ev.base[m])
        for name in ("从轻处罚", "一般处罚", "从重处罚", "减轻处罚"):
            rng = getattr(tiers, name)
            if rng is None:
                continue
            a, bnd = ev.bounds[name]
            a[m] = np.round(float(rng[0]) * unit, 2)
            bnd[m] = np.round(float(rng[1]) * unit, 2)
