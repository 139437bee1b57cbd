"""Load ``rules/targets/``: every rule file and the parameters, all mistakes at once as ``file:line: reason``.

Conditions are compiled later, per run, against the columns the register actually has (a department's
register may carry more fields than the bundled sample); their mistakes are reported the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from engine.errors import Problem, RuleFileError
from engine.ruleset.yamlload import ProblemError, load_yaml, pydantic_problem
from engine.targets.model import ParametersFile, TargetRule

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "rules" / "targets"
PARAMETERS_FILE = "parameters.yaml"


@dataclass
class LoadedRule:
    rule: TargetRule
    path: Path
    data: object            # the located YAML (for line numbers of later errors)


@dataclass
class TargetRules:
    root: Path
    rules: list[LoadedRule] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)     # name -> Param
    overrides: dict = field(default_factory=dict)      # name -> value given by the department

    def value(self, name: str):
        return self.overrides.get(name, self.parameters[name].value)

    def values(self) -> dict:
        return {name: self.value(name) for name in self.parameters}


def load_target_rules(root: Path | str | None = None) -> TargetRules:
    root = Path(root) if root else DEFAULT_DIR
    if not root.is_dir():
        raise RuleFileError([Problem(root, 0, "检查对象规则文件夹不存在 (no target rules folder here)")])
    out = TargetRules(root)
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    files = sorted(root.glob("*.yaml"))
    if not any(p.name == PARAMETERS_FILE for p in files):
        problems.append(Problem(root / PARAMETERS_FILE, 0, "缺少参数文件 (the parameters file is missing)"))
    for path in files:
        try:
            data = load_yaml(path)
        except ProblemError as e:
            problems.append(e.problem)
            continue
        model = ParametersFile if path.name == PARAMETERS_FILE else TargetRule
        try:
            parsed = model.model_validate(data)
        except ValidationError as e:
            problems += [pydantic_problem(path, data, err) for err in e.errors()]
            continue
        if isinstance(parsed, ParametersFile):
            out.parameters = dict(parsed.parameters)
            continue
        if parsed.id != path.stem:
            problems.append(Problem(path, 1, f"id '{parsed.id}' 应与文件名一致 (must equal the file name "
                                             f"'{path.stem}')"))
        if parsed.id in seen:
            problems.append(Problem(path, 1, f"规则编号重复 (duplicate rule id) '{parsed.id}' (also {seen[parsed.id]})"))
        seen[parsed.id] = path
        out.rules.append(LoadedRule(parsed, path, data))
    if problems:
        raise RuleFileError(sorted(problems, key=Problem.sort_key))
    return out


def apply_overrides(rules: TargetRules, path: Path) -> None:
    """A department's own values (``--params FILE``: ``name: value`` lines) over the cited defaults;
    each must name a known parameter and keep its kind of value."""
    try:
        data = load_yaml(path)
    except ProblemError as e:
        raise RuleFileError([e.problem]) from None
    if not isinstance(data, dict):
        raise RuleFileError([Problem(path, 1, "参数文件应为 名称: 值 的映射 (give a mapping name: value)")])
    problems = []
    for name, value in data.items():
        line = getattr(data, "key_lines", {}).get(name, 1)
        if name not in rules.parameters:
            problems.append(Problem(path, line, f"未知参数 (unknown parameter) '{name}'; 可用 (known): "
                                                f"{', '.join(sorted(rules.parameters))}"))
            continue
        default = rules.parameters[name].value
        same = (isinstance(default, bool) == isinstance(value, bool)) and (
            isinstance(default, list) == isinstance(value, list)) and (
            isinstance(default, str) == isinstance(value, str))
        if not same:
            problems.append(Problem(path, line, f"{name}: 值的类型应与默认值 {default!r} 相同 "
                                                f"(must be the same kind of value as the default)"))
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            problems.append(Problem(path, line, f"{name}: 不能为负数 (cannot be negative)"))
            continue
        rules.overrides[name] = list(value) if isinstance(value, list) else value
    if problems:
        raise RuleFileError(problems)
