"""Load ``rules/accountability/``: strict YAML → pydantic models → compiled conditions.

Every mistake in every file is collected and raised at once as
``RuleFileError`` (``file:line: reason``), like the provision loader.  A
folder needs exactly one ``parameters`` file (with ``window_days``) and one
``ladder``; trigger ids are unique and equal to the file name; every measure
a trigger names is a ladder step or an equivalent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from engine.accountability.model import (KINDS, TYPES, CountTrigger, DoubleCheckTrigger, EscalationTrigger,
                                         LadderFile, Param, ParametersFile, RankingTrigger, RuleFile, Step)
from engine.errors import ExprError, Problem, RuleFileError
from engine.expr import Expression, compile_filter
from engine.ruleset.yamlload import ProblemError, expression_problem, line_of, load_yaml, pydantic_problem
from engine.types import FieldType as T

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "rules" / "accountability"
_ADAPTER = TypeAdapter(RuleFile)

# The finding fields a trigger condition may name (findings.jsonl), with their types.
FINDING_SCHEMA = {"case_id": T.STRING, "code": T.STRING, "category": T.STRING, "severity": T.STRING,
                  "department": T.STRING, "event_date": T.DATE, "record_kind": T.STRING,
                  "officers": T.LIST}
FINDING_CHOICES = {"category": {"overreach", "inaction", "leniency", "procedure"},
                   "severity": {"high", "medium", "low"},
                   "record_kind": {"penalty", "approval", "disclosure", "complaint"}}


@dataclass
class CompiledTrigger:
    model: CountTrigger | DoubleCheckTrigger | RankingTrigger | EscalationTrigger
    file: Path
    condition: Expression | None = None

    @property
    def id(self) -> str:
        return self.model.id

    def value(self, name: str) -> int:
        return self.model.parameters[name].value


@dataclass
class AccountabilityRules:
    root: Path
    parameters: dict[str, Param]
    ladder: LadderFile
    triggers: list[CompiledTrigger] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)     # id -> file

    @property
    def window_days(self) -> int:
        return self.parameters["window_days"].value

    def of_type(self, kind: str) -> list[CompiledTrigger]:
        return [t for t in self.triggers if t.model.type == kind]

    def rank(self, measure: str) -> int:
        """Position of a measure on the ladder (an equivalent counts as its ``rank_as`` step)."""
        names = [s.measure for s in self.ladder.steps]
        if measure in self.ladder.equivalents:
            measure = self.ladder.equivalents[measure].rank_as
        return names.index(measure)

    def step(self, measure: str) -> Step | None:
        return next((s for s in self.ladder.steps if s.measure == measure), None)

    def measure_en(self, measure: str) -> str:
        s = self.step(measure)
        return s.measure_en if s else self.ladder.equivalents[measure].measure_en


def load_accountability_rules(root: Path | str | None = None) -> AccountabilityRules:
    root = Path(root) if root else DEFAULT_DIR
    if not root.is_dir():
        raise RuleFileError([Problem(str(root), 0, "问责规则文件夹不存在 (accountability rules folder not found)")])
    problems: list[Problem] = []
    loaded: list[tuple[Path, object, object]] = []
    for path in sorted(root.glob("*.yaml")):
        if path.name == "index.yaml" or path.name.endswith(".cases.yaml"):
            continue
        try:
            data = load_yaml(path)
        except ProblemError as e:
            problems.append(e.problem)
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), 1, "规则文件须为含 'kind' 键的映射 "
                                                  "(a rule file must be a mapping with a 'kind' key)"))
            continue
        try:
            loaded.append((path, data, _ADAPTER.validate_python(data)))
        except ValidationError as e:
            problems.extend(_pydantic_problem(path, data, err) for err in e.errors())
    rules = _assemble(root, loaded, problems)
    if problems:
        raise RuleFileError(sorted(problems, key=Problem.sort_key))
    return rules


def _assemble(root: Path, loaded, problems: list[Problem]) -> AccountabilityRules | None:
    params = [(p, d, m) for p, d, m in loaded if isinstance(m, ParametersFile)]
    ladders = [(p, d, m) for p, d, m in loaded if isinstance(m, LadderFile)]
    triggers = [(p, d, m) for p, d, m in loaded if m.kind == "trigger"]
    ids: dict[str, Path] = {}
    for path, data, model in loaded:
        if model.id != path.stem:
            problems.append(Problem(str(path), line_of(data, ("id",)),
                                    f"id '{model.id}' 须与文件名 '{path.stem}' 一致 (id must match the file name)"))
        if model.id in ids:
            problems.append(Problem(str(path), line_of(data, ("id",)),
                                    f"id '{model.id}' 已在 {ids[model.id]} 中使用 (id is also used there)"))
        ids.setdefault(model.id, path)
    for what, found in (("parameters", params), ("ladder", ladders)):
        if len(found) != 1:
            where = ", ".join(str(p) for p, _, _ in found) or "未找到 none found"
            problems.append(Problem(str(root), 0, f"须有且只有一个 kind: {what} 文件 "
                                                  f"(exactly one kind: {what} file is required) ({where})"))
    if len(params) == 1 and "window_days" not in params[0][2].parameters:
        p, d, _ = params[0]
        problems.append(Problem(str(p), line_of(d, ("parameters",)), "parameters: 缺少 window_days (window_days is required)"))
    escalations = [t for t in triggers if t[2].type == "escalation"]
    for p, d, _ in escalations[1:]:
        problems.append(Problem(str(p), line_of(d, ("type",)),
                                "只允许一个 escalation 触发规则 "
                                f"(only one escalation trigger is allowed; also {escalations[0][0]})"))
    if len(ladders) == 1:
        _check_ladder(*ladders[0], problems)
    if len(params) != 1 or len(ladders) != 1:
        return None
    rules = AccountabilityRules(root, params[0][2].parameters, ladders[0][2], files=ids)
    known = {s.measure for s in rules.ladder.steps} | set(rules.ladder.equivalents)
    for path, data, model in triggers:
        rules.triggers.append(_compile_trigger(path, data, model, known, problems))
    order = {t: i for i, t in enumerate(TYPES)}
    rules.triggers.sort(key=lambda t: (order[t.model.type], t.id))
    return rules


def _check_ladder(path: Path, data, ladder: LadderFile, problems: list[Problem]):
    names = [s.measure for s in ladder.steps]
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append(Problem(str(path), line_of(data, ("steps", i, "measure")),
                                    f"steps.{i}.measure: '{name}' 重复列出 (listed twice)"))
    for word, eq in ladder.equivalents.items():
        if word in names:
            problems.append(Problem(str(path), line_of(data, ("equivalents", word)),
                                    f"equivalents.{word}: 已是问责阶梯中的一级 (already a ladder step)"))
        if eq.rank_as not in names:
            problems.append(Problem(str(path), line_of(data, ("equivalents", word, "rank_as")),
                                    f"equivalents.{word}.rank_as: '{eq.rank_as}' 不是问责阶梯中的一级 (not a ladder step; "
                                    f"steps: {', '.join(names)})"))


def _compile_trigger(path: Path, data, model, known: set[str], problems: list[Problem]) -> CompiledTrigger:
    def measure_ok(measure: str, loc: tuple):
        if measure not in known:
            problems.append(Problem(str(path), line_of(data, loc),
                                    f"{'.'.join(map(str, loc))}: '{measure}' 不是问责阶梯中的措施 (not a measure of the ladder; "
                                    f"known: {', '.join(sorted(known))})"))
    if isinstance(model, CountTrigger):
        for i, lv in enumerate(model.levels):
            measure_ok(lv.measure, ("levels", i, "measure"))
    elif isinstance(model, (DoubleCheckTrigger, RankingTrigger)):
        measure_ok(model.measure, ("measure",))
    condition = None
    if not isinstance(model, EscalationTrigger):
        try:
            condition = compile_filter(model.when, FINDING_SCHEMA, FINDING_CHOICES)
        except ExprError as e:
            problems.append(expression_problem(path, data, ("when",), e))
    return CompiledTrigger(model, path, condition)


def _pydantic_problem(path: Path, data, err: dict) -> Problem:
    loc = tuple(err["loc"])
    if len(loc) >= 2 and loc[0] == "trigger" and loc[1] in TYPES:
        loc = loc[2:]
    elif loc and loc[0] in KINDS:
        loc = loc[1:]
    msg = None
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx") or {}
        key = str(ctx.get("discriminator", "")).strip("'\"")
        loc = (key,)
        allowed = ", ".join(KINDS if key == "kind" else TYPES)
        msg = (f"'{ctx.get('tag')}' 不是可用值之一 (is not one of {allowed})" if err["type"] == "union_tag_invalid"
               else f"缺少必需的键 (required key is missing; one of {allowed})")
    return pydantic_problem(path, data, err, loc, msg)
