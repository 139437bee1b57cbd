"""The calculator's result as a page shows it: ``check_record``'s answer (exactly what ``zhunsheng
check --json`` prints), with Chinese names, the branch's condition and links to the articles added.

Why a view and not a second computation: the numbers, tiers and findings on the page are the JSON
answer's own fields; this module only names and links them."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from engine.findings import CODES
from engine.penalty.check import check_record
from engine.penalty.tiers import TIER_EN
from engine.records.schema import PENALTY, SANCTION_ZH, ZH
from engine.report.labels import CATEGORY_ZH, SEVERITY_ZH, citation_text
from engine.web import library



def check(record: dict, ruleset, as_of: dt.date, calendar) -> dict:
    """The JSON answer, with a case id as ``check`` gives one when the record has none."""
    if not any(PENALTY.field_of(k) == "case_id" for k in record):
        record = {**record, "case_id": "CHECK-1"}
    return check_record(record, ruleset, as_of, calendar)


def _citation(c: dict) -> dict:
    ns = SimpleNamespace(law=c.get("law", ""), article=c.get("article"), paragraph=c.get("paragraph"),
                         item=c.get("item"))
    return {"text": citation_text([c]), "link": library.link(ns) if ns.article else None}


def _finding(f: dict) -> dict:
    code = CODES.get(f["code"])
    return {**f, "code_zh": code.zh if code else f["code"], "severity_zh": SEVERITY_ZH.get(f["severity"], ""),
            "category_zh": CATEGORY_ZH.get(f["category"], f["category"]),
            "links": [_citation(c) for c in f.get("citations") or []],
            "depends_zh": [f"{ZH.get(d, d)}" for d in f.get("depends_on") or []]}


def _branch(ruleset, r: dict) -> dict | None:
    cp = ruleset.provisions.get(r.get("provision") or "")
    if cp is None or not r.get("branch"):
        return None
    for v in cp.versions:
        if str(v.valid_from) != r.get("provision_version"):
            continue
        for b in v.branches:
            if b.model.id == r["branch"]:
                return {"id": b.model.id, "when": b.condition.source, "citation": library.citation_view(b.citation),
                        "note": b.model.note}
    return None


def view(result: dict, ruleset) -> dict:
    findings = [_finding(f) for f in result.get("findings") or []]
    return {"r": result,
            "definite": [f for f in findings if f["certainty"] == "definite"],
            "possible": [f for f in findings if f["certainty"] != "definite"],
            "branch": _branch(ruleset, result),
            "tiers_en": [TIER_EN.get(t, t) for t in result.get("tiers") or []],
            "undetermined": [(u, ZH.get(u, u)) for u in result.get("undetermined") or []],
            "sanctions": [{**s, "zh": SANCTION_ZH.get(s["sanction"], s["sanction"])}
                          for s in result.get("lawful_sanctions") or []]}
