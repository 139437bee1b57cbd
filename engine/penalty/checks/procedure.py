"""Procedural rules of the 行政处罚法 (Arts. 42, 51, 60, 63) and SAMR publication (公示规定 Art. 9).

Every threshold is a cited parameter from ``rules/procedure/`` so a province
can set its own 较大数额 without touching code.
"""
from __future__ import annotations

import numpy as np

from engine.checks.common import cites, iso, yuans
from engine.findings import FindingBatch
from engine.penalty.decisions import SANCTIONS, decision_view
from engine.records.schema import SANCTION_ZH


def too_few_officers(ev):
    """Fewer officers than the law requires (Art. 42).  A record that names no officer at all (a blank
    cell, no officers column, a JSON ``[]``) says nothing about how many there were: reporting
    "0 officers" would accuse a department of what may be a gap in the export, so only records
    naming at least one officer are counted."""
    p = ev.ruleset.param("min_officers")
    have = ev.records.officer_count
    groups = [(p.value, p.citation, np.ones(ev.n, dtype=bool))]
    for pid, cp in ev.ruleset.provisions.items():
        if cp.model.min_officers is not None:
            m = ev.is_provision(pid)
            groups[0][2][m] = False
            groups.append((cp.model.min_officers, cp.model.min_officers_citation, m))
    for need, citation, m in groups:
        head = decision_view(ev)[0]
        rows = np.flatnonzero(ev.evaluated & head & m & (have > 0) & (have < int(need)))
        if not len(rows):
            continue
        got = have[rows].tolist()
        yield FindingBatch(
            "procedure.too_few_officers", rows, facts=("officers",),
            expected={"min_officers": int(need)}, actual={"officers": have[rows]},
            message_zh=[f"执法人员{g}人，少于法定的{need}人" for g in got],
            message_en=[f"{g} enforcement officer(s) recorded; at least {need} required" for g in got],
            citations=cites(citation))


def _named(ev, rows, zh: list, en: list) -> tuple[list, list]:
    """Messages of a decision-level finding, naming the decision where it covers several rows."""
    _, fine, _, size = decision_view(ev)
    if not (size[rows] > 1).any():
        return zh, en
    nos = ev._take("decision_no", rows)
    out_zh, out_en = [], []
    for z, e, no, k, f in zip(zh, en, nos.tolist(), size[rows].tolist(), fine[rows].tolist()):
        if k > 1:
            z = f"决定书{no}（{k}项违法行为，罚款合计{yuans([f])[0]}）：{z}"
            e = f"decision {no} ({k} violations, fines {f:,.2f} yuan in all): {e}"
        out_zh.append(z)
        out_en.append(e)
    return out_zh, out_en


def _decision_facts(ev) -> tuple:
    """Where rows share a decision, its number is a fact of every decision-level finding."""
    size = decision_view(ev)[3]
    return ("decision_no",) if (size > 1).any() else ()


def _sanctions_other_than(ev, allowed) -> np.ndarray:
    """Rows whose decision (every row of it, engine.penalty.decisions) imposes a sanction not in ``allowed``."""
    column = SANCTIONS if SANCTIONS in ev.frame.columns else "sanctions"
    out = np.zeros(ev.n, dtype=bool)
    for s in SANCTION_ZH:
        if s not in allowed:
            out |= ev.has_code(column, s)
    return out


def simple_procedure_exceeded(ev):
    rs = ev.ruleset
    lim_i, lim_o = float(rs.value("simple_max_fine_individual")), float(rs.value("simple_max_fine_organization"))
    allowed = sorted(rs.value("simple_allowed_sanctions"))
    simple = (ev.frame["procedure"] == "simple").to_numpy(dtype=bool, na_value=False)
    indiv = (ev.frame["party_type"] == "individual").to_numpy(dtype=bool, na_value=False)
    limit = np.where(indiv, lim_i, lim_o)
    other = _sanctions_other_than(ev, allowed)
    head, fine, _, _ = decision_view(ev)
    rows = np.flatnonzero(ev.evaluated & head & simple & ((fine > limit + 0.005) | other))
    if not len(rows):
        return
    who = ["公民" if i else "法人或者其他组织" for i in indiv[rows].tolist()]
    lim, fines, extra = yuans(limit[rows]), yuans(fine[rows]), other[rows].tolist()
    yield FindingBatch(
        "procedure.simple_procedure_exceeded", rows, facts=("procedure", "party_type", "fine", "sanctions"),
        expected={"max_fine": limit[rows], "sanctions_allowed": allowed}, actual={"fine": fine[rows]},
        message_zh=[f"简易程序只适用于对{w}处以{l}以下罚款或者警告，本案罚款{f}" + ("且有其他处罚种类" if x else "")
                    for w, l, f, x in zip(who, lim, fines, extra)],
        message_en=[f"simple procedure allows only a fine up to {l:,.0f} yuan or a warning for this party; "
                    f"this decision has {f:,.2f} yuan" + (" and other sanctions" if x else "")
                    for l, f, x in zip(limit[rows].tolist(), fine[rows].tolist(), extra)],
        citations=cites(rs.param("simple_max_fine_individual").citation))


