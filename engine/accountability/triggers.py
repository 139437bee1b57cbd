"""Counting, 一案双查, ranking and 从重: review findings → notices, column-wise.

Each trigger's ``when`` is evaluated once over the whole findings frame
(numpy masks); subjects are counted with pandas ``groupby``; a notice's
findings are rows of a ``links`` table (notice, finding), never a Python list
built per finding.  Only per-subject and per-notice work is done in Python.

The window is the ``window_days`` days ending at ``as_of``, both included:
[as_of − (window_days − 1), as_of].  Exempted findings (容错免责) are removed
before anything is counted.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from engine.accountability.inputs import ReviewData
from engine.accountability.loader import AccountabilityRules, CompiledTrigger
from engine.accountability.people import Exemptions, Roster

SUBJECT_ORDER = {"officer": 0, "department": 1, "leader": 2}
NOTICE_COLUMNS = ["subject_type", "subject_key", "subject_id", "subject_name", "department", "not_in_roster",
                  "measure", "rule_id", "variant", "count", "details", "order"]


@dataclass
class Variant:
    """What every notice of one rule and one measure shares: its sources and their basis tags."""
    citations: list[dict]
    basis: dict
    recommend: list[str]


@dataclass
class Result:
    notices: pd.DataFrame            # one row per notice, sorted; columns NOTICE_COLUMNS + reason_zh/en
    links: pd.DataFrame              # notice, finding (row of ReviewData.findings), in finding order
    exemption_links: pd.DataFrame    # notice, exemption (row of Exemptions.table)
    variants: dict[str, Variant]
    window: tuple[dt.date, dt.date]
    exemption_use: np.ndarray        # findings removed per exemption
    ranking: pd.DataFrame
    stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, data: ReviewData, roster: Roster, exemptions: Exemptions,
                 rules: AccountabilityRules, as_of: dt.date):
        self.data, self.roster, self.rules = data, roster, rules
        self.f = data.findings
        self.start = as_of - dt.timedelta(days=rules.window_days - 1)
        self.end = as_of
        ev = self.f["event_date"]
        self.in_window = ((ev >= pd.Timestamp(self.start)) & (ev <= pd.Timestamp(self.end))).to_numpy()
        self.exemption = _exemption_index(self.f, exemptions.table)
        self.exempt = self.exemption >= 0
        self.exemption_use = np.bincount(self.exemption[self.exempt], minlength=len(exemptions.table))
        self.order = _finding_order(self.f)
        self.parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []
        self.variants: dict[str, Variant] = {}
        self.warnings: list[str] = []
        self.ranking = pd.DataFrame(columns=["department", "evaluated_cases", "findings", "rate_per_100",
                                             "rank", "selected"])
        self._frame = None

    # -- shared pieces --------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """The findings frame as conditions see it (``officers`` as ``;a;b;`` only when a rule reads it)."""
        if self._frame is None:
            f = self.f
            if any(t.condition is not None and "officers" in t.condition.fields for t in self.rules.triggers):
                joined = self.data.officers.groupby("finding")["officer"].agg(";".join)
                f = f.assign(officers=(";" + joined.reindex(range(len(f))).fillna("") + ";").to_numpy())
            self._frame = f
        return self._frame

    def selected(self, trigger: CompiledTrigger) -> tuple[np.ndarray, np.ndarray]:
        """(counted, exempted) masks: ``when`` is true and the event is in the window."""
        base = np.asarray(trigger.condition.evaluate(self.frame()), dtype=bool) & self.in_window
        return base & ~self.exempt, base & self.exempt

    def pairs(self, subject: str, mask: np.ndarray) -> pd.DataFrame:
        """(finding, key) for every finding in ``mask`` and every subject of that type it concerns."""
        if subject == "officer":
            o = self.data.officers
            p = o[mask[o["finding"].to_numpy()]]
            return pd.DataFrame({"finding": p["finding"].to_numpy(), "key": p["officer"].to_numpy(dtype=object)})
        dept = self.f["department"].to_numpy(dtype=object)
        idx = np.flatnonzero(mask & pd.notna(dept))
        return pd.DataFrame({"finding": idx, "key": dept[idx]})

    def leader_of(self, departments: pd.Series) -> tuple[pd.Series, pd.Series]:
        lead = self.roster.leaders
        ids = departments.map(lambda d: lead[d][0] if d in lead else None)
        names = departments.map(lambda d: lead[d][1] if d in lead else None)
        return ids, names

    def variant(self, key: str, trigger: CompiledTrigger, measure: str, extra_sources=(), extra_basis=None):
        rules = self.rules
        step = rules.step(measure)
        m = step or rules.ladder.equivalents[measure]
        cites = [c.as_json() for c in (*trigger.model.citations, *extra_sources, *m.citations)]
        unique = list({json.dumps(c, ensure_ascii=False, sort_keys=True): c for c in cites}.values())
        basis = {"measure": m.basis, "window_days": rules.parameters["window_days"].basis, **(extra_basis or {})}
        self.variants[key] = Variant(unique, basis, list(step.recommend) if step else [])

    def add(self, notices: pd.DataFrame, links: pd.DataFrame, ex_links: pd.DataFrame):
        self.parts.append((notices[NOTICE_COLUMNS], links, ex_links))

    # -- triggers ---------------------------------------------------------------------------------
    def count(self, t: CompiledTrigger):
        counted, exempted = self.selected(t)
        at_least = np.array([lv.at_least for lv in t.model.levels])
        for i, lv in enumerate(t.model.levels):
            self.variant(f"{t.id}#{i}", t, lv.measure, lv.citations, {"at_least": lv.basis})
        for subject in t.model.subjects:
            pairs = self.pairs(subject, counted)
            sizes = pairs.groupby("key").size()
            level = np.searchsorted(at_least, sizes.to_numpy(), side="right") - 1
            sizes, level = sizes[level >= 0], level[level >= 0]
            keys = pd.Series(sizes.index.to_numpy(dtype=object))
            n = pd.DataFrame({"subject_type": subject, "subject_id": keys, "count": sizes.to_numpy(),
                              "rule_id": t.id, "variant": [f"{t.id}#{i}" for i in level],
                              "measure": [t.model.levels[i].measure for i in level], "details": None,
                              "order": 0})
            if subject == "officer":
                known = keys.isin(self.roster.people.index)
                n["subject_name"] = self.roster.name_of(keys)
                dept = self.roster.department_of(keys)
                if (~known).any():
                    depts = pairs.assign(d=self.f["department"].to_numpy(dtype=object)[pairs["finding"]])
                    seen = depts.dropna().groupby("key")["d"].agg(lambda s: "；".join(sorted(set(s))))
                    dept = dept.where(known, keys.map(seen))
                n["department"] = dept
                n["not_in_roster"] = ~known
            else:
                n["subject_name"] = keys
                n["department"] = keys
                n["not_in_roster"] = ~keys.isin(self.roster.departments)
            n["subject_key"] = subject + ":" + keys
            self._link_by_key(n, pairs, self.pairs(subject, exempted))

    def double_check(self, t: CompiledTrigger):
        counted, _ = self.selected(t)
        self.variant(t.id, t, t.model.measure)
        idx = np.flatnonzero(counted)
        dept = pd.Series(self.f["department"].to_numpy(dtype=object)[idx])
        ids, names = self.leader_of(dept)
        case = pd.Series(self.f["case_id"].to_numpy(dtype=object)[idx])
        n = pd.DataFrame({"subject_type": "leader", "subject_id": ids, "subject_name": names, "department": dept,
                          "not_in_roster": ids.isna().to_numpy(), "measure": t.model.measure, "rule_id": t.id,
                          "variant": t.id, "count": 1, "details": None, "order": self.order[idx]})
        n["subject_key"] = "leader:" + dept.where(dept.notna(), "(无部门 no department) " + case)
        links = pd.DataFrame({"notice": np.arange(len(idx)), "finding": idx})
        self.add(n, links, pd.DataFrame({"notice": [], "exemption": []}, dtype=np.int64))

    def rank(self, t: CompiledTrigger):
        counted, exempted = self.selected(t)
        m = t.model
        per, min_cases, bottom_n = (t.value("per"), t.value("min_cases"), t.value("bottom_n"))
        self.variant(t.id, t, m.measure, [c for p in m.parameters.values() for c in p.citations],
                     {k: p.basis for k, p in m.parameters.items()})
        cases = self.data.cases
        ev = cases["event_date"]
        in_win = cases[(ev >= pd.Timestamp(self.start)) & (ev <= pd.Timestamp(self.end)) & cases["department"].notna()]
        den = in_win.groupby("department").size()
        pairs = self.pairs("department", counted)
        num = pairs.groupby("key").size()
        table = pd.DataFrame({"evaluated_cases": den}).join(pd.DataFrame({"findings": num}), how="outer")
        table = table.fillna(0).astype(int)
        table.index.name = "department"
        elig = table[table["evaluated_cases"] >= min_cases].copy()
        rate = {d: Fraction(int(r.findings) * per, int(r.evaluated_cases)) for d, r in elig.iterrows()}
        worse = sorted(set(rate.values()), reverse=True)
        above = {v: sum(1 for w in rate.values() if w > v) for v in worse}   # departments strictly worse
        elig["rank"] = [above[rate[d]] + 1 for d in elig.index]
        elig["rate_per_100"] = [round(float(rate[d]), 2) for d in elig.index]
        elig["selected"] = (elig["rank"] <= bottom_n) & (elig["findings"] > 0)
        if len(elig) == 0 and len(table):
            self.warnings.append(f"{t.id}: no department has ≥ {min_cases} evaluated cases in the window; "
                                 "no ranking notice")
        elif len(elig) <= bottom_n:
            self.warnings.append(f"{t.id}: only {len(elig)} department(s) have ≥ {min_cases} evaluated cases in "
                                 f"the window; every one with a counted finding is among the worst {bottom_n}")
        table = table.join(elig[["rate_per_100", "rank", "selected"]])
        table["selected"] = table["selected"].fillna(False).astype(bool)
        table["eligible"] = table["evaluated_cases"] >= min_cases
        self.ranking = table.reset_index().sort_values(["eligible", "rank", "department"],
                                                       ascending=[False, True, True], na_position="last")
        chosen = elig[elig["selected"]]
        keys = pd.Series(chosen.index.to_numpy(dtype=object))
        ids, names = self.leader_of(keys)
        details = [json.dumps({"evaluated_cases": int(r.evaluated_cases), "findings": int(r.findings),
                               "rate_per_100": r.rate_per_100, "rank": int(r.rank),
                               "eligible_departments": int(len(elig)), "min_cases": min_cases,
                               "bottom_n": bottom_n, "per": per}, ensure_ascii=False)
                   for r in chosen.itertuples()]
        n = pd.DataFrame({"subject_type": "leader", "subject_id": ids, "subject_name": names, "department": keys,
                          "not_in_roster": ids.isna().to_numpy(), "measure": m.measure, "rule_id": t.id,
                          "variant": t.id, "count": chosen["findings"].to_numpy(), "details": details,
                          "order": 0, "subject_key": "leader:" + keys})
        self._link_by_key(n, pairs, self.pairs("department", exempted), key_column="department")

    def _link_by_key(self, notices: pd.DataFrame, pairs: pd.DataFrame, ex_pairs: pd.DataFrame,
                     key_column: str = "subject_id"):
        number = pd.Series(np.arange(len(notices)), index=notices[key_column].to_numpy(dtype=object))
        links = pd.DataFrame({"notice": pairs["key"].map(number), "finding": pairs["finding"]}).dropna()
        ex = pd.DataFrame({"notice": ex_pairs["key"].map(number),
                           "exemption": self.exemption[ex_pairs["finding"].to_numpy()]}).dropna()
        self.add(notices, links.astype(np.int64), ex.drop_duplicates().astype(np.int64))

    # -- 从重 and assembly ---------------------------------------------------------------------------
    def collect(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        frames, links, exs, offset = [], [], [], 0
        for n, l, e in self.parts:
            frames.append(n.reset_index(drop=True))
            links.append(l.assign(notice=l["notice"] + offset))
            exs.append(e.assign(notice=e["notice"] + offset))
            offset += len(n)
        if not frames:
            return (pd.DataFrame(columns=NOTICE_COLUMNS), pd.DataFrame({"notice": [], "finding": []}, dtype=np.int64),
                    pd.DataFrame({"notice": [], "exemption": []}, dtype=np.int64))
        return (pd.concat(frames, ignore_index=True), pd.concat(links, ignore_index=True),
                pd.concat(exs, ignore_index=True))

    def escalate(self, t: CompiledTrigger, notices, links, ex_links):
        after = t.value("escalate_after")
        if notices.empty:
            return
        rank = notices["measure"].map(self.rules.rank).to_numpy()
        g = notices.assign(_rank=rank, _i=np.arange(len(notices))).groupby("subject_key")
        size = g["_i"].transform("size").to_numpy()
        hit = notices[size >= after].assign(_rank=rank[size >= after], _i=np.flatnonzero(size >= after))
        if hit.empty:
            return
        steps = self.rules.ladder.steps
        esc_rows, details = [], []
        notice_of = pd.Series(hit["subject_key"].to_numpy(), index=hit["_i"].to_numpy())
        l = links[links["notice"].isin(hit["_i"])]
        l = l.assign(subject=l["notice"].map(notice_of)).drop_duplicates(["subject", "finding"])
        e = ex_links[ex_links["notice"].isin(hit["_i"])]
        e = e.assign(subject=e["notice"].map(notice_of)).drop_duplicates(["subject", "exemption"])
        subjects = list(dict.fromkeys(hit["subject_key"]))
        number = {s: i for i, s in enumerate(subjects)}
        for s, grp in hit.groupby("subject_key", sort=False):
            top = int(grp["_rank"].max())
            nxt = min(top + 1, len(steps) - 1)
            measure = steps[nxt].measure
            first = grp.iloc[0]
            heaviest = grp["measure"].to_numpy()[int(np.argmax(grp["_rank"].to_numpy()))]
            details.append(json.dumps({"notices": len(grp), "escalate_after": after,
                                       "from_measure": heaviest, "from_step": steps[top].measure,
                                       "at_top_of_ladder": top == len(steps) - 1,
                                       "escalated_from": [{"rule_id": r, "measure": mm}
                                                          for r, mm in zip(grp["rule_id"], grp["measure"])]},
                                      ensure_ascii=False))
            esc_rows.append({**{c: first[c] for c in ("subject_type", "subject_key", "subject_id", "subject_name",
                                                      "department", "not_in_roster")},
                             "measure": measure, "rule_id": t.id, "variant": f"{t.id}#{measure}",
                             "order": 0})
            if f"{t.id}#{measure}" not in self.variants:
                p = t.model.parameters["escalate_after"]
                self.variant(f"{t.id}#{measure}", t, measure, p.citations, {"escalate_after": p.basis})
        n = pd.DataFrame(esc_rows)
        n["details"] = details
        links_out = pd.DataFrame({"notice": l["subject"].map(number).to_numpy(), "finding": l["finding"].to_numpy()})
        n["count"] = links_out.groupby("notice").size().reindex(range(len(n)), fill_value=0).to_numpy()
        ex_out = pd.DataFrame({"notice": e["subject"].map(number).to_numpy(), "exemption": e["exemption"].to_numpy()})
        self.add(n, links_out.astype(np.int64), ex_out.astype(np.int64))

    def run(self) -> Result:
        for t in self.rules.triggers:
            {"count": self.count, "double_check": self.double_check, "ranking": self.rank,
             "escalation": lambda t: None}[t.model.type](t)
        for t in self.rules.of_type("escalation"):
            self.escalate(t, *self.collect())
        notices, links, ex_links = self.collect()
        notices, links, ex_links = _sort(notices, links, ex_links, self.order, self.rules)
        for dept in sorted(set(notices.loc[(notices["subject_type"] == "leader") & notices["not_in_roster"],
                                           "department"].dropna())):
            self.warnings.append(f"部门“{dept}”在名册中没有负责人：领导责任建议的 subject_id 为空 "
                                 f"(no leader in the roster for {dept}: leader notices carry subject_id null)")
        return Result(notices, links, ex_links, self.variants, (self.start, self.end), self.exemption_use,
                      self.ranking, warnings=self.warnings)


def evaluate(data: ReviewData, roster: Roster, exemptions: Exemptions, rules: AccountabilityRules,
             as_of: dt.date) -> Result:
    return _Builder(data, roster, exemptions, rules, as_of).run()


def _exemption_index(f: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """For each finding, the row of the exemption that removes it, or -1."""
    if table.empty or f.empty:
        return np.full(len(f), -1, dtype=np.int64)
    ex = pd.MultiIndex.from_arrays([table["case_id"].astype(object), table["code"].astype(object)])
    fk = pd.MultiIndex.from_arrays([f["case_id"].astype(object), f["code"].astype(object)])
    return ex.get_indexer(fk).astype(np.int64)


def _finding_order(f: pd.DataFrame) -> np.ndarray:
    """Each finding's position when sorted by (event_date, case_id, code): the order notices list them in."""
    if f.empty:
        return np.zeros(0, dtype=np.int64)
    ev = f["event_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    ev = np.where(f["event_date"].isna().to_numpy(), np.iinfo(np.int64).max, ev)
    case = pd.factorize(f["case_id"], sort=True)[0]
    code = pd.factorize(f["code"], sort=True)[0]
    order = np.lexsort((code, case, ev))
    pos = np.empty(len(f), dtype=np.int64)
    pos[order] = np.arange(len(f))
    return pos


def _sort(notices, links, ex_links, order, rules: AccountabilityRules):
    """Stable, input-order-free output: subject type, subject, rule, then first finding; findings by date."""
    if notices.empty:
        return notices.assign(reason_zh=[], reason_en=[]), links, ex_links
    rule_pos = {t.id: i for i, t in enumerate(rules.triggers)}
    key = pd.DataFrame({"t": notices["subject_type"].map(SUBJECT_ORDER),
                        "s": notices["subject_key"].astype(str), "r": notices["rule_id"].map(rule_pos),
                        "o": notices["order"].astype(np.int64)})
    perm = np.lexsort((key["o"].to_numpy(), key["r"].to_numpy(), key["s"].to_numpy(), key["t"].to_numpy()))
    new = np.empty(len(perm), dtype=np.int64)
    new[perm] = np.arange(len(perm))
    notices = notices.iloc[perm].reset_index(drop=True)
    links = links.assign(notice=new[links["notice"].to_numpy()], _o=order[links["finding"].to_numpy()])
    links = links.sort_values(["notice", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    ex_links = ex_links.assign(notice=new[ex_links["notice"].to_numpy()]).sort_values(
        ["notice", "exemption"], kind="stable").reset_index(drop=True)
    return notices, links, ex_links
