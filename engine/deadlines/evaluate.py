"""Evaluate the deadline rules of one record kind column-wise: start → version → period → due date → overdue.

Every deadline is computed for all rows at once: the version in force by
date masks, the period as an integer array (statutory days, or the record's
own limit from the catalogue, plus extensions), the due date by one
vectorized working-day lookup, the closing date as the earliest of the
closing fields.  A case is overdue when it closed after its due date, or is
still open at as-of after it.  Rows whose dates the working-day calendar
cannot judge join the rejected rows with the reason; nothing is guessed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from engine.calendar import WorkingDayCalendar
from engine.checks.common import cites, iso
from engine.findings import FindingBatch, FindingSet
from engine.record_columns import RecordColumns
from engine.records.frame import Records
from engine.ruleset.deadlines import CompiledDeadline
from engine.ruleset.loader import RuleSet
from engine.ruleset.versions import in_force

NAT = np.datetime64("NaT")


@dataclass
class DeadlineOutcome:
    """One deadline rule over every row of the batch (arrays aligned with the rows)."""
    rule: CompiledDeadline
    applies: np.ndarray     # bool: the rule applies and its due date is known
    version: np.ndarray     # int index into rule.versions, -1 where none is in force
    start: np.ndarray       # datetime64[D]
    deemed: np.ndarray      # bool: start deemed (行政许可法 Art. 32(4))
    base: np.ndarray        # float: the period before extensions
    extra: list             # per extension: float array of days added
    due: np.ndarray         # datetime64[D]
    closed: np.ndarray      # datetime64[D]: earliest closing date, NaT while open
    late: np.ndarray        # bool: the deadline itself was missed (closed after it, or open past it)
    overdue: np.ndarray     # bool: ... and reported (still open where the rule says open_only; not
                            #       subsumed by another missed deadline)

    def status_codes(self, as_of: np.datetime64) -> np.ndarray:
        """Per row: 0 the rule does not apply, 1 met, 2 overdue, 3 open (not yet due)."""
        out = np.zeros(len(self.applies), dtype=np.int64)
        out[self.applies] = 3
        out[self.applies & ~np.isnat(self.closed)] = 1
        out[self.late] = 2
        return out


@dataclass
class DeadlineEvaluation(RecordColumns):
    kind: str
    records: Records
    ruleset: RuleSet
    as_of: dt.date
    calendar: WorkingDayCalendar
    findings: FindingSet = field(default_factory=FindingSet)
    outcomes: list[DeadlineOutcome] = field(default_factory=list)

    def default_event_dates(self) -> np.ndarray:
        """A case's date: its closing date, else its receipt date."""
        names = [c for c in ("decided_date", "replied_date", "handled_date") if c in self.frame.columns]
        if "received_date" not in self.frame.columns:
            return np.full(self.n, NAT, dtype="datetime64[D]")
        out = self.column("received_date").copy()
        for name in reversed(names):
            d = self.column(name)
            out = np.where(np.isnat(d), out, d)
        return out


def _earliest(ev, names) -> np.ndarray:
    out = np.full(ev.n, NAT, dtype="datetime64[D]")
    for name in names:
        d = ev.column(name)
        out = np.where(np.isnat(out) | (~np.isnat(d) & (d < out)), d, out)
    return out


def _versions(rule: CompiledDeadline, when: np.ndarray) -> np.ndarray:
    out = np.full(len(when), -1, dtype=np.int64)
    for i, v in enumerate(rule.versions):
        out[in_force(v, when)] = i
    return out


