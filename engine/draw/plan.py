"""The draw plan (抽查计划): strict YAML → pydantic model, every mistake as ``file:line: reason``.

Strict because a typo in a plan is a legal problem, not a style problem: a
misspelt ``frequency_cap`` silently ignored would let the same firm be
inspected again and again.  So unknown keys and duplicate keys are errors,
rates are exact decimals (taken from the YAML text, never via float: 0.1 × 30
must be 3), and every error names the line.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import ExprError, Problem, RuleFileError
from engine.expr import compile_filter

CREDIT_CLASSES = ("A", "B", "C", "D")
MIN_INSPECTORS = 2
MIN_INSPECTORS_BASIS = "《中华人民共和国行政处罚法》第四十二条（执法人员不得少于两人）；国办发〔2015〕58号"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Basis(_Strict):
    law: str = Field(min_length=1)
    article: int | str
    clause: Optional[int | str] = None

    def cite(self) -> str:
        law = self.law if self.law.startswith("《") else f"《{self.law}》"
        art = f"第{self.article}条" if isinstance(self.article, int) or str(self.article).isdigit() else str(self.article)
        return law + art + (f"第{self.clause}款" if self.clause is not None else "")


class FrequencyCap(_Strict):
    max: int = Field(ge=1)
    window_days: int = Field(ge=1)


# A plan item may name a flag set by ``zhunsheng targets`` instead of a filter and rates: every entity
# with the flag is drawn (rate 1 in every class), so one plan mixes full coverage (重点监管, 有针对性检查,
# 优化营商环境条例 Art. 54 ¶2) with random sampling.  The flag becomes an ordinary filter over the columns
# targets writes into register.csv, so the draw, its commitment and its verification are unchanged.
FLAG_COLUMNS = {"key": "flag_key", "targeted": "flag_targeted", "abnormal": "flag_abnormal"}


def flag_filter(flag: str, item_id: str) -> str:
    """The filter a flag stands for: the flag column is 是; for ``targeted``, only entities targeted for
    this item (or for every item, ``*``)."""
    text = f"{FLAG_COLUMNS[flag]} == '是'"
    if flag == "targeted":
        quoted = item_id.replace("\\", "\\\\").replace("'", "\\'")
        text += f" and (has(targeted_items, '*') or has(targeted_items, '{quoted}'))"
    return text


class Item(_Strict):
    item_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    basis: Basis
    kind: Literal["general", "key"]
    filter: str = "true"
    rates: dict[str, Decimal]
    inspectors_per_target: int
    inspector_filter: Optional[str] = None
    frequency_cap: Optional[FrequencyCap] = None
    description: Optional[str] = None
    flag: Optional[Literal["key", "targeted", "abnormal"]] = None     # see FLAG_COLUMNS

    @model_validator(mode="before")
    @classmethod
    def _flag(cls, data):
        if not isinstance(data, dict) or data.get("flag") is None:
            return data
        flag = data["flag"]
        if flag not in FLAG_COLUMNS:
            return data     # the Literal reports it
        given = [k for k in ("filter", "rates") if k in data]
        if given:
            raise ValueError(f"flag 与 {'、'.join(given)} 不能同时给出：标记项目抽取全部带该标记的对象 "
                             f"(an item naming a flag takes every flagged entity; remove {', '.join(given)})")
        out = dict(data)
        out.setdefault("kind", "key")
        out["filter"] = flag_filter(flag, str(data.get("item_id", "")))
        out["rates"] = {c: Decimal(1) for c in CREDIT_CLASSES}
        return out

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict) -> dict:
        keys = set(v)
        if keys != set(CREDIT_CLASSES):
            missing = [c for c in CREDIT_CLASSES if c not in keys]
            extra = sorted(keys - set(CREDIT_CLASSES))
            raise ValueError("抽查比例须按信用风险分类 A/B/C/D 逐一给出 (rates must give A, B, C and D"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(extra)}" if extra else "") + ")")
        for c, r in v.items():
            if not (Decimal(0) <= r <= Decimal(1)):
                raise ValueError(f"抽查比例 {c} = {r} 应在 0 与 1 之间，1.0 = 全部 (rate {c} = {r} is outside 0–1)")
        return {c: v[c] for c in CREDIT_CLASSES}

    @field_validator("inspectors_per_target")
    @classmethod
    def _two(cls, v: int) -> int:
        if v < MIN_INSPECTORS:
            raise ValueError(f"每个检查对象至少选派两名执法人员：{MIN_INSPECTORS_BASIS} "
                             f"(inspectors_per_target must be at least {MIN_INSPECTORS}, got {v})")
        return v

    @model_validator(mode="after")
    def _cap(self):
        if self.flag is not None and self.kind != "key":
            raise ValueError("标记项目为全覆盖，kind 应为 key (a flag item is full coverage: kind must be key)")
        if self.kind == "key" and self.frequency_cap is not None:
            raise ValueError("重点检查事项不设抽查频次上限，请删除 frequency_cap "
                             "(a key item has no frequency_cap: remove it)")
        if self.kind == "general" and self.frequency_cap is None:
            raise ValueError("一般检查事项须限制抽查频次 "
                             "(a general item needs frequency_cap {max, window_days})")
        return self


class Plan(_Strict):
    plan_id: str = Field(min_length=1)
    department: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    draw_date: Optional[dt.date] = None
    description: Optional[str] = None
    items: list[Item] = Field(min_length=1)


class LoadedPlan:
    """A validated plan plus where each key sits in the file (for later errors, e.g. in filters)."""

    def __init__(self, plan: Plan, path: Path, lines: dict, columns: dict, text: str):
        self.plan = plan
        self.path = path
        self.lines = lines
        self.columns = columns
        self.text = text

    def line(self, *loc) -> int:
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def compile_filters(self, entity_schema: dict, inspector_schema: dict):
        """Compile every item filter against the registers' columns, reporting all errors at once."""
        problems, out = [], []
        for i, item in enumerate(self.plan.items):
            pair = []
            for key, schema, src in (("filter", entity_schema, item.filter),
                                     ("inspector_filter", inspector_schema, item.inspector_filter)):
                if src is None:
                    pair.append(None)
                    continue
                if key == "filter" and item.flag is not None:
                    need = [c for c in (FLAG_COLUMNS[item.flag], "targeted_items")
                            if c in src and c not in entity_schema]
                    if need:
                        problems.append(Problem(self.path, self.line("items", i, "flag"),
                                                f"items[{i}].flag ({item.item_id}): 检查对象名录没有 {', '.join(need)} 列，"
                                                f"请使用 zhunsheng targets 输出的 register.csv (the entity register has no "
                                                f"{', '.join(need)} column: use the register.csv written by "
                                                f"zhunsheng targets)"))
                        pair.append(None)
                        continue
                try:
                    pair.append(compile_filter(src, schema,
                                               {"credit_class": set(CREDIT_CLASSES)} if key == "filter" else None))
                except ExprError as e:
                    line = self.line("items", i, key)
                    if "\n" in src.strip():
                        line += e.line  # block scalar: the text starts on the next line
                    problems.append(Problem(self.path, line, f"items[{i}].{key} ({item.item_id}): {e}"))
                    pair.append(None)
                except RuleFileError as e:   # the expression code's own limits, reported at the plan's line
                    problems += [Problem(self.path, self.line("items", i, key),
                                         f"items[{i}].{key} ({item.item_id}): {p.reason}") for p in e.problems]
                    pair.append(None)
            out.append(tuple(pair))
        if problems:
            raise RuleFileError(problems)
        return out

    @staticmethod
    def fields_used(filters) -> tuple[set, set]:
        """Entity and inspector fields the compiled filters read."""
        ent, ins = set(), set()
        for ef, inf in filters:
            if ef is not None:
                ent.update(ef.fields)
            if inf is not None:
                ins.update(inf.fields)
        return ent, ins


