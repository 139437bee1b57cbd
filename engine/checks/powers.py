"""目录之外无权力: every penalty and approval must be backed by a power of its own department in force.

An approval is backed by the licensing power whose code is its item_code, a
penalty by the penalty power covering its violation_code; disclosures and
complaints are duties, not powers, and are not checked.  One merge of the
records with the power list (on the key) decides every row at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.findings import FindingBatch, objects
from engine.powers import PowerList

# record kind → (parameter naming the key field, the date the power must be in force on, which powers back it)
BACKING = {
    "penalty": ("penalty_power_key", "decision_date", PowerList.penalties),
    "approval": ("licensing_power_key", "received_date", PowerList.licensing),
}


def power_findings(ev, powers: PowerList):
    if ev.kind not in BACKING:
        return
    param, date_field, table_of = BACKING[ev.kind]
    key_field = ev.ruleset.value(param)
    citation = [ev.ruleset.param(param).citation.as_json()]
    table = table_of(powers)
    rows = np.flatnonzero(ev.evaluated)
    if not len(rows):
        return
    dates = ev.column(date_field)[rows]
    # integer codes for keys and departments: the merge and the comparison run on ints, not strings
    all_keys, key_names = pd.factorize(ev.frame[key_field], use_na_sentinel=True)
    all_depts, dept_names = pd.factorize(ev.frame["department"], use_na_sentinel=True)
    key_codes, rec_depts = all_keys[rows], all_depts[rows]
    table = table.assign(k=pd.Index(key_names).get_indexer(table["key"]),
                         d=pd.Index(dept_names).get_indexer(table["department"]))
    table = table[table["k"] >= 0]
    recs = pd.DataFrame({"i": np.arange(len(rows)), "k": key_codes, "date": dates})
    hit = recs.merge(table[["k", "d", "department", "valid_from", "valid_to"]], on="k", how="inner")
    start = hit["valid_from"].to_numpy().astype("datetime64[D]")
    end = hit["valid_to"].to_numpy().astype("datetime64[D]")
    when = hit["date"].to_numpy().astype("datetime64[D]")
    in_force = (np.isnat(start) | (when >= start)) & (np.isnat(end) | (when <= end))
    hit = hit[in_force]
    hit_dept = rec_depts[hit["i"].to_numpy()]
    same = (hit["d"].to_numpy() == hit_dept) & (hit_dept >= 0)
    own = np.zeros(len(rows), dtype=bool)
    own[hit["i"].to_numpy()[same]] = True
    others = hit[~same & ~own[hit["i"].to_numpy()]]
    holders = (others.drop_duplicates(["i", "department"]).sort_values(["i", "department"])
               .groupby("i")["department"].agg(list)) if len(others) else pd.Series(dtype=object)
    held_elsewhere = np.zeros(len(rows), dtype=bool)
    held_elsewhere[holders.index.to_numpy(dtype=np.int64)] = True
    what = {"penalty": ("处罚权", "penalty power"), "approval": ("许可权", "licensing power")}[ev.kind]

    wrong = rows[~own & held_elsewhere]
    if len(wrong):
        pos = np.flatnonzero(~own & held_elsewhere)
        who = [holders[int(p)] for p in pos]
        depts = ev._take("department", wrong)
        k, d, w = ev._take(key_field, wrong).tolist(), depts.tolist(), dates[pos]
        wd = np.datetime_as_string(w, unit="D").tolist()
        yield FindingBatch(
            "overreach.wrong_department", wrong, facts=(key_field, "department", date_field),
            expected={"departments_holding": objects(who)}, actual={"department": depts},
            message_zh=[f"“{a}”的{what[0]}在{c}列于{'、'.join(h)}的权力清单，不在{x or '(未填部门)'}的权力清单内"
                        for a, c, h, x in zip(k, wd, who, d)],
            message_en=[f"the {what[1]} for {a} on {c} is listed for {', '.join(h)}, not for {x or '(no department)'}"
                        for a, c, h, x in zip(k, wd, who, d)],
            citations=citation)
    missing = rows[~own & ~held_elsewhere]
    if len(missing):
        pos = np.flatnonzero(~own & ~held_elsewhere)
        k, d, w = ev._take(key_field, missing).tolist(), ev._take("department", missing).tolist(), dates[pos]
        wd = np.datetime_as_string(w, unit="D").tolist()
        yield FindingBatch(
            "overreach.power_not_listed", missing, facts=(key_field, "department", date_field),
            expected={"requirement": f"a {what[1]} of the department in force on {date_field} (目录之外无权力)"},
            actual={"power_list": str(powers.source)},
            message_zh=[f"{x or '(未填部门)'}的权力清单在{c}没有涵盖“{a}”的{what[0]}：目录之外无权力" for a, c, x in zip(k, wd, d)],
            message_en=[f"no {what[1]} covering '{a}' is listed for {x or '(no department)'} on {c}"
                        for a, c, x in zip(k, wd, d)],
            citations=citation)

