"""Whether the party may be punished at all: time bar (Art. 36), a provision in force
after 从旧兼从轻 (Art. 37), and one fine per act (Art. 29)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import apl, cites, iso, yuans
from engine.findings import FindingBatch, objects
from engine.penalty.branches import groups


def penalized(ev) -> np.ndarray:
    return (ev.fine > 0) | (ev.frame["sanctions"] != "").to_numpy(dtype=bool, na_value=False)


def _add_years(dates: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Same month and day ``years`` later (29 Feb → 28 Feb), vectorized."""
    d = pd.DatetimeIndex(dates)
    out = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[D]")
    for y in np.unique(years):
        m = years == y
        out[m] = (d[m] + pd.DateOffset(years=int(y))).to_numpy().astype("datetime64[D]")
    return out


def time_barred(ev):
    rs = ev.ruleset
    short, long_ = int(rs.value("time_bar_years")), int(rs.value("time_bar_years_extended"))
    sensitive = ev.of_provisions([pid for pid, cp in rs.provisions.items()
                                  if cp.model.life_health or cp.model.financial_safety])
    # "harm is not none": an unrecorded harm does not shorten the period to two years — a time-bar
    # finding accuses the department of acting without power, so it needs the fact that proves it
    has_harm = ~(ev.frame["harm"] == "none").to_numpy(dtype=bool, na_value=False)
    years = np.where(sensitive & has_harm, long_, short)
    disc = ev.column("discovered_date")
    limit = _add_years(ev.act_date, years)
    hit = ev.evaluated & ~np.isnat(disc) & (disc > limit) & penalized(ev)
    ev.time_barred = hit
    rows = np.flatnonzero(hit)
    if not len(rows):
        return
    act, lim, dis, y = iso(ev.act_date[rows]), iso(limit[rows]), iso(disc[rows]), years[rows].tolist()
    basis = ["涉及生命健康安全、金融安全且有危害后果，五年" if v == long_ else "二年" for v in y]
    yield FindingBatch(
        "penalty.time_barred", rows,
        facts=("violation_date", "violation_end_date", "discovered_date", "harm", "fine", "sanctions"),
        expected={"discover_by": lim, "years": years[rows]},
        actual={"discovered_date": dis},
        message_zh=[f"违法行为终了于{a}，{b}内未被发现（期限至{l}），{d}才发现，依法不再给予行政处罚"
                    for a, b, l, d in zip(act, basis, lim, dis)],
        message_en=[f"act ended {a} and was not discovered within {n} years (until {l}); discovered {d}: "
                    "no penalty may be imposed" for a, n, l, d in zip(act, y, lim, dis)],
        citations=cites(apl(36, 1)))


def no_provision(ev):
    hit = ev.evaluated & ev.no_provision & penalized(ev)
    dd = ev.column("decision_date")
    for k, rows in groups(ev.provision_idx, np.flatnonzero(hit & (ev.provision_idx >= 0))):
        cp = ev.ruleset.provisions[ev.provision_ids[k]]
        spans = "; ".join(f"{v.valid_from}–{v.valid_to or '今'}" for v in cp.versions)
        act, dec = iso(ev.act_date[rows]), iso(dd[rows])
        yield FindingBatch(
            "penalty.no_provision", rows,
            facts=("violation_code", "violation_date", "violation_end_date", "decision_date", "fine"),
            expected={"provision": cp.id, "versions_in_force": spans},
            actual={"act_date": act, "decision_date": dec},
            message_zh=[f"{cp.id}（{cp.model.citation.short()}）在违法行为发生时（{a}）或作出决定时（{d}）"
                        f"不在有效期内（有效期：{spans}），处罚没有法律依据" for a, d in zip(act, dec)],
            message_en=[f"{cp.id} was not in force on the act date {a} or on the decision date {d} "
                        f"(in force: {spans}): the penalty has no legal basis" for a, d in zip(act, dec)],
            citations=cites(apl(37), apl(38, 1), cp.model.citation))