class _Loader(yaml.SafeLoader):
    pass


# A plan nests four levels (plan → items → item → rates); PyYAML's composer and ``_construct`` recurse per
# level, so deeper text is refused before it can exhaust Python's recursion limit.  Aliases are
# expanded by ``_construct``: a node budget stops an alias bomb (a few lines expanding to billions).
MAX_DEPTH = 20
MAX_NODES = 200_000


def _too_deep(file, line: int):
    return RuleFileError([Problem(file, line, f"计划嵌套过深：超过 {MAX_DEPTH} 层 (the plan is nested more than "
                                              f"{MAX_DEPTH} levels deep; a plan needs four)")])


def _check_depth(text: str, file) -> None:
    """Walk the YAML events (PyYAML's parser is a loop, not a recursion) and refuse deep nesting."""
    depth = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(file, ev.start_mark.line + 1)
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _construct(node, path, lines, columns, file, budget=None):
    if budget is None:
        budget = [MAX_NODES]
    budget[0] -= 1
    if len(path) > MAX_DEPTH:   # only an alias can get here (a recursive one: &a [*a])
        raise _too_deep(file, node.start_mark.line + 1)
    if budget[0] < 0:
        raise RuleFileError([Problem(file, node.start_mark.line + 1,
                                     f"计划过大：超过 {MAX_NODES:,} 个值（别名展开后）(the plan has more than "
                                     f"{MAX_NODES:,} values once aliases are expanded)")])
    lines[path] = node.start_mark.line + 1
    columns[path] = node.start_mark.column + 1
    if isinstance(node, yaml.MappingNode):
        out, seen = {}, {}
        for k, v in node.value:
            key = _construct(k, path + ("<key>",), {}, {}, file, budget)
            if not isinstance(key, (str, int)):
                raise RuleFileError([Problem(file, k.start_mark.line + 1, f"不支持的键 {key!r} (unsupported key)")])
            if key in seen:
                raise RuleFileError([Problem(file, k.start_mark.line + 1,
                                             f"键重复 '{key}'，首次出现在第 {seen[key]} 行 "
                                             f"(duplicate key, first on line {seen[key]})")])
            seen[key] = k.start_mark.line + 1
            lines[path + (key,)] = k.start_mark.line + 1
            out[key] = _construct(v, path + (key,), lines, columns, file, budget)
            lines[path + (key,)] = k.start_mark.line + 1 if isinstance(v, (yaml.MappingNode, yaml.SequenceNode)) \
                else v.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, path + (i,), lines, columns, file, budget) for i, v in enumerate(node.value)]
    tag = node.tag
    if tag == "tag:yaml.org,2002:float" or (tag == "tag:yaml.org,2002:str" and node.value.strip().endswith("%")
                                            and path and path[-2:-1] == ("rates",)):
        text = node.value.strip().replace("_", "")
        try:
            if text.endswith("%"):
                return Decimal(text[:-1].strip()) / 100
            return Decimal(text)
        except InvalidOperation:
            raise RuleFileError([Problem(file, node.start_mark.line + 1, f"不是数字 {node.value!r} (not a number)")])
    if tag == "tag:yaml.org,2002:timestamp":
        return node.value  # dates stay text; pydantic parses ISO dates and says which key is wrong
    return _Loader.construct_object(_Loader(""), node) if tag != "tag:yaml.org,2002:str" else node.value


