"""Run the target rules over the register and its related records: one boolean column per rule (and
per report year for the annual-report rules), then classes and flags from those columns.

Worst class wins: an entity starts at the base class (a parameter) and each class rule that fires can
only move it towards D; the steps say which rule moved it.  A rule that reads a kind of record the run
was not given (no ``--reports`` file, say) is not run and is reported as skipped: records that were not
supplied are unknown, and "no annual report on file" must never be read from "no file given".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import ExprError, RuleFileError
from engine.expr import Expression
from engine.expr.aggregates import AggregateContext, Related
from engine.ruleset.yamlload import expression_problem
from engine.targets import context
from engine.targets.explain import aggregates, items_of, join_per_entity
from engine.targets.loader import LoadedRule, TargetRules
from engine.targets.tables import positions
from engine.types import FieldType as T

RANK = {"A": 0, "B": 1, "C": 2, "D": 3}
CLASSES = "ABCD"


@dataclass
class Kind:
    """Records of one kind, with their schema and which columns an explanation shows."""
    frame: pd.DataFrame          # has entity_id and date
    schema: dict
    shown: list
    entity: np.ndarray | None = None     # each row's register position, when already known


@dataclass
class Fired:
    rule: LoadedRule
    report_year: int | None
    hit: np.ndarray
    expr: object                 # the compiled condition (for the explanation)
    fields: list                 # entity fields it reads
    listed_on: np.ndarray | None = None     # abnormal: per hit entity (in position order)
    removed_on: np.ndarray | None = None
    items: pd.Series | None = None     # targeted: entity position -> "A;B" or "*"


@dataclass
class Result:
    previous: np.ndarray
    final: np.ndarray
    fired: list
    skipped: list                # [{"rule", "reason_zh", "reason_en"}]
    key: np.ndarray
    targeted: np.ndarray
    targeted_items: list         # per entity: sorted item ids ("*" = every item)
    abnormal: np.ndarray
    listings: list               # abnormal listing rows
    ctx: object = None           # the records the rules read (for the explanations)
    shown: dict | None = None    # per kind, the record columns an explanation lists


def _related(ent_ids: pd.Series, kinds: dict) -> tuple[dict, dict]:
    out, schemas = {}, {}
    for name, kind in kinds.items():
        pos = kind.entity if kind.entity is not None and len(kind.entity) == len(kind.frame) else \
            positions(kind.frame["entity_id"], ent_ids)
        keep = pos >= 0
        frame = kind.frame if keep.all() else kind.frame.loc[keep].reset_index(drop=True)
        dates = frame["date"].to_numpy().astype("datetime64[D]") if len(frame) else np.array([], "datetime64[D]")
        out[name] = Related(frame, pos[keep], dates)
        schemas[name] = kind.schema
    return out, schemas


def _compile(text: str, loaded: LoadedRule, loc: tuple, schema, schemas, consts, expect):
    try:
        return Expression.compile(text, schema, None, expect, related=schemas, constants=consts)
    except ExprError as e:
        raise RuleFileError([expression_problem(loaded.path, loaded.data, loc, e)]) from None


def _absent_fields(rule, ent_schema: dict, all_kinds: dict, params: dict) -> list:
    """Fields a rule reads that neither the register, a kind of record, nor a named value has: a
    register without ``industry`` cannot say who is in a key industry, so that rule is not run (its
    other mistakes are left to the type checker, which names the line)."""
    from engine.expr import parse
    from engine.expr import nodes as n
    known = set(ent_schema) | set(params) | set(context.CONTEXT_NAMES) | set(all_kinds)
    for schema in all_kinds.values():
        known |= set(schema)
    texts = [rule.when] + [t for t in (rule.outcome.listed_on, rule.outcome.removed_on) if t]
    names = []
    for text in texts:
        try:
            tree = parse(text)
        except ExprError:
            return []
        names += [x.name for x in tree.walk() if isinstance(x, n.Field) and x.name not in known]
    return sorted(set(names))


def _date_array(value, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype("datetime64[D]")
    if value is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    return np.full(n, np.datetime64(pd.Timestamp(value).date(), "D"))


def run(ent: pd.DataFrame, ent_schema: dict, kinds: dict, rules: TargetRules, as_of: dt.date,
        all_kinds: dict) -> Result:
    """``kinds``: the kinds supplied to this run; ``all_kinds``: every kind's schema (for type checks)."""
    n = len(ent)
    rel, _ = _related(ent["entity_id"], kinds)
    ctx = AggregateContext(rel, as_of)
    params = rules.values()
    years_back = int(params.get("annual_report_years_checked", 1))
    fired, skipped = [], []
    for loaded in rules.rules:
        rule = loaded.rule
        offsets = range(years_back) if rule.repeat == "report_years" else range(1)
        absent = _absent_fields(rule, ent_schema, all_kinds, params)
        if absent:
            skipped.append({"rule": rule.id, "fields": absent,
                            "reason_zh": f"检查对象名录没有 {'、'.join(absent)} 列，规则未运行",
                            "reason_en": f"the register has no {', '.join(absent)} column: rule not run"})
            continue
        for k in offsets:
            consts = context.constants(as_of, params, k)
            expr = _compile(rule.when, loaded, ("when",), ent_schema, all_kinds, consts, T.BOOL)
            need = {a.kind for a in aggregates(expr.tree)}
            missing = sorted(need - set(kinds))
            if missing:
                if k == 0:
                    skipped.append({"rule": rule.id, "kinds": missing,
                                    "reason_zh": f"未提供 {'、'.join(missing)} 记录，规则未运行",
                                    "reason_en": f"no {', '.join(missing)} records given: rule not run"})
                break
            hit = np.asarray(expr.evaluate(ent, ctx), dtype=bool)
            f = Fired(loaded, consts["report_year"] if rule.repeat else None, hit, expr,
                      [x for x in expr.fields if x in ent.columns])
            out = rule.outcome
            if out.flag == "abnormal":     # dates kept only where the rule fired
                heads = np.flatnonzero(hit)
                le = _compile(out.listed_on, loaded, ("outcome", "listed_on"), ent_schema, all_kinds, consts, T.DATE)
                f.listed_on = _date_array(le.evaluate(ent, ctx), n)[heads]
                if out.removed_on:
                    re_ = _compile(out.removed_on, loaded, ("outcome", "removed_on"), ent_schema, all_kinds,
                                   consts, T.DATE)
                    f.removed_on = _date_array(re_.evaluate(ent, ctx), n)[heads]
                else:
                    f.removed_on = _date_array(None, len(heads))
            if out.flag == "targeted":
                f.items = items_of(expr, hit, ctx, out.items_from, list(out.items))
            fired.append(f)
    res = _combine(ent, fired, skipped, params)
    res.ctx = ctx
    res.shown = {k: v.shown for k, v in kinds.items()}
    return res


