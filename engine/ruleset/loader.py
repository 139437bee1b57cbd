"""Load a rules folder: strict YAML → pydantic models → compiled conditions.

Every problem in every file is collected and reported at once as
``file:line: reason`` (sqlglot's collect-all error level), so a rule author
fixes a whole file in one pass.  Files named ``*.cases.yaml`` are test cases
(see ``engine.testing``), ``index.yaml`` describes a folder, and
``calendar/`` holds working-day calendars; none of them are rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from engine.errors import Problem, RuleFileError
from engine.expr import Expression
from engine.records.schema import expression_choices, expression_schema
from engine.ruleset.deadlines import CompiledDeadline, compile_deadline, order_deadlines
from engine.ruleset.models import (Branch, Citation, DatedByModel, Deadline, Parameter, ParameterSet, Provision,
                                   RuleFile, Version, parameter_ceiling, within)
from engine.ruleset.yamlload import ProblemError, compiled_at, line_of, load_yaml, pydantic_problem
from engine.types import FieldType

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"
SKIP_DIRS = {"calendar", "accountability", "catalog", "targets"}   # read by their own domains
_ADAPTER = TypeAdapter(RuleFile)


@dataclass
class CompiledBranch:
    model: Branch
    condition: Expression
    citation: Citation
    sanctions: dict[str, tuple[str, Expression | None]]  # name -> (mode, condition)
    referred: tuple = ()          # citations of the provision a cross-reference (refer) points to
    groups: dict = field(default_factory=dict)    # sanction -> its one_of group (alternatives, one is due)

    @property
    def citations(self) -> tuple:
        """The branch's own article, then the article it refers to (依照…的规定处罚)."""
        return (self.citation, *self.referred)


@dataclass
class CompiledVersion(DatedByModel):
    model: Version
    branches: list[CompiledBranch]
    citation: Citation


@dataclass
class CompiledProvision:
    model: Provision
    file: Path
    data: object                      # the located YAML, for lint line numbers
    versions: list[CompiledVersion]
    exemptions: list = field(default_factory=list)   # (Exemption, compiled condition)
    persons: dict = field(default_factory=dict)      # who -> (PersonsDuty, compiled condition or None)

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def fields_read(self) -> list[str]:
        """Every record field a condition, a base amount or a requirement of this provision reads."""
        out: dict[str, None] = {}
        for _, cond in self.persons.values():
            for f in (cond.fields if cond else ()):
                out.setdefault(f, None)
        for v in self.versions:
            for f in v.model.requires:
                out.setdefault(f, None)
            for b in v.branches:
                for f in b.condition.fields:
                    out.setdefault(f, None)
                if b.model.fine is not None and b.model.fine.base:
                    out.setdefault(b.model.fine.base, None)
                if b.model.fine is not None and b.model.fine.per_day is not None:
                    out.setdefault(b.model.fine.per_day.order, None)
                    out.setdefault(b.model.fine.per_day.until, None)
                for _, cond in b.sanctions.values():
                    for f in (cond.fields if cond else ()):
                        out.setdefault(f, None)
        return list(out)


@dataclass
class RuleSet:
    root: Path
    provisions: dict[str, CompiledProvision] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    parameter_files: dict[str, Path] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)   # violation code -> provision id
    deadlines: dict[str, CompiledDeadline] = field(default_factory=dict)   # in dependency order
    declared: dict = field(default_factory=dict)     # fact name -> (Column, provision id) declared by provisions

    @property
    def penalty_schema(self):
        """The penalty record's schema with the facts provisions declare (engine.records.schema.PENALTY if none)."""
        from engine.records.schema import with_declared
        return with_declared(tuple(c for c, _ in self.declared.values()))

    def deadlines_of(self, record_kind: str) -> list[CompiledDeadline]:
        """The deadline rules of one record kind, each after the deadlines it refers to."""
        return [d for d in self.deadlines.values() if d.record_kind == record_kind]

    def param(self, name: str):
        try:
            return self.parameters[name]
        except KeyError:
            raise RuleFileError([Problem(str(self.root), 0, f"缺少必需的参数 '{name}'，任何参数文件都未定义 "
                                         f"(required parameter '{name}' is not defined in any parameters file)")]) from None

    def value(self, name: str):
        return self.param(name).value


def rule_files(root: Path) -> list[Path]:
    root = Path(root)
    out = []
    for p in sorted(root.rglob("*.yaml")):
        rel = p.relative_to(root).parts
        if rel and rel[0] in SKIP_DIRS:
            continue
        if p.name.endswith(".cases.yaml") or p.name == "index.yaml" or rel == ("coverage.yaml",):
            continue
        out.append(p)
    return out


