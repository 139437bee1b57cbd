"""Check one penalty decision: the batch path on a one-row frame, so one record and a million
are judged by exactly the same code, then a full explanation of that record."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from engine.penalty import tiers as T
from engine.results import finding_rows
from engine.review import review_frame


def _cell(v):
    """A value as the readers give it: JSON objects and arrays as JsonCell (the record layer reads a list
    column's array as a list and rejects any other structure), numbers as numbers, the rest as text."""
    from engine.io.readers import JsonCell
    if v is None or isinstance(v, (int, float, JsonCell)):
        return v
    if isinstance(v, (dict, list, tuple)):
        return JsonCell(v)
    return str(v)


def check_record(record: dict, ruleset, as_of: dt.date, calendar) -> dict:
    # one decision typed by its officer: an extension not typed is none recorded (a blank cell), not a file
    # that says nothing about extensions (engine.penalty.alternatives)
    from engine.records.schema import header_key
    spelled = ruleset.penalty_schema.header_keys
    if "extension_approved" not in {spelled.get(header_key(str(k))) for k in record}:
        record = {**record, "extension_approved": None}
    raw = pd.DataFrame([{k: _cell(v) for k, v in record.items()}])
    ev = review_frame(raw.astype(object), ruleset, as_of, calendar)
    i = 0
    rej = ev.records.rejections
    out = {"case_id": ev.frame["case_id"].iat[0], "as_of": as_of.isoformat()}
    if rej.mask[0]:
        out.update(status="rejected", reason=rej.text(0), findings=[])
        return out
    entry = ev.branch(i)
    out["status"] = "evaluated"
    if ev.provision[i] is not None:
        out["yields"] = _yields(ev.ruleset.provisions[ev.provision[i]], ev.ruleset)
    out["findings"] = finding_rows(ev)
    out["codes"] = sorted({f["code"] for f in out["findings"] if f["certainty"] == "definite"})
    out["possible_codes"] = sorted({f["code"] for f in out["findings"] if f["certainty"] == "possible"})
    partial = ev.partial is not None and bool(ev.partial[i])
    out["undetermined"] = list(ev.undetermined[i] or []) if partial else []
    out["lawful_fine_max_unbounded"] = bool(ev.max_unbounded[i])
    if partial and not (ev.single_branch[i] and not np.isnan(ev.hi[i])):
        # judged over alternatives that differ in branch or range: no single branch or statutory range
        out.update(provision=ev.provision[i], provision_title=ev.ruleset.provisions[ev.provision[i]].model.title,
                   provision_version=entry[1].valid_from.isoformat() if entry is not None else None,
                   tiers=T.tier_names(int(ev.tiers[i])) if not ev.no_provision[i] else [],
                   lawful_fine_min=_f(ev.lawful_min[i]), lawful_fine_max=_f(ev.lawful_max[i]),
                   statutory_range=None, lawful_sanctions=[])
        return out
    if entry is None:
        out.update(provision=ev.provision[i], provision_version=None, tiers=[], lawful_fine_min=None,
                   lawful_fine_max=None, statutory_range=None, lawful_sanctions=[])
        return out
    cp, v, b = entry
    out["provision"] = cp.id
    out["provision_title"] = cp.model.title
    out["provision_version"] = v.valid_from.isoformat()
    out["version_source"] = v.model.source
    out["branch"] = b.model.id
    out["citation"] = b.citation.as_json()
    out["tiers"] = T.tier_names(int(ev.tiers[i]))
    out["lawful_fine_min"] = _f(ev.lawful_min[i])
    out["lawful_fine_max"] = _f(ev.lawful_max[i])
    # no statutory maximum (uncapped): "max" is null and lawful_fine_max_unbounded true; no tier ranges
    out["statutory_range"] = None if np.isnan(ev.hi[i]) else {"min": _f(ev.lo[i]), "max": _f(ev.hi[i])}
    out["tier_ranges"] = {name: [_f(a[i]), _f(bb[i])] for name, (a, bb) in ev.bounds.items()
                          if np.isfinite(ev.hi[i]) and not (np.isnan(a[i]) or np.isnan(bb[i]))}
    sub = ev.frame.iloc[[i]]
    out["lawful_sanctions"] = [
        {"sanction": s, "mode": mode, "when": cond.source if cond else None, "one_of": b.groups.get(s)}
        for s, (mode, cond) in b.sanctions.items() if cond is None or bool(cond.evaluate(sub)[0])]
    out["confiscate_gain"] = v.model.confiscate_gain
    return out


def _f(x):
    return None if x is None or not np.isfinite(x) else float(x)


def _yields(cp, ruleset) -> dict | None:
    """特别法优先: the provision applies only where no other law provides — said with every result of it."""
    y = cp.model.yields
    if y is None:
        return None
    from engine.library.yielding import yielding_candidates
    return {"note": y.note, "citation": y.citation.as_json(), "may_yield_to": yielding_candidates(ruleset, cp)}


def render_text(r: dict) -> str:
    lines = [f"案件 Case {r['case_id']}"]
    if r["status"] == "rejected":
        lines.append(f"  无法审查 cannot evaluate: {r['reason']}")
        return "\n".join(lines)
    if r.get("yields"):
        y = r["yields"]
        lines.append(f"  特别法优先 Yields to special law: {y['note']}（其他法律、法规有规定的，依照其规定 "
                     "applies only where no other law provides）")
        if y["may_yield_to"]:
            lines.append("    请核对是否应适用 Check whether one of these applies instead: " + ", ".join(y["may_yield_to"]))
    if r.get("undetermined") is not None and r.get("statutory_range") is None and (
            r.get("undetermined") or r.get("possible_codes")):
        return "\n".join(lines + _open_text(r))
    if r.get("provision_version"):
        lines.append(f"  适用条款 Provision: {r['provision']} {r.get('provision_title', '')}")
        lines.append(f"  版本 Version: {r['provision_version']}起施行" + (f" ({r['version_source']})"
                                                                      if r.get("version_source") else ""))
        lines.append(f"  法定情形 Branch: {r['branch']}")
        sr = r["statutory_range"]
        if sr and sr["max"] is None:
            text = f"{sr['min']:,.2f} 元以上，法律未规定上限 yuan or more, no statutory maximum"
        else:
            text = f"{sr['min']:,.2f}–{sr['max']:,.2f} 元 yuan" if sr else "不得罚款 no fine lawful"
        lines.append("  法定罚款幅度 Statutory fine: " + text)
        lines.append(f"  裁量阶次 Tiers allowed: {'、'.join(r['tiers'])} "
                     f"({', '.join(T.TIER_EN[t] for t in r['tiers'])})")
        if r["lawful_fine_max"] is not None:
            lines.append(f"  合法罚款区间 Lawful fine: {r['lawful_fine_min']:,.2f}–{r['lawful_fine_max']:,.2f} 元 yuan")
        elif r["tiers"] == ["不予处罚"]:
            lines.append("  合法罚款区间 Lawful fine: 不予处罚 none (no penalty)")
        for name, (a, b) in r.get("tier_ranges", {}).items():
            lines.append(f"      {name} {T.TIER_EN[name]}: {a:,.2f}–{b:,.2f}")
        if r["lawful_sanctions"]:
            from engine.records.schema import SANCTION_ZH
            sl = [f"{SANCTION_ZH[s['sanction']]} {s['sanction']} ({'应当 mandatory' if s['mode'] == 'mandatory' else '可以 permitted'}"
                  + (f"，择一 one of {s['one_of']})" if s.get("one_of") else ")") for s in r["lawful_sanctions"]]
            lines.append("  可处处罚种类 Lawful sanctions: " + "; ".join(sl))
        if r.get("confiscate_gain") == "mandatory":
            lines.append("  没收违法所得 Confiscation of illegal gain: 应当 mandatory")
    else:
        lines.append(f"  适用条款 Provision: {r.get('provision')} — 无有效版本 no version in force")
    lines += _findings_text(r)
    return "\n".join(lines)


def _open_text(r: dict) -> list[str]:
    """A record judged over the alternatives its blank facts leave open."""
    from engine.records.schema import ZH
    lines = [f"  适用条款 Provision: {r['provision']} {r.get('provision_title', '')}",
             "  版本 Version: " + (f"{r['provision_version']}起施行" if r.get("provision_version")
                                   else "未定 open (取决于未知日期 depends on unknown dates)")]
    if r["tiers"]:
        lines.append(f"  可能的裁量阶次 Tiers possible: {'、'.join(r['tiers'])} "
                     f"({', '.join(T.TIER_EN[t] for t in r['tiers'])})")
    if r["lawful_fine_min"] is not None:
        top = ("不设上限（法律未规定上限或为未知金额的倍数） unbounded (no statutory maximum, or a multiple of an unknown amount)"
               if r["lawful_fine_max_unbounded"] else f"{r['lawful_fine_max']:,.2f} 元 yuan")
        lines.append(f"  各种可能下的合法罚款 Lawful fine over the alternatives: {r['lawful_fine_min']:,.2f} 元 – {top}")
    if r["undetermined"]:
        lines.append("  尚待查明的事实 Facts still open (would decide the possible findings): " +
                     "、".join(f"{ZH.get(f, f)} ({f})" for f in r["undetermined"]))
    return lines + _findings_text(r)


def _findings_text(r: dict) -> list[str]:
    lines = []
    if not r["findings"]:
        lines.append("  未发现问题 No findings.")
    for f in r["findings"]:
        sev = {"high": "高", "medium": "中", "low": "低"}[f["severity"]]
        mark, word = ("✗", "确定 definite") if f["certainty"] == "definite" else ("?", "可能 possible")
        lines.append(f"  {mark} {f['code']} [{word}; {f['category']}, {sev}/{f['severity']}]")
        lines.append(f"      {f['message_zh']}")
        lines.append(f"      {f['message_en']}")
        from engine.io.reports import citation_text
        lines.append(f"      依据 Basis: {citation_text(f['citations'])}")
    return lines