def evaluate_deadline(ev: DeadlineEvaluation, rule: CompiledDeadline,
                      done: dict[str, DeadlineOutcome]) -> DeadlineOutcome:
    frame, n, m = ev.frame, ev.n, rule.model
    usable = ev.evaluated.copy()
    if rule.applies_when is not None:
        usable &= np.asarray(rule.applies_when.evaluate(frame), dtype=bool)
    deemed = np.zeros(n, dtype=bool)
    if m.after_deadlines:                        # runs from the last of the other deadlines
        deps = [done[d] for d in m.after_deadlines]
        start = np.full(n, NAT, dtype="datetime64[D]")
        for o in deps:
            later = o.applies & (np.isnat(start) | (o.due > start))
            start = np.where(later, o.due, start)
    else:
        start = ev.column(m.start).copy()
        if rule.deemed_when is not None:
            deemed = np.isnat(start) & np.asarray(rule.deemed_when.evaluate(frame), dtype=bool)
            start = np.where(deemed, ev.column(m.deemed_start.field), start)
    usable &= ~np.isnat(start)
    version = np.where(usable, _versions(rule, ev.column(m.version_by) if m.version_by else start), -1)
    usable &= version >= 0

    base = np.full(n, np.nan)
    calendar_days = np.zeros(n, dtype=bool)
    extra = [np.zeros(n) for _ in range(max((len(v.extensions) for v in rule.versions), default=0))]
    for vi, v in enumerate(rule.versions):
        vm = version == vi
        if not vm.any():
            continue
        period = v.model.working_days if v.model.working_days is not None else v.model.days
        if period is not None:
            base[vm] = period
        calendar_days[vm] = v.model.days is not None
        if v.model.limit_field:
            own = ev.column(v.model.limit_field).astype(float)
            base = np.where(vm & ~np.isnan(own), own, base)
        for ei, (e, cond) in enumerate(v.extensions):
            if e.field:
                days = np.nan_to_num(ev.column(e.field).astype(float))
            else:
                days = np.where(np.asarray(cond.evaluate(frame), dtype=bool), float(e.working_days), 0.0)
            extra[ei] = np.where(vm, days, extra[ei])
    usable &= ~np.isnan(base)
    total = np.nan_to_num(base) + sum(extra, np.zeros(n))
    total_i = np.round(total).astype(np.int64)
    starts = np.where(usable, start, NAT)
    due, known = ev.calendar.add_working_days_safe(np.where(calendar_days, NAT, starts), total_i)
    if m.after_deadlines:
        due = np.where(total_i == 0, starts, due)   # "once the last deadline has passed": no days added
    due = np.where(calendar_days, starts + total_i.astype("timedelta64[D]"), due)
    no_days = (total_i == 0) if m.after_deadlines else np.zeros(n, dtype=bool)
    unknown = usable & ~calendar_days & ~known & ~no_days
    if unknown.any():
        ev.records.rejections.add(
            unknown, lambda d: f"{rule.id}：自 {d} 起算的期限超出工作日历（{ev.calendar.describe_coverage()}），"
                               f"请提供日历文件 (the deadline from {d} is outside the working-day calendar; "
                               "supply a calendar file)", starts)
        usable &= ~unknown
    closed = _earliest(ev, m.closed_by)
    as_of = np.datetime64(ev.as_of, "D")
    late = usable & np.where(np.isnat(closed), as_of > due, closed > due)
    overdue = late & np.isnat(closed) if m.open_only else late.copy()
    if m.unless_overdue:
        overdue &= ~done[m.unless_overdue].late
    return DeadlineOutcome(rule, usable, version, starts, deemed & usable, base, extra, due, closed, late, overdue)


def deadline_findings(ev: DeadlineEvaluation, o: DeadlineOutcome):
    """The overdue rows of one deadline as FindingBatches.

    Rows are grouped by version and by which extensions, deemed start and
    consequences apply to them, so each finding cites exactly the articles
    its own facts engage (an approved extension cites Art. 42 only where there was one).
    """
    rule = o.rule
    for vi, v in enumerate(rule.versions):
        rows = np.flatnonzero(o.overdue & (o.version == vi))
        if not len(rows):
            continue
        hits = [np.asarray(cond.evaluate(ev.frame.iloc[rows]), dtype=bool) for _, cond in v.consequences]
        used = [x[rows] > 0 for x in o.extra[:len(v.extensions)]]
        bits = [o.deemed[rows], *used, *hits]
        signature = sum((b.astype(np.int64) << k for k, b in enumerate(bits)), np.zeros(len(rows), np.int64))
        for sig in np.unique(signature):
            keep = signature == sig
            yield _batch(ev, o, v, rows[keep], [u[keep] for u in used], [h[keep] for h in hits])


