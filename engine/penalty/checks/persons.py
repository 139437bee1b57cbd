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
    if PERSONS not in ev.frame.columns:
        return
    numbered = ev.frame["decision_no"].notna().to_numpy()
    subject = ev.frame["subject"].astype(object).to_numpy()
    unit = pd.isna(subject) | (subject == "party")
    present = ev.frame[PERSONS].to_numpy(dtype=np.int64)
    for i, (k, who) in enumerate(persons_duties(ev.ruleset, ev.provision_ids)):
        pid = ev.provision_ids[k]
        duty, cond = ev.ruleset.provisions[pid].persons[who]
        hit = ev.evaluated & numbered & unit & (ev.provision_idx == k) & penalized(ev) & ((present >> i) & 1 == 0)
        if cond is not None and hit.any():
            idx = np.flatnonzero(hit)
            hold = np.asarray(cond.evaluate(ev.frame.iloc[idx]), dtype=bool)
            hit[idx[~hold]] = False
        rows = np.flatnonzero(hit)
        if not len(rows):
            continue
        nos = ev.frame["decision_no"].astype(object).to_numpy()[rows].tolist()
        zh_who = SUBJECT_ZH[who]
        yield FindingBatch(
            "penalty.persons_not_punished", rows, facts=("decision_no", "subject", "fine", "sanctions"),
            expected={"persons": who}, actual={"persons": None},
            message_zh=[f"决定书{no}依{pid}处罚了单位，{pid}规定同时处罚{zh_who}，本决定书中没有对{zh_who}的处罚"
                        "（如已另行作出决定，请以同一决定书编号记录）" for no in nos],
            message_en=[f"decision {no} punishes the unit under {pid}, which also requires a penalty on the "
                        f"{who.replace('_', ' ')}; the decision has none" for no in nos],
            citations=cites(duty.citation))


CHECKS = (persons_not_punished,)
