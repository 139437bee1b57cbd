"""Procedural rules of the 行政处罚法 (Arts. 42, 51, 60, 63) and SAMR publication (公示规定 Art. 9).

Every threshold is a cited parameter from ``rules/procedure/`` so a province
can set its own 较大数额 without touching code.
"""
from __future__ import annotations

import numpy as np

from engine.checks.common import cites, facts, value, yuan
from engine.findings import FindingBatch
from engine.records.schema import SANCTION_ZH


def too_few_officers(ev):
    p = ev.ruleset.param("min_officers")
    need = np.full(ev.n, int(p.value))
    cite_for = {}
    for pid, cp in ev.ruleset.provisions.items():
        if cp.model.min_officers is not None:
            need[ev.provision == pid] = cp.model.min_officers
            cite_for[pid] = cp.model.min_officers_citation
    have = ev.records.officer_count
    rows = np.flatnonzero(ev.evaluated & (have < need))

    def explain(k):
        i = rows[k]
        c = cite_for.get(ev.provision[i], p.citation)
        return (facts(ev, i, "officers"), {"min_officers": int(need[i])}, {"officers": int(have[i])},
                f"执法人员{int(have[i])}人，少于法定的{int(need[i])}人",
                f"{int(have[i])} enforcement officer(s) recorded; at least {int(need[i])} required",
                cites(c))
    yield FindingBatch("procedure.too_few_officers", rows, explain)


def simple_procedure_exceeded(ev):
    rs = ev.ruleset
    lim_i, lim_o = float(rs.value("simple_max_fine_individual")), float(rs.value("simple_max_fine_organization"))
    allowed = set(rs.value("simple_allowed_sanctions"))
    simple = (ev.frame["procedure"] == "simple").to_numpy(dtype=bool, na_value=False)
    indiv = (ev.frame["party_type"] == "individual").to_numpy(dtype=bool, na_value=False)
    limit = np.where(indiv, lim_i, lim_o)
    other = np.zeros(ev.n, dtype=bool)
    for s in SANCTION_ZH:
        if s not in allowed:
            other |= ev.has_code("sanctions", s)
    hit = ev.evaluated & simple & ((ev.fine > limit + 0.005) | other)
    rows = np.flatnonzero(hit)
    cite = rs.param("simple_max_fine_individual").citation

    def explain(k):
        i = rows[k]
        who = "公民" if indiv[i] else "法人或者其他组织"
        return (facts(ev, i, "procedure", "party_type", "fine", "sanctions"),
                {"max_fine": float(limit[i]), "sanctions_allowed": sorted(allowed)},
                {"fine": float(ev.fine[i]), "sanctions": value(ev, "sanctions", i)},
                f"简易程序只适用于对{who}处以{yuan(limit[i])}以下罚款或者警告，本案罚款{yuan(ev.fine[i])}"
                + ("且有其他处罚种类" if other[i] else ""),
                f"simple procedure allows only a fine up to {limit[i]:,.0f} yuan or a warning for this party; "
                f"this decision has {ev.fine[i]:,.2f} yuan" + (" and other sanctions" if other[i] else ""),
                cites(cite))
    yield FindingBatch("procedure.simple_procedure_exceeded", rows, explain)


def hearing_not_offered(ev):
    rs = ev.ruleset
    th_i, th_o = float(rs.value("hearing_threshold_individual")), float(rs.value("hearing_threshold_organization"))
    indiv = (ev.frame["party_type"] == "individual").to_numpy(dtype=bool, na_value=False)
    threshold = np.where(indiv, th_i, th_o)
    confiscated = np.nan_to_num(ev.column("confiscated_gain").astype(float))
    heavy = np.zeros(ev.n, dtype=bool)
    for s in rs.value("hearing_sanctions"):
        heavy |= ev.has_code("sanctions", s)
    large = (ev.fine >= threshold) | (confiscated >= threshold)
    notified = ev.column("hearing_notified").astype(bool)
    hit = ev.evaluated & (large | heavy) & ~notified
    rows = np.flatnonzero(hit)
    c_amount = rs.param("hearing_threshold_individual").citation
    c_sanction = rs.param("hearing_sanctions").citation

    def explain(k):
        i = rows[k]
        why = []
        if large[i]:
            why.append(f"较大数额（{'公民' if indiv[i] else '单位'}{yuan(threshold[i])}以上）")
        if heavy[i]:
            why.append("责令停产停业或吊销许可证件/营业执照")
        return (facts(ev, i, "party_type", "fine", "confiscated_gain", "sanctions", "hearing_notified"),
                {"hearing_notice_required": True, "large_amount_threshold": float(threshold[i])},
                {"hearing_notified": False},
                f"拟作出{'、'.join(why)}的处罚，未告知当事人有要求听证的权利",
                "the decision carries a hearing right (large amount or suspension/revocation) "
                "but the party was not told of it",
                cites(*( [c_amount] if large[i] else []), *([c_sanction] if heavy[i] else [])))
    yield FindingBatch("procedure.hearing_not_offered", rows, explain)