def load_rules(root: Path | str | None = None) -> RuleSet:
    root = Path(root) if root else DEFAULT_RULES_DIR
    if not root.is_dir():
        raise RuleFileError([Problem(str(root), 0, "规则文件夹不存在 (rules folder not found)")])
    problems: list[Problem] = []
    ruleset = RuleSet(root=root)
    for path in rule_files(root):
        try:
            data = load_yaml(path)
        except ProblemError as e:
            problems.append(e.problem)
            continue
        problems.extend(_load_one(path, data, ruleset))
    if not problems:
        problems.extend(_resolve_references(ruleset))
    order, more = order_deadlines(ruleset.deadlines)
    problems.extend(more)
    ruleset.deadlines = {i: ruleset.deadlines[i] for i in order}
    if not ruleset.provisions and not problems:
        problems.append(Problem(str(root), 0, "没有找到条款文件 (no provision files found)"))
    if problems:
        raise RuleFileError(sorted(problems, key=Problem.sort_key))
    return ruleset


def _load_one(path: Path, data, ruleset: RuleSet) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem(str(path), 1, "规则文件须为含 'kind' 键的映射 (a rule file must be a mapping with a 'kind' key)")]
    try:
        model = _ADAPTER.validate_python(data)
    except ValidationError as e:
        return [_pydantic_problem(path, data, err) for err in e.errors()]
    if isinstance(model, ParameterSet):
        out = _parameter_ceilings(path, data, model)
        for name, param in model.parameters.items():
            if name in ruleset.parameters:
                out.append(Problem(str(path), line_of(data, ("parameters", name)),
                                   f"参数 '{name}' 已在 {ruleset.parameter_files[name]} 中定义 "
                                   "(parameter is also defined there)"))
            ruleset.parameters[name] = param
            ruleset.parameter_files[name] = path
        return out
    if isinstance(model, Deadline):
        if model.id in ruleset.deadlines:
            return [Problem(str(path), line_of(data, ("id",)),
                            f"期限 '{model.id}' 已在 {ruleset.deadlines[model.id].file} 中定义 "
                            "(deadline is also defined there)")]
        compiled, problems = compile_deadline(path, data, model)
        if compiled is not None:
            ruleset.deadlines[model.id] = compiled
        return problems
    return _compile_provision(path, data, model, ruleset)


def _parameter_ceilings(path: Path, data, model: ParameterSet) -> list[Problem]:
    """A parameter counted in days or years (by its name) above what a calendar can add."""
    out = []
    for name, param in model.parameters.items():
        limit = parameter_ceiling(name)
        value = param.value
        if limit is None or isinstance(value, (bool, list)):
            continue
        try:
            within(Decimal(str(value).strip()), "参数值", f"parameter '{name}'", limit[0], limit[1], limit[2])
        except PydanticCustomError as e:
            out.append(Problem(str(path), line_of(data, ("parameters", name, "value")),
                               f"parameters.{name}.value: {e.message()}"))
        except ArithmeticError:
            pass
    return out


