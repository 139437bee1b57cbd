"""The same rules evaluated record by record in plain Python: the baseline the column-wise
review is measured against (issue: ≥ 20× faster).

It reads the same rule files and uses the same expression trees (through the
one-record compiler), the same parameters and the same working-day calendar,
one record at a time: provision, version (从旧兼从轻), branch, statutory range,
tiers and lawful range, then the range, officer, simple-procedure, hearing,
decision-deadline and publication checks.  ``bench_review.py`` checks that
both give the same codes on the benchmark data before timing them.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from engine.penalty import tiers as T
from engine.records.schema import AGGRAVATING, MAY_MITIGATE, SHALL_MITIGATE, SHALL_NOT_PUNISH

COVERED = {"penalty.above_statutory_max", "penalty.below_statutory_min", "penalty.outside_tier",
           "procedure.too_few_officers", "procedure.simple_procedure_exceeded", "procedure.hearing_not_offered",
           "procedure.decision_overdue", "procedure.publication_overdue"}


def _in_force(v, day):
    return v.valid_from <= day and (v.valid_to is None or day <= v.valid_to)


def _branch(version, rec):
    for b in version.branches:
        if b.condition.evaluate_record(rec):
            fine = b.model.fine
            if fine is None:
                return b, None, None
            base = rec.get(fine.base) if fine.is_multiple else 1.0
            if base is None:
                return b, None, None
            return b, round(float(fine.lo) * base, 2), round(float(fine.hi) * base, 2)
    return None, None, None


class RecordByRecord:
    def __init__(self, ruleset, calendar, as_of: dt.date):
        self.rs, self.cal, self.as_of = ruleset, calendar, as_of
        v = ruleset.value
        self.light, self.heavy = float(v("tier_light_upto")), float(v("tier_heavy_from"))
        self.min_officers = int(v("min_officers"))
        self.simple_i, self.simple_o = float(v("simple_max_fine_individual")), float(v("simple_max_fine_organization"))
        self.hear_i, self.hear_o = float(v("hearing_threshold_individual")), float(v("hearing_threshold_organization"))
        self.hear_s = set(v("hearing_sanctions"))
        self.days = int(v("decision_days"))
        self.wd = int(v("publication_working_days"))

    def evaluate(self, rec: dict) -> set[str]:
        codes: set[str] = set()
        cp = self.rs.provisions[self.rs.codes[rec["violation_code"]]]
        act = rec.get("violation_end_date") or rec["violation_date"]
        dec = rec["decision_date"]
        va = next((v for v in cp.versions if _in_force(v, act)), None)
        vd = next((v for v in cp.versions if _in_force(v, dec)), None)
        if va is None or vd is None:
            return codes
        chosen = _branch(va, rec)
        if vd is not va:
            other = _branch(vd, rec)
            if (other[2] or 0) < (chosen[2] or 0) or ((other[2] or 0) == (chosen[2] or 0)
                                                      and (other[1] or 0) < (chosen[1] or 0)):
                chosen = other
        b, lo, hi = chosen
        factors = set(rec.get("factors") or ())
        sanctions = set(rec.get("sanctions") or ())
        fine = rec.get("fine") or 0.0
        mit, agg = bool(factors & set(SHALL_MITIGATE + MAY_MITIGATE)), bool(factors & set(AGGRAVATING))
        tiers = (T.LIGHT | T.MITIGATED) if mit and not agg else T.HEAVY if agg and not mit else T.ORDINARY
        if {"first_offense", "corrected_promptly"} <= factors and rec.get("harm") in ("none", "minor"):
            tiers |= T.NONE
        if factors & set(SHALL_NOT_PUNISH):
            tiers = T.NONE
        if tiers != T.NONE:
            if fine > (hi or 0.0) + 0.005:
                codes.add("penalty.above_statutory_max")
            elif hi is not None:
                alt_ok = fine <= 0.005 and ((tiers & T.NONE) or (b.model.fine.alternative and "warning" in sanctions))
                if fine < lo - 0.005 and not (tiers & T.MITIGATED) and not alt_ok:
                    codes.add("penalty.below_statutory_min")
                elif not alt_ok and fine >= lo - 0.005:
                    span = hi - lo
                    bounds = {T.LIGHT: (lo, round(lo + self.light * span, 2)),
                              T.ORDINARY: (round(lo + self.light * span, 2), round(lo + self.heavy * span, 2)),
                              T.HEAVY: (round(lo + self.heavy * span, 2), hi)}
                    inside = any(tiers & bit and a - 0.005 <= fine <= z + 0.005 for bit, (a, z) in bounds.items())
                    inside |= bool(tiers & T.MITIGATED) and fine < lo - 0.005
                    if not inside:
                        codes.add("penalty.outside_tier")
        need = cp.model.min_officers or self.min_officers
        if len(set(rec.get("officers") or ())) < need:
            codes.add("procedure.too_few_officers")
        indiv = rec.get("party_type") == "individual"
        if rec.get("procedure") == "simple" and (fine > (self.simple_i if indiv else self.simple_o) + 0.005
                                                 or sanctions - {"warning"}):
            codes.add("procedure.simple_procedure_exceeded")
        threshold = self.hear_i if indiv else self.hear_o
        if not rec.get("hearing_notified") and (fine >= threshold or (rec.get("confiscated_gain") or 0) >= threshold
                                                or sanctions & self.hear_s):
            codes.add("procedure.hearing_not_offered")
        filed = rec.get("filed_date")
        if filed and dec > filed + dt.timedelta(days=self.days) and not rec.get("extension_approved"):
            codes.add("procedure.decision_overdue")
        if cp.model.samr_publication and rec.get("procedure") == "ordinary" and (fine > 0 or sanctions - {"warning"}):
            due = self.cal.add_working_days(np.array([np.datetime64(dec, "D")]), self.wd)[0].astype(dt.date)
            pub = rec.get("publicized_date")
            if (pub and pub > due) or (not pub and self.as_of > due):
                codes.add("procedure.publication_overdue")
        return codes


def records_from_frame(frame) -> list[dict]:
    """Plain Python records (dates as datetime.date, lists as lists) from a benchmark frame."""
    out = []
    cols = list(frame.columns)
    for values in zip(*(frame[c].tolist() for c in cols)):
        r = dict(zip(cols, values))
        for k in ("violation_date", "violation_end_date", "discovered_date", "filed_date", "decision_date",
                  "publicized_date"):
            v = r.get(k)
            r[k] = v.date() if hasattr(v, "date") and v == v else None
        for k in ("officers", "sanctions", "factors"):
            r[k] = [x for x in (r.get(k) or "").split(";") if x]
        out.append(r)
    return out
