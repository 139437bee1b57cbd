"""Whether the party may be punished at all: time bar (Art. 36), a provision in force
after 从旧兼从轻 (Art. 37), and one fine per act (Art. 29)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import apl, cites, facts, yuan
from engine.findings import FindingBatch


def penalized(ev) -> np.ndarray:
    return (ev.fine > 0) | (ev.frame["sanctions"].str.len() > 0).to_numpy(dtype=bool, na_value=False)


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
    sensitive = np.zeros(ev.n, dtype=bool)
    for pid, cp in rs.provisions.items():
        if cp.model.life_health or cp.model.financial_safety:
            sensitive |= ev.provision == pid
    harm = ev.frame["harm"]
    has_harm = harm.isin(["minor", "general", "serious"]).to_numpy(dtype=bool, na_value=False)
    years = np.where(sensitive & has_harm, long_, short)
    disc = ev.column("discovered_date")
    limit = _add_years(ev.act_date, years)
    hit = ev.evaluated & ~np.isnat(disc) & (disc > limit) & penalized(ev)
    ev.time_barred = hit
    rows = np.flatnonzero(hit)

    def explain(k):
        i = rows[k]
        y = int(years[i])
        basis = "涉及生命健康安全、金融安全且有危害后果，五年" if y == long_ else "二年"
        return (facts(ev, i, "violation_date", "violation_end_date", "discovered_date", "harm", "fine", "sanctions"),
                {"discover_by": str(limit[i]), "years": y},
                {"discovered_date": str(disc[i])},
                f"违法行为终了于{ev.act_date[i]}，{basis}内未被发现（期限至{limit[i]}），{disc[i]}才发现，依法不再给予行政处罚",
                f"act ended {ev.act_date[i]} and was not discovered within {y} years (until {limit[i]}); "
                f"discovered {disc[i]}: no penalty may be imposed",
                cites(apl(36, 1)))
    yield FindingBatch("penalty.time_barred", rows, explain)


def no_provision(ev):
    hit = ev.evaluated & ev.no_provision & penalized(ev)
    rows = np.flatnonzero(hit)
    dd = ev.column("decision_date")

    def explain(k):
        i = rows[k]
        cp = ev.ruleset.provisions[ev.provision[i]]
        spans = "; ".join(f"{v.valid_from}–{v.valid_to or '今'}" for v in cp.versions)
        return (facts(ev, i, "violation_code", "violation_date", "violation_end_date", "decision_date", "fine"),
                {"provision": cp.id, "versions_in_force": spans},
                {"act_date": str(ev.act_date[i]), "decision_date": str(dd[i])},
                f"{cp.id}（{cp.model.citation.short()}）在违法行为发生时（{ev.act_date[i]}）或作出决定时"
                f"（{dd[i]}）不在有效期内（有效期：{spans}），处罚没有法律依据",
                f"{cp.id} was not in force on the act date {ev.act_date[i]} or on the decision date {dd[i]} "
                f"(in force: {spans}): the penalty has no legal basis",
                cites(apl(37), apl(38, 1), cp.model.citation))
    yield FindingBatch("penalty.no_provision", rows, explain)


def double_fine(ev):
    """行政处罚法 Art. 29: the same act of the same party fined more than once in the batch."""
    f = ev.frame
    fined = ev.evaluated & (ev.fine > 0)
    if fined.sum() < 2:
        return
    vdate = pd.Series(np.datetime_as_string(ev.column("violation_date"), unit="D"), index=f.index)
    by_act = "A|" + f["act_id"].fillna("").astype("str")
    by_party = ("P|" + f["party_id"].fillna("").astype("str") + "|" + f["violation_code"].fillna("").astype("str")
                + "|" + vdate)
    has_act = f["act_id"].notna().to_numpy()
    has_fallback = f["party_id"].notna().to_numpy()
    key = by_act.where(has_act, by_party)
    usable = fined & (has_act | has_fallback)
    sub = pd.DataFrame({"key": key[usable].to_numpy(), "date": ev.column("decision_date")[usable],
                        "row": f["__row__"].to_numpy()[usable], "pos": np.flatnonzero(usable)})
    dup = sub["key"].duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    sub = sub[dup].sort_values(["key", "date", "row"])
    first = ~sub["key"].duplicated(keep="first").to_numpy()
    earlier = {}
    for k, g in sub.groupby("key", sort=False):
        earlier[k] = g["pos"].tolist()
    later = sub[~first]
    rows = later["pos"].to_numpy()
    keys = later["key"].to_numpy()
    case_ids = f["case_id"].to_numpy(dtype=object)

    def explain(k):
        i = rows[k]
        others = [case_ids[p] for p in earlier[keys[k]] if p != i]
        return (facts(ev, i, "act_id", "party_id", "violation_code", "violation_date", "decision_date", "fine"),
                "one fine per act (同一个违法行为不得给予两次以上罚款)",
                {"also_fined_in": others},
                f"同一违法行为已在案件{'、'.join(others)}中罚款，本案再次罚款{yuan(ev.fine[i])}",
                f"the same act was already fined in case(s) {', '.join(others)}; this case fines it again",
                cites(apl(29)))
    yield FindingBatch("penalty.double_fine", rows, explain)


CHECKS = (time_barred, no_provision, double_fine)
