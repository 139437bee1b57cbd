"""A draft as the two files a person reviews: the provision YAML and the skeleton of its cases.

Why text and not ``yaml.dump`` alone: the reviewer needs the article's words and what the drafter did
not encode beside the rule, as comments, and comments are not data.  The cases carry inputs at every
boundary the branches draw but no expected results: those a person works by hand (the draft's own
numbers would only test the draft against itself), and until then each case expects the status
``待手算`` so that ``rules test`` fails on it rather than passing silently.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import yaml

from engine.library.draft import Draft
from engine.library.draft_parse import Note

TO_WORK = "待手算 (to work by hand)"
_KINDS = {"range": "罚款幅度或条件 (fine or condition)", "subject": "责任人员 (responsible persons)",
          "sanction": "无代码的处罚 (sanction without a code)", "outside": "非本机关行政处罚 (not this authority's penalty)",
          "paragraph": "另一款或另一句 (another paragraph or part)",
          "yield": "特别法优先 (yields to special law)"}
MAX_CASES = 40


def citation(d: Draft) -> dict:
    c = {"law": d.statute.title, "article": d.article.number}
    if d.paragraph:
        c["paragraph"] = d.paragraph
    return c


def citation_text(d: Draft) -> str:
    s = f"{d.statute.short}第{d.article.number}条"
    if d.paragraph:
        s += f"第{d.paragraph}款"
    if d.sentence:
        s += f"第{d.sentence}句"
    return s


def title(d: Draft) -> str:
    """The violation as the text describes it: the words before the first "的，" of the paragraph read,
    without the formulas around them; for "有下列情形之一" the first item, since the title is a
    reviewer's starting point, not the law's."""
    para = d.article.paragraphs[d.paragraphs[0] - 1]
    text = re.sub(r"（[^（）]*）", "", para.text)
    m = re.search(r"^(.*?)的[，,](?:由|责令|处|没收|给予|对)", text) or re.search(r"^(.*?)的[，,]", text)
    words = m.group(1) if m else re.split(r"[，,；;:：。]", text)[0]
    for formula in (r"^违反本(?:法|条例|规定)(?:规定)?[，,]?", r"[，,]?尚不构成犯罪", r"[，,]?有下列(?:行为|情形)之一"):
        words = re.sub(formula, "", words)
    if not words and para.items:
        words = re.sub(r"^[（(][^)）]+[)）]|[；;。]$", "", para.items[0]) + "等"
    return (words[:60] or citation_text(d)) + "（草稿）"


def sanctions(d: Draft) -> dict:
    """Each sanction once: unconditional where the first level names it, else under the conditions of the
    levels that do."""
    out: dict[str, dict] = {}
    for code in dict.fromkeys(c for lv in d.levels for c in lv.sanctions):
        first = d.levels[0].sanctions.get(code)
        if first:
            out[code] = {"mode": first}
            continue
        levels = [lv for lv in d.levels[1:] if code in lv.sanctions]
        whens = [lv.when for lv in levels]
        when = whens[0] if len(whens) == 1 else " or ".join(f"({w})" for w in whens)
        out[code] = {"mode": levels[0].sanctions[code], "when": when}
    return out


def _gain(d: Draft) -> str:
    if d.levels[0].gain:
        return d.levels[0].gain
    return "permitted" if any(lv.gain for lv in d.levels[1:]) else "none"


def _branch_id(when: str, taken: set) -> str:
    s = when.replace(">=", " ge ").replace("<=", " le ").replace("==", " eq ").replace(">", " gt ") \
        .replace("<", " lt ").replace("'", "")
    s = re.sub(r"[^0-9A-Za-z_\u4e00-\u9fff]+", "_", s).strip("_").lower()
    s = "all" if s in ("", "true") else s
    s = s[:60]
    out, n = s, 2
    while out in taken:
        out, n = f"{s}_{n}", n + 1
    taken.add(out)
    return out


def _fields(expr: str) -> list[str]:
    from engine.expr import Expression
    from engine.records.schema import expression_choices, expression_schema
    return Expression.compile(expr, expression_schema(), expression_choices()).fields


def provision(d: Draft) -> dict:
    taken: set = set()
    branches = []
    requires: list[str] = []
    for b in d.branches:
        entry = {"id": _branch_id(b.when, taken), "when": b.when, "fine": b.fine.as_dict() if b.fine else None}
        branches.append(entry)
        used = _fields(b.when) + ([b.fine.base] if b.fine and b.fine.base else [])
        requires += [f for f in used if f not in requires and f in _REQUIRABLE]
    where = citation_text(d)[len(d.statute.short):]
    version = {"valid_from": d.statute.version,
               "source": f"{d.statute.title} ({d.statute.version.isoformat()} 文本) {where}"}
    if requires:
        version["requires"] = requires
    if _gain(d) != "none":
        version["confiscate_gain"] = _gain(d)
    if sanctions(d):
        version["sanctions"] = sanctions(d)
    version["branches"] = branches
    return {"kind": "provision", "id": d.id, "title": title(d), "draft": True, "citation": citation(d),
            "violation_codes": [d.id], "versions": [version]}


# Amounts and codes a branch cannot be chosen without (a missing flag reads as false).
_REQUIRABLE = ("goods_value", "illegal_gain", "ad_fee", "prior_year_income", "accident_level", "party_type")


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110, default_flow_style=None)


def note_lines(notes: list[Note]) -> list[str]:
    return [f"# 未能解析 (not parsed): [{_KINDS.get(n.kind, n.kind)}] {n.text}" for n in notes]


def provision_text(d: Draft, command: str) -> str:
    head = [f"# 草稿，未经审核 (a draft, not reviewed): {command}",
            "# 核对条文，补全未能解析之处和手算案例，然后删除 draft: true；在此之前 rules lint 拒绝本文件。",
            "# (Check it against the article, settle what was not parsed, work the cases by hand, then remove",
            "# draft: true; until then 'rules lint' refuses this file.)",
            f"# {d.statute.title} ({d.statute.version.isoformat()}) 第{d.article.number}条:"]
    for i, p in enumerate(d.article.paragraphs, 1):
        mark = "*" if i in d.paragraphs else " "
        head.append(f"# {mark}第{i}款 {p.text}")
        head += [f"#        {item}" for item in p.items]
    head += note_lines(d.notes) or ["# 未能解析 (not parsed): 无 (nothing)"]
    head.append("# valid_from 取文本的版本日期，请核对施行日期 (valid_from is the text's version date: check the "
                "date it took effect)")
    head.append("# life_health / financial_safety / samr_publication: 待人工判断 (to decide by hand; "
                "行政处罚法第36条, 市场监督管理行政处罚信息公示规定)")
    return "\n".join(head) + "\n" + _dump(_plain(provision(d)))


def _plain(value):
    """Decimals as numbers YAML writes plainly, dates as dates."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# ───────────────────────────── cases ─────────────────────────────

