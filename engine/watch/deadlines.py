"""One case's deadlines and due dates, from the same compiled deadline rules the batch review uses.

The batch evaluator (engine/deadlines/evaluate.py) works on whole columns; the
monitor sees one case at a time, and a one-row DataFrame per event would cost
milliseconds.  ``DueDates.schedule`` is the scalar twin of ``evaluate_deadline``:
the same steps in the same order (applies_when, start or deemed start or
after_deadlines, version by date, base period or limit_field, extensions,
working-day or calendar-day arithmetic, earliest closing date), on one record
dict.  tests/watch/test_deadlines.py checks it against the batch evaluator on
every rule-file case and on random records.

Penalty deadlines come from engine/penalty/checks/procedure.py: ``procedure.decision_overdue``
(``decision_days`` calendar days from filed_date, none when extension_approved)
and ``procedure.publication_overdue`` (``publication_working_days`` after the
decision, for ordinary-procedure decisions of a SAMR-published provision with a
fine or a sanction other than a warning).
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass

from engine.calendar import WorkingDayCalendar
from engine.ruleset.loader import RuleSet

_D = dt.date.fromisoformat


@dataclass(slots=True)
class Due:
    rule_id: str
    code: str
    due: int | None          # date ordinal of the due date; None where the rule does not apply
    closed: int | None       # ordinal of the earliest closing date, None while open
    late: bool = False       # as in evaluate_deadline: missed (closed after due) — for the equivalence checks


class CalendarGap(ValueError):
    pass


def typed(record: dict) -> dict:
    """A stored record (ISO date strings) as the expression language expects it (dt.date values)."""
    return {k: (_D(v) if k.endswith("_date") and isinstance(v, str) else v) for k, v in record.items()}


class DueDates:
    def __init__(self, ruleset: RuleSet, calendar: WorkingDayCalendar):
        self.ruleset = ruleset
        self.rules = {k: ruleset.deadlines_of(k) for k in ("approval", "disclosure", "complaint")}
        self.workdays = [d.astype(dt.date).toordinal() for d in calendar.workdays]
        self.years = set(calendar.years)
        self.decision_days = int(ruleset.value("decision_days"))
        self.publication_wd = int(ruleset.value("publication_working_days"))
        self.samr = {code for code, pid in ruleset.codes.items() if ruleset.provisions[pid].model.samr_publication}

    # -- working days (scalar twin of WorkingDayCalendar.add_working_days_safe) ----------------------
    def add_working_days(self, start: int, n: int) -> int | None:
        if dt.date.fromordinal(start).year not in self.years:
            return None
        pos = bisect_right(self.workdays, start) + n - 1
        if pos >= len(self.workdays):
            return None
        return self.workdays[max(pos, 0)]

    def yellow_day(self, due: int, n: int) -> int:
        """First day at whose start (00:00) ``n`` working days or fewer remain to ``due``: the whole day
        still remains at 00:00, so the count is of working days in [day, due] — the day after the
        (n+1)-th last working day up to the due date."""
        k = bisect_right(self.workdays, due)
        i = k - n - 1
        return self.workdays[i] + 1 if i >= 0 else due - 10_000

    # -- one case ---------------------------------------------------------------------------------------
    def schedule(self, kind: str, record: dict) -> list[Due]:
        """Every deadline of the case's kind, in dependency order; raises CalendarGap like review rejects."""
        if kind == "penalty":
            return self._penalty(record)
        rec = typed(record)
        done: dict[str, Due] = {}
        for rule in self.rules.get(kind, ()):
            done[rule.id] = self._one(rule, rec, done)
        return list(done.values())

    def _one(self, rule, rec: dict, done: dict) -> Due:
        m = rule.model
        none = Due(rule.id, rule.code, None, None)
        if rule.applies_when is not None and not rule.applies_when.evaluate_record(rec):
            return none
        if m.after_deadlines:
            start = None
            for dep in m.after_deadlines:
                o = done[dep]
                if o.due is not None and (start is None or o.due > start):
                    start = o.due
        else:
            s = rec.get(m.start)
            if s is None and rule.deemed_when is not None and rule.deemed_when.evaluate_record(rec):
                s = rec.get(m.deemed_start.field)
            start = s.toordinal() if s is not None else None
        if start is None:
            return none
        when = rec.get(m.version_by) if m.version_by else dt.date.fromordinal(start)
        if when is None:
            return none
        version = None
        for v in rule.versions:
            if when >= v.valid_from and (v.valid_to is None or when <= v.valid_to):
                version = v
        if version is None:
            return none
        vm = version.model
        base = vm.working_days if vm.working_days is not None else vm.days
        if vm.limit_field:
            own = rec.get(vm.limit_field)
            if own is not None and own == own:
                base = float(own)
        if base is None:
            return none
        total = float(base)
        for e, cond in version.extensions:
            if e.field:
                x = rec.get(e.field)
                total += float(x) if x is not None and x == x else 0.0
            elif cond.evaluate_record(rec):
                total += float(e.working_days)
        n = int(round(total))
        if vm.days is not None:
            due = start + n
        elif m.after_deadlines and n == 0:
            due = start
        else:
            due = self.add_working_days(start, n)
            if due is None:
                raise CalendarGap(f"{rule.id}: 自 {dt.date.fromordinal(start)} 起算的期限超出工作日历，请提供日历文件 "
                                  f"(the deadline from {dt.date.fromordinal(start)} is outside the working-day "
                                  "calendar; supply a calendar file)")
        closed = None
        for f in m.closed_by:
            c = rec.get(f)
            if c is not None and (closed is None or c.toordinal() < closed):
                closed = c.toordinal()
        late = closed > due if closed is not None else False
        if m.open_only and closed is not None:
            late = False
        return Due(rule.id, rule.code, due, closed, late)

    def _penalty(self, r: dict) -> list[Due]:
        out = []
        filed, decided, pub = r.get("filed_date"), r.get("decision_date"), r.get("publicized_date")
        if filed and not r.get("extension_approved"):
            due = _D(filed).toordinal() + self.decision_days
            closed = _D(decided).toordinal() if decided else None
            out.append(Due("decision_days", "procedure.decision_overdue", due, closed,
                           closed is not None and closed > due))
        sanctions = [s for s in (r.get("sanctions") or "").split(";") if s]
        if (decided and r.get("procedure") == "ordinary" and r.get("violation_code") in self.samr
                and ((r.get("fine") or 0) > 0 or any(s != "warning" for s in sanctions))):
            due = self.add_working_days(_D(decided).toordinal(), self.publication_wd)
            if due is None:
                raise CalendarGap(f"{decided} 决定后的公示期限超出工作日历 (the publication deadline after {decided} "
                                  "is outside the working-day calendar)")
            closed = _D(pub).toordinal() if pub else None
            out.append(Due("publication_working_days", "procedure.publication_overdue", due, closed,
                           closed is not None and closed > due))
        return out


def reported_late(schedule: list[Due], ruleset: RuleSet, as_of: int) -> set[str]:
    """Codes review would report for this schedule as of a date ordinal (open: as_of > due; unless_overdue)."""
    late = {}
    for d in schedule:
        if d.due is None:
            late[d.rule_id] = False
            continue
        rule = ruleset.deadlines.get(d.rule_id)
        lt = d.closed > d.due if d.closed is not None else as_of > d.due
        if rule is not None and rule.model.open_only and d.closed is not None:
            lt = False
        late[d.rule_id] = lt
    out = set()
    for d in schedule:
        rule = ruleset.deadlines.get(d.rule_id)
        if late[d.rule_id] and not (rule and rule.model.unless_overdue and late.get(rule.model.unless_overdue)):
            out.add(d.code)
    return out