def _batch(ev, o: DeadlineOutcome, v, rows, used, hits) -> FindingBatch:
    rule, m = o.rule, o.rule.model
    as_of = np.datetime64(ev.as_of, "D")
    facts = list(dict.fromkeys(
        ([m.start] if m.start else []) + ([m.deemed_start.field] if m.deemed_start else [])
        + ([m.version_by] if m.version_by else []) + list(m.closed_by)
        + ([v.model.limit_field] if v.model.limit_field else [])
        + [f for e, c in v.extensions for f in ([e.field] if e.field else c.fields)]
        + (rule.applies_when.fields if rule.applies_when else [])
        + [f for _, c in v.consequences for f in c.fields]))
    start, due, closed, deemed = o.start[rows], o.due[rows], o.closed[rows], o.deemed[rows]
    is_open = np.isnat(closed)
    late = ev.calendar.working_days_between_safe(due, np.where(is_open, as_of, closed))
    base = o.base[rows]
    extras = [x[rows] for x in o.extra[:len(v.extensions)]]
    total = base + sum(extras, np.zeros(len(rows)))
    calendar_days = v.model.days is not None
    unit_zh, unit_en = ("日", "day(s)") if calendar_days else ("个工作日", "working day(s)")
    expected = {"deadline": iso(due), "period": total, "unit": "calendar_days" if calendar_days else "working_days",
                "base_period": base}
    for (e, _), x in zip(v.extensions, extras):
        expected[e.field or "extension_days"] = x
    actual = {"closed": iso(closed), "as_of": str(as_of), "late": late}
    flags = [(c, h) for (c, _), h in zip(v.consequences, hits)]
    for c, h in flags:
        actual[c.flag] = h
    any_deemed = bool(deemed.any())
    citations = cites(v.citation, *[e.citation for (e, _), u in zip(v.extensions, used) if u.any()],
                      *([m.deemed_start.citation] if any_deemed else []),
                      *[c.citation for c, h in flags if h.any()])
    start_zh = ev.records.schema.names_zh.get(m.start, "") if m.start else ""

    def texts():
        return _messages(m, start, due, closed, deemed, is_open, late, total, flags, start_zh, unit_zh, unit_en,
                         as_of)
    return FindingBatch(rule.code, rows, facts=facts, expected=expected, actual=actual,
                        citations=citations, texts=texts, event_date=due)


def evaluate_deadlines(ev: DeadlineEvaluation) -> DeadlineEvaluation:
    """Every deadline rule of the kind, in dependency order; findings on rows still evaluated at the end."""
    done: dict[str, DeadlineOutcome] = {}
    for rule in ev.ruleset.deadlines_of(ev.kind):
        done[rule.id] = evaluate_deadline(ev, rule, done)
    ev.outcomes = list(done.values())
    for o in ev.outcomes:
        for batch in deadline_findings(ev, o):
            ev.findings.add(batch)
    return ev


def _messages(m, start, due, closed, deemed, is_open, late, total, flags, start_zh, unit_zh, unit_en, as_of):
    """The Chinese and English sentence of each finding, assembled with Arrow string kernels
    (a hundred thousand late applications are explained without a Python loop)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from engine.io.arrowcols import dates as arrow_dates

    def lit(t):
        return pa.scalar(t, pa.large_string())

    def text(a):
        return a.cast(pa.large_string())

    def iso_dates(d):
        return text(arrow_dates(d))

    def numbers(x):
        ints = np.round(x).astype(np.int64)
        out = text(pc.cast(pa.array(ints), pa.string()))
        exact = np.isclose(x, ints)
        if not exact.all():                                # fractional days: written as given
            out = pc.if_else(pa.array(exact), out, text(pa.array([f"{v:g}" for v in x.tolist()])))
        return pc.if_else(pa.array(np.isnan(x)), lit("?"), out)

    def join(*parts):
        return pc.binary_join_element_wise(*parts, lit(""))

    def either(mask, yes, no):
        return pc.if_else(pa.array(mask), yes, no)
    s, d, c, lt, per = iso_dates(start), iso_dates(due), iso_dates(closed), numbers(late), numbers(total)
    if m.start:
        head_zh = join(either(deemed, join(lit("未受理也未告知补正，依法视为自"), s, lit("受理；")), lit("")),
                       lit(f"自{start_zh}"), s, lit("起"), per, lit(f"{unit_zh}内（至"), d, lit(f"）应当{m.action_zh}"))
        head_en = join(either(deemed, join(lit("neither accepted nor told what is missing, so deemed accepted on "),
                                           s, lit("; ")), lit("")),
                       lit(f"due to {m.action_en} within "), per, lit(f" {unit_en} of {m.start} "), s, lit(" (by "), d,
                       lit(")"))
    else:
        head_zh = join(lit("各项处理期限最迟于"), d, lit(f"届满，应当{m.action_zh}"))
        head_en = join(lit("its last deadline passed on "), d, lit(f"; due to {m.action_en}"))
    tail_zh = either(is_open, join(lit(f"，截至{as_of}仍未办理，已逾期"), lt, lit(unit_zh)),
                     join(lit("，实际于"), pc.fill_null(c, lit("")), lit("办理，逾期"), lt, lit(unit_zh)))
    tail_en = either(is_open, join(lit(f"; still not done as of {as_of}, "), lt, lit(f" {unit_en} late")),
                     join(lit("; done on "), pc.fill_null(c, lit("")), lit(", "), lt, lit(f" {unit_en} late")))
    zh, en = [head_zh, tail_zh], [head_en, tail_en]
    for cc, hit in flags:
        zh.append(either(hit, lit(f"；{cc.zh}"), lit("")))
        en.append(either(hit, lit(f"; {cc.en}"), lit("")))
    return join(*zh), join(*en)