def _pydantic_problem(path: Path, data, err: dict) -> Problem:
    """The union's tag (provision / parameters / deadline) is not a key of the file: drop it."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("provision", "parameters", "deadline")
                                                and err["loc"] and err["loc"][0] == p))
    return pydantic_problem(path, data, err, loc)


def _declare_facts(path: Path, data, model: Provision, ruleset: RuleSet, problems: list) -> list:
    """The provision's declared facts as record columns; a name the core record has, or another provision
    declared differently, is a problem at its line."""
    from engine.records.schema import BY_NAME, declared_column
    out = []
    for i, f in enumerate(model.facts):
        col = declared_column(f)
        loc = ("facts", i, "name")
        if f.name in BY_NAME:
            problems.append(Problem(str(path), line_of(data, loc),
                                    f"facts: '{f.name}' 是记录的基本字段，不是新的事实 (is a core record field, not a new fact)"))
            continue
        known = ruleset.declared.get(f.name)
        if known is not None and known[0] != col:
            problems.append(Problem(str(path), line_of(data, loc),
                                    f"facts: '{f.name}' 已由 {known[1]} 以不同方式声明 (declared differently by {known[1]})"))
            continue
        ruleset.declared.setdefault(f.name, (col, model.id))
        out.append(col)
    return out


def _compile_provision(path: Path, data, model: Provision, ruleset: RuleSet) -> list[Problem]:
    problems: list[Problem] = []
    if model.id != path.stem:
        problems.append(Problem(str(path), line_of(data, ("id",)),
                                f"id '{model.id}' 须与文件名 '{path.stem}' 一致 (id must match the file name)"))
    if model.id in ruleset.provisions:
        problems.append(Problem(str(path), line_of(data, ("id",)),
                                f"条款 '{model.id}' 已在 {ruleset.provisions[model.id].file} 中定义 "
                                "(provision is also defined there)"))
        return problems
    schema, choices = expression_schema(), expression_choices()
    declared = _declare_facts(path, data, model, ruleset, problems)
    schema = {**schema, **{c.name: c.type for c in declared}}
    choices = {**choices, **{c.name: set(c.codes) for c in declared if c.codes}}

    def compile_expr(text: str, loc: tuple) -> Expression | None:
        return compiled_at(text, schema, choices, path, data, loc, problems)

    exemptions = [(e, compile_expr(e.when, ("exemptions", i, "when"))) for i, e in enumerate(model.exemptions)]
    persons = {who: (d, compile_expr(d.when, ("persons", who, "when")) if d.when else None)
               for who, d in model.persons.items()}

    versions = []
    for vi, v in enumerate(model.versions):
        vloc = ("versions", vi)
        for fi, f in enumerate(v.requires):
            if f not in schema:
                problems.append(Problem(str(path), line_of(data, vloc + ("requires", fi)),
                                        f"requires: 未知字段 '{f}' (unknown field)"))
        base_sanctions = {k: (s.mode, compile_expr(s.when, vloc + ("sanctions", k, "when")) if s.when else None)
                          for k, s in v.sanctions.items()}
        branches = []
        for bi, b in enumerate(v.branches):
            bloc = vloc + ("branches", bi)
            cond = compile_expr(b.when, bloc + ("when",))
            if b.fine is not None and b.fine.base is not None:
                if schema.get(b.fine.base) != FieldType.NUMBER:
                    problems.append(Problem(str(path), line_of(data, bloc + ("fine", "base")),
                                            f"fine.base: '{b.fine.base}' 不是数值字段 (is not a number field)"))
            if b.fine is not None and b.fine.per_day is not None:
                for part in ("order", "until"):
                    name = getattr(b.fine.per_day, part)
                    if schema.get(name) != FieldType.DATE:
                        problems.append(Problem(str(path), line_of(data, bloc + ("fine", "per_day", part)),
                                                f"fine.per_day.{part}: '{name}' 不是日期字段 (is not a date field)"))
            sanctions = dict(base_sanctions)
            for k, s in b.sanctions.items():
                sanctions[k] = (s.mode, compile_expr(s.when, bloc + ("sanctions", k, "when")) if s.when else None)
            citation = b.citation or v.citation or model.citation
            groups = {k: x.one_of for k, x in {**v.sanctions, **b.sanctions}.items() if x.one_of}
            branches.append(CompiledBranch(b, cond, citation, sanctions, groups=groups))
        versions.append(CompiledVersion(v, branches, v.citation or model.citation))
    if problems:
        return problems
    versions.sort(key=lambda cv: cv.valid_from)
    prov = CompiledProvision(model, path, data, versions, exemptions, persons)
    ruleset.provisions[model.id] = prov
    for code in [model.id, *model.violation_codes]:
        if code in ruleset.codes and ruleset.codes[code] != model.id:
            problems.append(Problem(str(path), line_of(data, ("violation_codes",)),
                                    f"违法行为编码 '{code}' 已被 {ruleset.codes[code]} 使用 (violation code is already claimed)"))
        ruleset.codes[code] = model.id
    return problems


def _resolve_references(ruleset: RuleSet) -> list[Problem]:
    """"依照本法第X条的规定处罚": a branch with ``refer`` takes the fine and sanctions of the named provision's
    branch in the version in force when the referring version starts, its condition joined to the
    branch's own, and cites both articles.  One step only: a reference to a referring branch is a problem."""
    problems: list[Problem] = []
    schema = {**expression_schema(), **{n: c.type for n, (c, _) in ruleset.declared.items()}}
    choices = {**expression_choices(), **{n: set(c.codes) for n, (c, _) in ruleset.declared.items() if c.codes}}
    for cp in ruleset.provisions.values():
        for vi, cv in enumerate(cp.versions):
            vloc = ("versions", cp.model.versions.index(cv.model))
            for bi, cb in enumerate(cv.branches):
                ref = cb.model.refer
                if ref is None:
                    continue
                loc = vloc + ("branches", bi, "refer")

                def problem(text):
                    problems.append(Problem(str(cp.file), line_of(cp.data, loc), text))
                target = ruleset.provisions.get(ref.provision)
                if target is None or target is cp:
                    problem(f"refer: 没有可依照的条款 '{ref.provision}' (no other provision '{ref.provision}')")
                    continue
                start = cv.model.valid_from
                tv = next((t for t in target.versions if t.model.valid_from <= start
                           and (t.model.valid_to is None or start <= t.model.valid_to)), None)
                if tv is None:
                    problem(f"refer: {ref.provision} 在 {start} 没有有效版本 (has no version in force on {start})")
                    continue
                named = [b for b in tv.branches if ref.branch in (None, b.model.id)]
                if len(named) != 1:
                    problem(f"refer: {ref.provision} 有 {len(tv.branches)} 个情形，请用 refer.branch 指明 "
                            f"(has several branches or none named '{ref.branch}': name one with refer.branch)")
                    continue
                tb = named[0]
                if tb.model.refer is not None:
                    problem(f"refer: {ref.provision} 本身也是依照其他条款 (refers on itself: one step only)")
                    continue
                cond = cb.condition
                if tb.condition.source.strip() != "true":
                    text = f"({cb.model.when}) and ({tb.model.when})"
                    cond = compiled_at(text, schema, choices, cp.file, cp.data, loc[:-1] + ("when",), problems)
                    if cond is None:
                        continue
                sanctions = {**cb.sanctions, **tb.sanctions}
                model = cb.model.model_copy(update={"fine": tb.model.fine})
                cv.branches[bi] = CompiledBranch(model, cond, cb.citation, sanctions, tb.citations,
                                                 {**cb.groups, **tb.groups})
    return problems