def _suggest(loc: tuple) -> str:
    import difflib
    model = Plan
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        inner = getattr(ann, "__args__", (ann,))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f"；是否应为 '{close[0]}' (did you mean '{close[0]}'?)" if close else ""


def load_plan(path) -> LoadedPlan:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RuleFileError([Problem(path, 0, f"无法读取计划文件 (cannot read the plan): {e.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleFileError([Problem(path, 0, "计划文件须为 UTF-8 编码 (the plan must be UTF-8 text)")]) from None
    return parse_plan(text, path)


def parse_plan(text: str, path) -> LoadedPlan:
    path = Path(path)
    try:
        _check_depth(text, path)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise RuleFileError([Problem(path, mark.line + 1 if mark else 0,
                                     f"不是有效的 YAML (not valid YAML): {getattr(e, 'problem', e)}")]) from None
    if node is None:
        raise RuleFileError([Problem(path, 1, "计划文件为空 (the plan is empty)")])
    lines, columns = {}, {}
    data = _construct(node, (), lines, columns, path)
    if not isinstance(data, dict):
        raise RuleFileError([Problem(path, 1, "计划须为映射 (the plan must be a mapping: plan_id, department, year, items)")])
    try:
        plan = Plan.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            where = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc).replace(".[", "[")
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"未知的键，请检查拼写 (unknown key){_suggest(loc)}"
            probe = loc
            while probe and probe not in lines:
                probe = probe[:-1]
            problems.append(Problem(path, lines.get(probe, 1), f"{where or 'plan'}: {msg}"))
        raise RuleFileError(sorted(problems, key=Problem.sort_key)) from None
    if plan.draw_date is not None and plan.draw_date.year != plan.year:
        raise RuleFileError([Problem(path, lines.get(("draw_date",), 1),
                                     f"抽查日期 draw_date {plan.draw_date} 不在计划年度 {plan.year} 内 (not in the plan year)")])
    return LoadedPlan(plan, path, lines, columns, text)