def hearing_not_offered(ev):
    rs = ev.ruleset
    th_i, th_o = float(rs.value("hearing_threshold_individual")), float(rs.value("hearing_threshold_organization"))
    indiv = (ev.frame["party_type"] == "individual").to_numpy(dtype=bool, na_value=False)
    threshold = np.where(indiv, th_i, th_o)
    head, fine, confiscated, _ = decision_view(ev)
    heavy = _sanctions_other_than(ev, set(SANCTION_ZH) - set(rs.value("hearing_sanctions")))
    large = (fine >= threshold) | (confiscated >= threshold)
    notified = ev.column("hearing_notified").astype(bool)
    hit = ev.evaluated & head & (large | heavy) & ~notified
    c_amount = rs.param("hearing_threshold_individual").citation
    c_sanction = rs.param("hearing_sanctions").citation
    for is_large, is_heavy in ((True, False), (False, True), (True, True)):
        rows = np.flatnonzero(hit & (large == is_large) & (heavy == is_heavy))
        if not len(rows):
            continue
        th = yuans(threshold[rows])
        zh = []
        for t, ind in zip(th, indiv[rows].tolist()):
            why = ([f"较大数额（{'公民' if ind else '单位'}{t}以上）"] if is_large else []) + \
                  (["责令停产停业或吊销许可证件/营业执照"] if is_heavy else [])
            zh.append(f"拟作出{'、'.join(why)}的处罚，未告知当事人有要求听证的权利")
        zh, en = _named(ev, rows, zh, ["the decision carries a hearing right (large amount or "
                                       "suspension/revocation) but the party was not told of it"] * len(rows))
        yield FindingBatch(
            "procedure.hearing_not_offered", rows,
            facts=("party_type", "fine", "confiscated_gain", "sanctions", "hearing_notified") + _decision_facts(ev),
            expected={"hearing_notice_required": True, "large_amount_threshold": threshold[rows]},
            actual={"hearing_notified": False},
            message_zh=zh, message_en=en,
            citations=cites(*([c_amount] if is_large else []), *([c_sanction] if is_heavy else [])))


def decision_overdue(ev):
    p = ev.ruleset.param("decision_days")
    days = int(p.value)
    filed, dd = ev.column("filed_date"), ev.column("decision_date")
    deadline = filed + np.timedelta64(days, "D")
    ext = ev.column("extension_approved").astype(bool)
    head = decision_view(ev)[0]
    rows = np.flatnonzero(ev.evaluated & head & ~np.isnat(filed) & (dd > deadline) & ~ext)
    if not len(rows):
        return
    late = (dd[rows] - deadline[rows]).astype(int)
    f, d, dl = iso(filed[rows]), iso(dd[rows]), iso(deadline[rows])
    yield FindingBatch(
        "procedure.decision_overdue", rows, facts=("filed_date", "decision_date", "extension_approved"),
        expected={"decide_by": dl, "days": days}, actual={"decision_date": d, "days_late": late},
        message_zh=[f"{a}立案，应于{days}日内（{c}前）作出决定，实际{b}作出，逾期{n}日且无延期批准"
                    for a, b, c, n in zip(f, d, dl, late.tolist())],
        message_en=[f"filed {a}; the decision was due within {days} days (by {c}) but came {n} day(s) late "
                    f"on {b} with no approved extension" for a, b, c, n in zip(f, d, dl, late.tolist())],
        citations=cites(p.citation), event_date=deadline[rows])


def publication_overdue(ev):
    p = ev.ruleset.param("publication_working_days")
    wd = int(p.value)
    samr = ev.of_provisions([pid for pid, cp in ev.ruleset.provisions.items() if cp.model.samr_publication])
    ordinary = (ev.frame["procedure"] == "ordinary").to_numpy(dtype=bool, na_value=False)
    other_sanction = _sanctions_other_than(ev, {"warning"})
    head, fine, _, _ = decision_view(ev)
    publishable = ev.evaluated & head & samr & ordinary & ((fine > 0) | other_sanction)
    dd, pub = ev.column("decision_date"), ev.column("publicized_date")
    deadline, known = ev.calendar.add_working_days_safe(np.where(publishable, dd, np.datetime64("NaT")), wd)
    unknown = publishable & ~known
    ev.records.rejections.add(
        unknown, lambda d: f"公示期限（{d}后{wd}个工作日）超出工作日历覆盖范围（{ev.calendar.describe_coverage()}），"
                           f"请提供工作日历文件 (the publication deadline ({wd} working days after {d}) is outside "
                           f"the working-day calendar ({ev.calendar.describe_coverage()}); supply a calendar file)",
        dd)
    as_of = np.datetime64(ev.as_of, "D")
    late = publishable & known & (((~np.isnat(pub)) & (pub > deadline)) | (np.isnat(pub) & (as_of > deadline)))
    for published in (True, False):
        rows = np.flatnonzero(late & (~np.isnat(pub) if published else np.isnat(pub)))
        if not len(rows):
            continue
        d, dl, pb = iso(dd[rows]), iso(deadline[rows]), iso(pub[rows])
        if published:
            zh = [f"{a}作出的处罚决定应于{wd}个工作日内（{b}前）公示，实际{c}公示" for a, b, c in zip(d, dl, pb)]
            en = [f"decided {a}; due for publication within {wd} working days (by {b}); published {c}"
                  for a, b, c in zip(d, dl, pb)]
            actual = {"publicized_date": pb}
        else:
            zh = [f"{a}作出的处罚决定应于{wd}个工作日内（{b}前）公示，截至{as_of}仍未公示" for a, b in zip(d, dl)]
            en = [f"decided {a}; due for publication within {wd} working days (by {b}); not published as of {as_of}"
                  for a, b in zip(d, dl)]
            actual = {"publicized_date": None, "as_of": str(as_of)}
        yield FindingBatch(
            "procedure.publication_overdue", rows,
            facts=("decision_date", "publicized_date", "procedure", "sanctions", "fine"),
            expected={"publish_by": dl, "working_days": wd}, actual=actual,
            message_zh=zh, message_en=en, citations=cites(p.citation), event_date=deadline[rows])


CHECKS = (too_few_officers, simple_procedure_exceeded, hearing_not_offered, decision_overdue,
          publication_overdue)