def boundary_records(d: Draft) -> list[dict]:
    """Inputs at every boundary the branches draw: each amount a condition compares with and a cent below
    it (民法典 Art. 1259: 以上 includes the number), each flag both ways, each code."""
    from engine.expr import Expression
    from engine.expr.nodes import literals_compared
    from engine.records.schema import BY_NAME, expression_choices, expression_schema
    from engine.types import FieldType

    values: dict[str, list] = {}
    for b in d.branches:
        expr = Expression.compile(b.when, expression_schema(), expression_choices())
        for name, lits in literals_compared(expr.tree).items():
            vals = values.setdefault(name, [])
            for lit in sorted(lits, key=str):
                if BY_NAME[name].type == FieldType.NUMBER:
                    lit = Decimal(str(lit))
                    cand = [lit - Decimal("0.01"), lit] if lit > 0 else [lit, lit + Decimal("0.01")]
                elif BY_NAME[name].type == FieldType.BOOL:
                    cand = [False, True]
                else:
                    cand = [lit]
                vals += [v for v in cand if v not in vals]
        if b.fine and b.fine.base and b.fine.base not in values:
            values[b.fine.base] = [Decimal(10000)]
    names = list(values)
    combos = itertools.islice(itertools.product(*(values[n] for n in names)), MAX_CASES)
    return [dict(zip(names, c)) for c in combos] or [{}]


def cases(d: Draft) -> dict:
    start = d.statute.version + dt.timedelta(days=30)
    defaults = {"violation_code": d.id, "party_type": "organization", "party_id": "91110105MA0000001X",
                "officers": ["T1", "T2"], "procedure": "ordinary", "violation_date": start,
                "discovered_date": start + dt.timedelta(days=4), "filed_date": start + dt.timedelta(days=5),
                "decision_date": start + dt.timedelta(days=50), "publicized_date": start + dt.timedelta(days=55),
                "hearing_notified": True, "harm": "general"}
    out = []
    for rec in boundary_records(d):
        said = ", ".join(f"{k}={_plain(v)}" for k, v in rec.items()) or "无条件 (no condition)"
        out.append({"name": f"{TO_WORK}: {said} — {citation_text(d)}", "input": _plain(rec),
                    "output": {"status": TO_WORK}})
    return {"defaults": defaults, "cases": out}


def cases_text(d: Draft) -> str:
    head = [f"# 草稿案例 (draft cases) for {d.id}: 每个输入在一个分支边界上；请写入罚款金额和手算的预期结果",
            "# (statutory_min / statutory_max / lawful_fine_min / lawful_fine_max / tiers / codes)，在案例名中写明条文。",
            "# (Each input sits on a branch boundary: add the fine and the expected results worked by hand, citing",
            f"# the article in the name.)  预期 status: {TO_WORK} 使 rules test 在填写前失败 (fails until filled).",
            "# defaults 的日期从文本版本日期起算，请改到施行日期之后 (the dates count from the text's version date:",
            "# move them after the date it took effect).",
            *note_lines([n for n in d.notes if n.kind == "range"])]
    return "\n".join(head) + "\n" + _dump(_plain(cases(d)))
