"""Static checks of rule files beyond what loading already rejects.

Loading catches syntax, unknown keys, unknown fields and type errors in
conditions.  Lint adds the legal-structure checks: validity periods of one
provision's versions must not overlap; tiers must lie inside their statutory
branch, cover it without gaps or overlaps, and 减轻 must lie below the
minimum; the branches of a version must cover every record exactly once.

Branch coverage is checked by enumeration, not by trusting the author: for
each field a condition reads, the values that matter are the literals it is
compared with, just below and above them, and missing; every combination is
tried against every branch.  For conditions built from comparisons with
constants (all the law needs) this finds a gap or overlap whenever one
exists, and the report names a concrete record that shows it.
"""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

from engine.errors import Problem, RuleFileError
from engine.expr.nodes import literals_compared
from engine.records.schema import BY_NAME, declared_column
from engine.ruleset.loader import CompiledProvision, CompiledVersion, load_rules
from engine.ruleset.yamlload import line_of
from engine.types import FieldType

REQUIRED_PARAMETERS = ("min_officers", "simple_max_fine_individual", "simple_max_fine_organization",
                       "simple_allowed_sanctions", "hearing_threshold_individual",
                       "hearing_threshold_organization", "hearing_sanctions", "decision_days",
                       "time_bar_years", "time_bar_years_extended", "publication_working_days",
                       "tier_light_upto", "tier_heavy_from")
MAX_COMBINATIONS = 250_000
TIER_ORDER = ("从轻处罚", "一般处罚", "从重处罚")


def lint(rules_dir: Path | str | None) -> tuple[list[Problem], int]:
    try:
        rs = load_rules(rules_dir)
    except RuleFileError as e:
        return e.problems, 0
    problems: list[Problem] = []
    for name in REQUIRED_PARAMETERS:
        if name not in rs.parameters:
            problems.append(Problem(str(rs.root), 0, f"缺少必需的参数 '{name}' (required parameter '{name}' is not defined)"))
    for cp in rs.provisions.values():
        problems += lint_provision(cp)
    return sorted(problems, key=Problem.sort_key), len(rs.provisions)


def lint_provision(cp: CompiledProvision) -> list[Problem]:
    out: list[Problem] = []
    f, data = str(cp.file), cp.data
    if cp.model.draft:
        out.append(Problem(f, line_of(data, ("draft",)),
                           "草稿未经审核：核对条文、补全逐一边界的手算案例后删除 draft: true "
                           "(a draft from 'rules draft': review it against the article, fill the hand-worked "
                           "cases at every boundary, then remove 'draft: true')"))
    order = sorted(range(len(cp.model.versions)), key=lambda i: cp.model.versions[i].valid_from)
    for i in order:
        v = cp.model.versions[i]
        if v.valid_to is not None and v.valid_to < v.valid_from:
            out.append(Problem(f, line_of(data, ("versions", i, "valid_to")),
                               f"versions[{i}]: 失效日期 {v.valid_to} 早于生效日期 {v.valid_from} "
                               f"(valid_to {v.valid_to} is before valid_from {v.valid_from})"))
    for a, b in zip(order, order[1:]):
        va, vb = cp.model.versions[a], cp.model.versions[b]
        if va.valid_to is None or va.valid_to >= vb.valid_from:
            out.append(Problem(f, line_of(data, ("versions", b, "valid_from")),
                               f"版本重叠：versions[{a}]（{va.valid_from}–{va.valid_to or '至今'}）与 versions[{b}]"
                               f"（{vb.valid_from} 起）在 {vb.valid_from} 同时有效 (versions overlap: "
                               f"versions[{a}] ({va.valid_from}–{va.valid_to or 'open'}) and versions[{b}] "
                               f"(from {vb.valid_from}) are both in force on {vb.valid_from})"))
    for split, loc in [(cp.model.tier_split, ("tier_split",))] + [
            (v.tier_split, ("versions", i, "tier_split")) for i, v in enumerate(cp.model.versions)]:
        if split is not None and split.light_upto > split.heavy_from:
            out.append(Problem(f, line_of(data, loc), "tier_split: light_upto 高于 heavy_from，从轻与从重重叠 "
                                                      "(light_upto is above heavy_from: 从轻 and 从重 would overlap)"))
    model_index = {id(v): i for i, v in enumerate(cp.model.versions)}
    for cv in cp.versions:
        vi = model_index[id(cv.model)]
        out += _lint_tiers(cp, cv, vi)
        out += _lint_coverage(cp, cv, vi)
    return out


