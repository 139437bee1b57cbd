"""The one entry point ``zhunsheng accountability`` calls: read → evaluate → explain → write."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from engine.accountability import RECOMMENDATION_EN, RECOMMENDATION_ZH
from engine.accountability.explain import add_reasons
from engine.accountability.inputs import read_reviews
from engine.accountability.loader import load_accountability_rules
from engine.errors import InputError
from engine.accountability.notices import OUTPUTS, write_outputs
from engine.accountability.people import Exemptions, Rejected, read_exemptions, read_roster
from engine.accountability.triggers import Result, evaluate


def accountability(review_dirs, roster_file, as_of: dt.date, out: Path, exemptions_file=None,
                   excel=None, rules_dir=None) -> dict:
    """Run the triggers over review folders; write the notices; return the summary (also in summary.json)."""
    from engine.io.outset import OutputSet, check_writable_file
    if excel:
        check_writable_file(Path(excel), "--excel")
    if any(Path(d).resolve() == Path(out).resolve() for d in review_dirs):
        raise InputError(f"--out {out}: 不能写入作为输入的审查结果文件夹 (cannot write into a review folder "
                         "that is also an input); 请换一个 --out (choose another --out)")
    with OutputSet(Path(out), OUTPUTS) as outs:      # output paths checked and the folder locked first
        return _run(outs, review_dirs, roster_file, as_of, exemptions_file, excel, rules_dir)


def _run(outs, review_dirs, roster_file, as_of, exemptions_file, excel, rules_dir) -> dict:
    out = outs.folder
    rules = load_accountability_rules(rules_dir)
    data = read_reviews(review_dirs)
    rejected = Rejected()
    roster = read_roster(roster_file, rejected)
    exemptions = read_exemptions(exemptions_file, rejected) if exemptions_file else Exemptions.empty()
    result = evaluate(data, roster, exemptions, rules, as_of)
    add_reasons(result, rules, data.findings)
    summary = build_summary(result, data, roster, exemptions, rejected, rules, as_of,
                            roster_file, exemptions_file)
    summary["written"] = [str(p) for p in (Path(out) / n for n in
                                           ("notices.jsonl", "summary.json", "exemptions.csv", "rejected.csv"))]
    if excel:
        summary["written"].append(str(excel))
    summary = write_outputs(outs, result, data.findings, exemptions.table, rejected.table(), summary, excel)
    summary["result"] = result      # for callers in-process (not written)
    return summary


def build_summary(result: Result, data, roster, exemptions, rejected: Rejected, rules, as_of,
                  roster_file, exemptions_file) -> dict:
    n = result.notices
    f = data.findings
    start, end = result.window
    ev = f["event_date"]
    officers_unknown = sorted(set(n.loc[(n["subject_type"] == "officer") & n["not_in_roster"], "subject_id"]))
    depts_unknown = sorted(set(n.loc[(n["subject_type"] == "department") & n["not_in_roster"], "subject_id"]))
    no_leader = sorted(set(n.loc[(n["subject_type"] == "leader") & n["not_in_roster"], "department"].dropna()))
    ex_table = exemptions.table.assign(findings_removed=result.exemption_use)
    rej = rejected.table()
    warnings = list(result.warnings)
    unused = ex_table[ex_table["findings_removed"] == 0]
    for r in unused.itertuples():
        warnings.append(f"容错免责第 {r.row} 行（{r.case_id} {r.code}）与审查结果中的任何问题都不匹配 "
                        f"(exemption row {r.row} matches no finding)")
    if data.stats["findings_without_event_date"]:
        warnings.append(f"{data.stats['findings_without_event_date']} finding(s) have no readable event_date "
                        "and are not counted")
    if officers_unknown:
        warnings.append(f"{len(officers_unknown)} officer id(s) not in the roster: notices issued and flagged "
                        "not_in_roster")
    count = lambda col: {str(k): int(v) for k, v in n[col].value_counts().sort_index().items()}  # noqa: E731
    return {
        "notice_zh": RECOMMENDATION_ZH,
        "notice_en": RECOMMENDATION_EN,
        "as_of": as_of.isoformat(),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "window_days": rules.window_days,
        "inputs": {**data.stats, "roster": str(roster_file),
                   "exemptions": str(exemptions_file) if exemptions_file else None},
        "findings_in_window": int(((ev >= pd.Timestamp(start)) & (ev <= pd.Timestamp(end))).sum()),
        "findings_after_as_of": int((ev > pd.Timestamp(end)).sum()),
        "findings_exempted": int(result.exemption_use.sum()),
        "notices": int(len(n)),
        "by_measure": count("measure"),
        "by_subject_type": count("subject_type"),
        "by_rule": count("rule_id"),
        "roster": {"rows": roster.rows, "used": int(len(roster.people)),
                   "rejected": int((rej["kind"] == "roster").sum())},
        "exemptions": {"rows": exemptions.rows, "accepted": int(len(ex_table)),
                       "rejected": int((rej["kind"] == "exemptions").sum()),
                       "findings_removed": int(result.exemption_use.sum()),
                       "list": _records(ex_table),
                       "rejected_rows": _records(rej[rej["kind"] == "exemptions"])},
        "rejected_rows": _records(rej),
        "not_in_roster": {"officers": officers_unknown, "departments": depts_unknown,
                          "departments_without_leader": no_leader},
        "ranking": _records(result.ranking),
        "warnings": warnings,
        "rules": {rid: str(path) for rid, path in rules.files.items()},
        "parameters": _parameters(rules),
    }


def _plain(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _records(frame: pd.DataFrame) -> list[dict]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: _plain(v) for k, v in r.items()} for r in rows]


def _parameters(rules) -> dict:
    out = {"window_days": {"value": rules.window_days, "basis": rules.parameters["window_days"].basis}}
    for t in rules.triggers:
        m = t.model
        if m.type == "count":
            for lv in m.levels:
                out[f"{t.id}.at_least.{lv.at_least}"] = {"value": lv.at_least, "measure": lv.measure,
                                                         "basis": lv.basis}
        for name, p in getattr(m, "parameters", {}).items():
            out[f"{t.id}.{name}"] = {"value": p.value, "basis": p.basis}
    out["ladder"] = [{"measure": s.measure, "basis": s.basis, "recommend": s.recommend}
                     for s in rules.ladder.steps]
    return out
