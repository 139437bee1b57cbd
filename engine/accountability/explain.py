"""Each notice explains itself: ``reason_zh`` / ``reason_en`` from its rule, count, window and measure."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine.accountability.loader import AccountabilityRules
from engine.accountability.triggers import Result

SUBJECT_ZH = {"officer": "执法人员", "department": "部门", "leader": "部门负责人"}


def add_reasons(result: Result, rules: AccountabilityRules, findings: pd.DataFrame) -> None:
    n = result.notices
    if n.empty:
        n["reason_zh"], n["reason_en"] = [], []
        return
    start, end = (d.isoformat() for d in result.window)
    triggers = {t.id: t for t in rules.triggers}
    exempt = np.bincount(result.exemption_links["notice"].to_numpy(), minlength=len(n))
    first = result.links.drop_duplicates("notice").set_index("notice")["finding"]
    case = findings["case_id"].to_numpy(dtype=object)
    code = findings["code"].to_numpy(dtype=object)
    zh, en = [], []
    for i, r in enumerate(n.itertuples(index=False)):
        t = triggers[r.rule_id].model
        who, who_en = _who(r), _who(r, en=True)
        ex_zh = f"（已扣除容错免责 {exempt[i]} 项）" if exempt[i] else ""
        ex_en = f" ({exempt[i]} exemption(s) removed)" if exempt[i] else ""
        rec = rules.step(r.measure).recommend if rules.step(r.measure) else []
        rec_zh = f"，并建议{'、'.join(rec)}" if rec else ""
        rec_en = f", with {', '.join(rec)} recommended" if rec else ""
        m_en = rules.measure_en(r.measure)
        if t.type == "count":
            lv = next(lv for k, lv in enumerate(t.levels) if r.variant == f"{t.id}#{k}")
            zh.append(f"{start}至{end}，{who}涉及{r.count}个{t.counts_zh}{ex_zh}，达到“{lv.at_least}个以上”档次："
                      f"建议{r.measure}{rec_zh}。")
            en.append(f"{start} to {end}: {who_en} — {t.counts_en}: {r.count}{ex_en}; "
                      f"the '{lv.at_least} or more' level recommends {m_en} ({r.measure}){rec_en}.")
        elif t.type == "double_check":
            f = first.get(i)
            what = f"{case[f]} {code[f]}" if f is not None else ""
            zh.append(f"一案双查：{what}为{t.counts_zh}，除追究执法人员责任外，建议追究{who}的{r.measure}。")
            en.append(f"One case, two inquiries: {what} is a {t.counts_en}; besides the officers, "
                      f"{m_en} ({r.measure}) of {who_en} is recommended.")
        elif t.type == "ranking":
            d = json.loads(r.details)
            zh.append(f"{start}至{end}，{r.department}已审查案件{d['evaluated_cases']}件，{t.counts_zh}"
                      f"{d['findings']}个，每{d['per']}件{d['rate_per_100']}个，在{d['eligible_departments']}个"
                      f"已审查案件不少于{d['min_cases']}件的部门中排名倒数第{d['rank']}（后{d['bottom_n']}名）："
                      f"建议对{who}{r.measure}{ex_zh}{rec_zh}。")
            en.append(f"{start} to {end}: {r.department} had {d['findings']} {t.counts_en} in "
                      f"{d['evaluated_cases']} evaluated cases ({d['rate_per_100']} per {d['per']}), rank "
                      f"{d['rank']} from the worst of {d['eligible_departments']} departments with at least "
                      f"{d['min_cases']} cases (worst {d['bottom_n']}){ex_en}: {m_en} ({r.measure}) for {who_en}.")
        else:
            d = json.loads(r.details)
            frm = d["from_measure"] if d["from_measure"] == d["from_step"] else \
                f"{d['from_measure']}（按{d['from_step']}计）"
            top = "（已是最重一级，维持）" if d["at_top_of_ladder"] else ""
            top_en = " (already the top of the ladder; kept)" if d["at_top_of_ladder"] else ""
            zh.append(f"{start}至{end}，{who}共有{d['notices']}项问责建议（{d['escalate_after']}项以上从重）："
                      f"由{frm}提高为{r.measure}{top}{rec_zh}。")
            en.append(f"{start} to {end}: {d['notices']} notices concern {who_en} ({d['escalate_after']} or more "
                      f"are treated more heavily): from {frm} up to {m_en} ({r.measure}){top_en}{rec_en}.")
    n["reason_zh"], n["reason_en"] = zh, en


def _who(r, en: bool = False) -> str:
    name = r.subject_name if isinstance(r.subject_name, str) else None
    sid = r.subject_id if isinstance(r.subject_id, str) else None
    dept = r.department if isinstance(r.department, str) else None
    if r.subject_type == "leader":
        person = f"{name}（{sid}）" if name else (sid or "")
        if en:
            return f"the leader of {dept or '(no department)'}" + (f", {person}" if person else
                                                                            " (no leader in the roster)")
        return f"{dept or ''}负责人" + (person or "（名册中无负责人）")
    if r.subject_type == "department":
        return f"{'department ' if en else '部门'}{sid}"
    flag = (" (not in the roster)" if en else "（不在名册）") if r.not_in_roster else ""
    return f"{'officer ' if en else '执法人员'}{name + '（' + sid + '）' if name else sid}{flag}"