def _lint_tiers(cp, cv: CompiledVersion, vi: int) -> list[Problem]:
    out = []
    f, data = str(cp.file), cp.data
    for bi, b in enumerate(cv.model.branches):
        t = b.tiers
        if t is None:
            continue
        loc = ("versions", vi, "branches", bi, "tiers")
        line = line_of(data, loc)
        if b.fine is None:
            out.append(Problem(f, line, f"分支 '{b.id}'：本分支不得罚款，却给出了裁量档次 "
                                        "(tiers given but no fine is lawful on this branch)"))
            continue
        lo, hi = b.fine.lo, b.fine.hi
        unit = "倍" if b.fine.is_multiple else "元"
        for name in TIER_ORDER + ("减轻处罚",):
            rng = getattr(t, name)
            if rng is None:
                continue
            a, z = rng
            tl = line_of(data, loc + (name,))
            if a > z:
                out.append(Problem(f, tl, f"分支 '{b.id}'：档次 {name} 上下限颠倒（{a}–{z}）(tier {name} runs backwards)"))
            if name == "减轻处罚":
                if z > lo or a < 0:
                    out.append(Problem(f, tl, f"分支 '{b.id}'：减轻处罚档次 {a}–{z}{unit} 须低于法定最低 {lo}{unit} "
                                              f"(tier 减轻处罚 must lie below the statutory minimum)"))
                continue
            if a < lo or z > hi:
                out.append(Problem(f, tl, f"分支 '{b.id}'：档次 {name} {a}–{z}{unit} 超出法定幅度 {lo}–{hi}{unit} "
                                          f"(tier {name} lies outside the statutory range)"))
        ranges = [(n, getattr(t, n)) for n in TIER_ORDER]
        if ranges[0][1][0] != lo:
            out.append(Problem(f, line_of(data, loc + ("从轻处罚",)),
                               f"分支 '{b.id}'：从轻处罚起于 {ranges[0][1][0]}，而非法定最低 {lo}{unit}，下方留有空档 "
                               f"(从轻处罚 starts at {ranges[0][1][0]}, not at the statutory minimum: a gap below it)"))
        if ranges[-1][1][1] != hi:
            out.append(Problem(f, line_of(data, loc + ("从重处罚",)),
                               f"分支 '{b.id}'：从重处罚止于 {ranges[-1][1][1]}，而非法定最高 {hi}{unit}，上方留有空档 "
                               f"(从重处罚 ends at {ranges[-1][1][1]}, not at the statutory maximum: a gap above it)"))
        for (n1, r1), (n2, r2) in zip(ranges, ranges[1:]):
            if r1[1] < r2[0]:
                out.append(Problem(f, line_of(data, loc + (n2,)),
                                   f"分支 '{b.id}'：{n1}（至 {r1[1]}）与 {n2}（自 {r2[0]}）之间有空档 "
                                   f"(gap between {n1} and {n2})"))
            elif r1[1] > r2[0]:
                out.append(Problem(f, line_of(data, loc + (n2,)),
                                   f"分支 '{b.id}'：{n1}（至 {r1[1]}）与 {n2}（自 {r2[0]}）重叠 "
                                   f"({n1} overlaps {n2})"))
    return out


def _candidates(name: str, literals: set, required: bool, columns: dict | None = None) -> list:
    col = (columns or {}).get(name) or BY_NAME[name]
    t = col.type
    if t == FieldType.BOOL:
        return [False, True]
    vals: list = []
    if t == FieldType.NUMBER:
        for c in literals:
            if isinstance(c, (int, float, Decimal)) and not isinstance(c, bool):
                c = float(c)
                vals += [c - 0.01, c, c + 0.01]
        vals += [0.0]
        vals = sorted({v for v in vals if v >= 0})
    elif t == FieldType.DATE:
        for c in literals:
            if isinstance(c, dt.date):
                vals += [c - dt.timedelta(days=1), c, c + dt.timedelta(days=1)]
        vals = sorted(set(vals)) or [dt.date(2020, 1, 1)]
    elif t == FieldType.LIST:
        codes = sorted(str(c) for c in literals)
        return [";" + ";".join(s) + ";" if s else "" for k in range(len(codes) + 1)
                for s in itertools.combinations(codes, k)]
    else:
        vals = sorted(col.codes) if col.codes else sorted({str(c) for c in literals} | {"(other)"})
    if not required:
        vals.append(None)
    return vals


def _lint_coverage(cp, cv: CompiledVersion, vi: int) -> list[Problem]:
    f, data = str(cp.file), cp.data
    branches = cv.branches
    lits: dict[str, set] = {}
    for b in branches:
        for k, v in literals_compared(b.condition.tree).items():
            lits.setdefault(k, set()).update(v)
        for fld in b.condition.fields:
            lits.setdefault(fld, set())
    required = set(cv.model.requires) | {"case_id", "party_type", "violation_code", "violation_date",
                                         "decision_date"}
    names = sorted(lits)
    declared = {c.name: c for c in map(declared_column, cp.model.facts)}   # the provision's own facts
    domains = [_candidates(n, lits[n], n in required, declared) for n in names]
    total = 1
    for d in domains:
        total *= len(d)
    if total > MAX_COMBINATIONS:
        return [Problem(f, line_of(data, ("versions", vi, "branches")),
                        f"分支条件涉及的字段和取值过多（{total:,} 种组合），无法检查覆盖，请拆分条款 "
                        f"(branch conditions read too many fields/values to check coverage; split the provision)")]
    problems = []
    reported_gap = reported_overlap = False
    for combo in itertools.product(*domains):
        rec = dict(zip(names, combo))
        hits = [b for b in branches if b.condition.evaluate_record(rec)]
        if not hits and not reported_gap:
            problems.append(Problem(f, line_of(data, ("versions", vi, "branches")),
                                    f"versions[{vi}]: 分支有遗漏，没有分支适用于 {_show(rec)} 的记录 "
                                    f"(branches leave a gap: no branch applies to such a record)"))
            reported_gap = True
        if len(hits) > 1 and not reported_overlap:
            bi = cv.branches.index(hits[1])
            problems.append(Problem(f, line_of(data, ("versions", vi, "branches", bi, "when")),
                                    f"versions[{vi}]: 分支 '{hits[0].model.id}' 与 '{hits[1].model.id}' 重叠，"
                                    f"都适用于 {_show(rec)} 的记录 (branches overlap: both apply to such a record)"))
            reported_overlap = True
        if reported_gap and reported_overlap:
            break
    return problems


def _show(rec: dict) -> str:
    return ", ".join(f"{k}={'null' if v is None else repr(v) if isinstance(v, str) else v}"
                     for k, v in rec.items()) or "任意事实 (any facts)"