def shared_acts(frame, violation_dates: np.ndarray, fined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(act key per row, positions of the fined rows whose act another fined row shares).

    An act is its act_id where recorded, else (party_id, violation_code,
    violation_date); keys are integers, no strings are built.
    """
    act, _ = pd.factorize(frame["act_id"], use_na_sentinel=True)
    party, _ = pd.factorize(frame["party_id"], use_na_sentinel=True)
    code, codes_u = pd.factorize(frame["violation_code"], use_na_sentinel=True)
    day, days_u = pd.factorize(violation_dates, use_na_sentinel=True)
    has_act, has_party = act >= 0, party >= 0
    by_party = (party.astype(np.int64) * (len(codes_u) + 1) + code + 1) * (len(days_u) + 1) + day + 1
    key = np.where(has_act, -1 - act.astype(np.int64), by_party)
    usable = np.flatnonzero(fined & (has_act | has_party))
    dup = pd.Series(key[usable]).duplicated(keep=False).to_numpy()
    return key, usable[dup]


def double_fine(ev):
    """行政处罚法 Art. 29: the same act of the same party fined more than once in the batch.

    The first decision (by date, then row) stands; every later one is the finding.
    """
    if ev.double_fines is not None:   # judged over the whole batch (engine.batchwide)
        yield from ev.double_fines()
        return
    # an act without act_id is known by its date: a blank one matches nothing (it may be another act)
    dated = ~np.isnat(ev.column("violation_date")) | ev.frame["act_id"].notna().to_numpy()
    fined = ev.evaluated & (ev.fine > 0) & dated
    if fined.sum() < 2:
        return
    key, pos = shared_acts(ev.frame, ev.column("violation_date"), fined)
    if not len(pos):
        return
    sub = pd.DataFrame({"key": key[pos], "date": ev.column("decision_date")[pos],
                        "row": ev.column("__row__")[pos], "pos": pos})
    sub = sub.sort_values(["key", "date", "row"])
    later = sub["key"].duplicated(keep="first").to_numpy()
    ids = dict(zip(sub["pos"].tolist(), ev._take("case_id", sub["pos"].to_numpy()).tolist()))
    earlier_ids: dict[int, list] = {}
    others = []
    for k, pos in zip(sub["key"].tolist(), sub["pos"].tolist()):
        seen = earlier_ids.setdefault(k, [])
        others.append(list(seen))
        seen.append(ids[pos])
    others = [o for o, l in zip(others, later) if l]
    rows = sub["pos"].to_numpy()[later]
    order = np.argsort(rows, kind="stable")
    rows, others = rows[order], [others[i] for i in order]
    fines = yuans(ev.fine[rows])
    yield FindingBatch(
        "penalty.double_fine", rows,
        facts=("act_id", "party_id", "violation_code", "violation_date", "decision_date", "fine"),
        expected={"requirement": "one fine per act (同一个违法行为不得给予两次以上罚款)"},
        actual={"also_fined_in": objects(others)},
        message_zh=[f"同一违法行为已在案件{'、'.join(map(str, o))}中罚款，本案再次罚款{y}" for o, y in zip(others, fines)],
        message_en=[f"the same act was already fined in case(s) {', '.join(map(str, o))}; this case fines it again"
                    for o in others],
        citations=cites(apl(29)))


def subject_not_provided(ev):
    """A person of the unit punished under a provision that punishes only the party (or the reverse):
    no legal basis for punishing that subject (行政处罚法 Art. 38 ¶1)."""
    from engine.records.schema import SUBJECT_ZH
    hit = ev.evaluated & ev.wrong_subject & penalized(ev)
    subj = ev.column("subject")
    for k, rows in groups(ev.provision_idx, np.flatnonzero(hit & (ev.provision_idx >= 0))):
        pid = ev.provision_ids[k]
        cp = ev.ruleset.provisions[pid]
        allowed = "、".join(SUBJECT_ZH[s] for s in cp.model.subjects)
        who = [SUBJECT_ZH.get(str(s), str(s)) for s in subj[rows].tolist()]
        yield FindingBatch(
            "penalty.subject_not_provided", rows, facts=("violation_code", "subject", "fine", "sanctions"),
            expected={"subjects": list(cp.model.subjects)}, actual={"subject": objects(list(subj[rows]))},
            message_zh=[f"{cp.id}（{cp.model.citation.short()}）的处罚对象是{allowed}，不处罚{w}" for w in who],
            message_en=[f"{cp.id} punishes {', '.join(cp.model.subjects)}, not {s}" for s in subj[rows].tolist()],
            citations=cites(cp.model.citation, apl(38, 1)))


CHECKS = (time_barred, no_provision, subject_not_provided, double_fine)