def decision_overdue(ev):
    p = ev.ruleset.param("decision_days")
    days = int(p.value)
    filed, dd = ev.column("filed_date"), ev.column("decision_date")
    deadline = filed + np.timedelta64(days, "D")
    ext = ev.column("extension_approved").astype(bool)
    hit = ev.evaluated & ~np.isnat(filed) & (dd > deadline) & ~ext
    rows = np.flatnonzero(hit)

    def explain(k):
        i = rows[k]
        late = int((dd[i] - deadline[i]).astype(int))
        return (facts(ev, i, "filed_date", "decision_date", "extension_approved"),
                {"decide_by": str(deadline[i]), "days": days},
                {"decision_date": str(dd[i]), "days_late": late},
                f"{filed[i]}立案，应于{days}日内（{deadline[i]}前）作出决定，实际{dd[i]}作出，逾期{late}日且无延期批准",
                f"filed {filed[i]}; the decision was due within {days} days (by {deadline[i]}) "
                f"but came {late} day(s) late on {dd[i]} with no approved extension",
                cites(p.citation))
    ev.event_deadline_decision = deadline
    yield FindingBatch("procedure.decision_overdue", rows, explain)


def publication_overdue(ev):
    p = ev.ruleset.param("publication_working_days")
    wd = int(p.value)
    samr = np.zeros(ev.n, dtype=bool)
    for pid, cp in ev.ruleset.provisions.items():
        if cp.model.samr_publication:
            samr |= ev.provision == pid
    ordinary = (ev.frame["procedure"] == "ordinary").to_numpy(dtype=bool, na_value=False)
    warning = ev.has_code("sanctions", "warning")
    other_sanction = (ev.frame["sanctions"].str.len() > 0).to_numpy(dtype=bool, na_value=False) & \
        ~(ev.frame["sanctions"] == ";warning;").to_numpy(dtype=bool, na_value=False)
    publishable = ev.evaluated & samr & ordinary & ((ev.fine > 0) | other_sanction)
    del warning
    dd, pub = ev.column("decision_date"), ev.column("publicized_date")
    deadline, known = ev.calendar.add_working_days_safe(np.where(publishable, dd, np.datetime64("NaT")), wd)
    unknown = publishable & ~known
    ev.records.rejections.add(
        unknown, lambda d: f"the publication deadline ({wd} working days after {d}) is outside the "
                           f"working-day calendar ({ev.calendar.describe_coverage()}); supply a calendar file",
        dd)
    as_of = np.datetime64(ev.as_of, "D")
    late = publishable & known & (((~np.isnat(pub)) & (pub > deadline)) | (np.isnat(pub) & (as_of > deadline)))
    rows = np.flatnonzero(late)

    def explain(k):
        i = rows[k]
        if np.isnat(pub[i]):
            actual = {"publicized_date": None, "as_of": str(as_of)}
            zh = f"{dd[i]}作出的处罚决定应于{wd}个工作日内（{deadline[i]}前）公示，截至{as_of}仍未公示"
            en = f"decided {dd[i]}; due for publication within {wd} working days (by {deadline[i]}); not published as of {as_of}"
        else:
            actual = {"publicized_date": str(pub[i])}
            zh = f"{dd[i]}作出的处罚决定应于{wd}个工作日内（{deadline[i]}前）公示，实际{pub[i]}公示"
            en = f"decided {dd[i]}; due for publication within {wd} working days (by {deadline[i]}); published {pub[i]}"
        return (facts(ev, i, "decision_date", "publicized_date", "procedure", "sanctions", "fine"),
                {"publish_by": str(deadline[i]), "working_days": wd}, actual, zh, en, cites(p.citation))
    ev.event_deadline_publication = deadline
    yield FindingBatch("procedure.publication_overdue", rows, explain)


CHECKS = (too_few_officers, simple_procedure_exceeded, hearing_not_offered, decision_overdue,
          publication_overdue)
