"""双罚制: where a provision makes the decision punish persons of the unit beside the unit itself
("对直接负责的主管人员和其他直接责任人员处…罚款"), a decision (rows sharing ``decision_no``) that punishes
the unit under it and no such person under the same provision has left a mandatory penalty out.

Judged only where the decision is numbered: without ``decision_no`` the rows of one decision cannot be
told apart from separate decisions, and persons are often punished by decisions of their own — a
department that does so records them under the same number or reads the finding as a question."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import cites
from engine.findings import FindingBatch
from engine.penalty.checks.liability import penalized
from engine.penalty.decisions import PERSONS, persons_duties
from engine.records.schema import SUBJECT_ZH


def persons_not_punished(ev):
    """One finding per unit row whose decision punishes none of the persons its provision's duties name (the text
    names them together — 法定代表人、主要负责人、直接负责的主管人员和其他责任人员 — so any of them punished under
    the provision fulfils the duty)."""
    if PERSONS not in ev.frame.columns:
        return
    numbered = ev.frame["decision_no"].notna().to_numpy()
    subject = ev.frame["subject"].astype(object).to_numpy()
    # the unit: a row punishing the party where the party is an organization (an individual party has no
    # 直接负责的主管人员 to punish beside it)
    unit = (pd.isna(subject) | (subject == "party")) & (ev.frame["party_type"] != "individual").to_numpy(
        dtype=bool, na_value=True)
    present = ev.frame[PERSONS].to_numpy(dtype=np.int64)
    punished_units = ev.evaluated & numbered & unit & penalized(ev)
    by_provision: dict[int, list] = {}
    for i, (k, who) in enumerate(persons_duties(ev.ruleset, ev.provision_ids)):
        by_provision.setdefault(k, []).append((i, who))
    for k, duties in by_provision.items():
        pid = ev.provision_ids[k]
        cp = ev.ruleset.provisions[pid]
        idx = ev.provision_rows(pid)
        base = punished_units[idx]
        for i, _ in duties:                       # any person of the duties punished fulfils them
            base &= (present[idx] >> i) & 1 == 0
        if not base.any():
            continue
        idx = idx[base]
        due = np.zeros(len(idx), dtype=bool)
        for _, who in duties:
            cond = cp.persons[who][1]
            due |= np.ones(len(idx), bool) if cond is None else np.asarray(cond.evaluate(ev.frame.iloc[idx]), bool)
        rows = idx[due]
        if not len(rows):
            continue
        nos = ev.frame["decision_no"].astype(object).to_numpy()[rows].tolist()
        zh_who = "或".join(SUBJECT_ZH[who] for _, who in duties)
        en_who = " or ".join(who.replace("_", " ") for _, who in duties)
        yield FindingBatch(
            "penalty.persons_not_punished", rows, facts=("decision_no", "subject", "fine", "sanctions"),
            expected={"persons": [who for _, who in duties]}, actual={"persons": None},
            message_zh=[f"决定书{no}依{pid}处罚了单位，{pid}规定同时处罚{zh_who}，本决定书中没有对{zh_who}的处罚"
                        "（如已另行作出决定，请以同一决定书编号记录）" for no in nos],
            message_en=[f"decision {no} punishes the unit under {pid}, which also requires a penalty on the "
                        f"{en_who}; the decision has none" for no in nos],
            citations=cites(*dict.fromkeys(cp.persons[who][0].citation for _, who in duties)))


CHECKS = (persons_not_punished,)