def _combine(ent: pd.DataFrame, fired: list, skipped: list, params: dict) -> Result:
    n = len(ent)
    base = RANK[str(params.get("base_class", "A"))]
    rank = np.full(n, base, dtype=np.int8)
    key = np.zeros(n, bool)
    targeted = np.zeros(n, bool)
    abnormal = np.zeros(n, bool)
    item_parts = []
    listings = []
    for f in fired:
        out = f.rule.rule.outcome
        if out.credit_class:
            rank = np.maximum(rank, np.where(f.hit, RANK[out.credit_class], 0).astype(np.int8))
        elif out.flag == "key":
            key |= f.hit
        elif out.flag == "targeted":
            targeted |= f.hit
            item_parts.append(f.items)
        elif out.flag == "abnormal":
            heads = np.flatnonzero(f.hit)
            abnormal[heads[np.isnat(f.removed_on)]] = True
            years = int(params.get("serious_list_years", 3))
            for i, p in enumerate(heads):
                listed = f.listed_on[i]
                serious = None if np.isnat(listed) else (
                    pd.Timestamp(listed) + pd.DateOffset(years=years) + pd.Timedelta(days=1)).date()
                listings.append({"pos": int(p), "rule": f.rule.rule.id, "report_year": f.report_year,
                                 "listed_on": listed, "removed_on": f.removed_on[i], "serious_from": serious})
    titems = np.full(n, "", dtype=object)
    if item_parts:
        allp = pd.concat(item_parts)
        frame = pd.DataFrame({"e": allp.index.to_numpy(), "t": allp.to_numpy()})
        split = frame[frame["t"] != "*"].assign(t=lambda d: d["t"].str.split(";")).explode("t")
        if len(split):
            e, joined = join_per_entity(split["e"].to_numpy(), split["t"].to_numpy(dtype=object))
            titems[e] = joined
        titems[frame.loc[frame["t"] == "*", "e"].unique()] = "*"
    final = np.array(list(CLASSES))[rank]
    previous = ent["credit_class"].astype(object).to_numpy()
    listings.sort(key=lambda r: (r["pos"], r["report_year"] or 0))
    return Result(previous, final, fired, skipped, key, targeted, titems, abnormal, listings)
