"""Strict YAML loading that remembers where every value came from.

Following OpenFisca's loader: duplicate keys are an error, and dates stay
strings (the rule models parse them, so a bad date is reported with its key,
not silently turned into text).  Every mapping and list is returned as a
``Located`` container that knows the line of itself and of each key, so a
pydantic error ``loc`` maps back to ``file:line``.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from engine.errors import Problem


class LocatedDict(dict):
    line: int = 0
    key_lines: dict


class LocatedList(list):
    line: int = 0
    item_lines: list


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where available
    pass


# keep dates (and anything timestamp-like) as plain strings
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key, line):
        self.key, self.line = key, line
        super().__init__(f"duplicate key '{key}'")


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    out = LocatedDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise DuplicateKey(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader, node, deep=False):
    out = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path):
    """Load one YAML file; raises a list of Problems (as RuleFileError upstream) on syntax errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _problem(path, 1, "rule files must be UTF-8") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except DuplicateKey as e:
        raise _problem(path, e.line, f"duplicate key '{e.key}'") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise _problem(path, line, f"YAML syntax: {e.problem or e}") from None


def line_of(data, loc: tuple) -> int:
    """The line of the deepest element of ``loc`` that we can locate inside ``data``."""
    line = getattr(data, "line", 0)
    cur = data
    for part in loc:
        if isinstance(cur, LocatedDict) and part in cur:
            line = cur.key_lines.get(part, line)
            cur = cur[part]
        elif isinstance(cur, LocatedList) and isinstance(part, int) and part < len(cur):
            line = cur.item_lines[part]
            cur = cur[part]
        else:
            break
    return line


_MESSAGES = {"extra_forbidden": "unknown key (mistyped?)", "missing": "required key is missing"}


def pydantic_problem(path, data, err: dict, loc: tuple | None = None, msg: str | None = None) -> Problem:
    """One pydantic validation error as ``file:line: key.path: message``.

    ``loc`` and ``msg`` let a loader drop a discriminator tag from the key path or
    word a union error its own way; otherwise pydantic's location and message are
    used, with mistyped and missing keys said plainly.
    """
    loc = tuple(err["loc"]) if loc is None else tuple(loc)
    msg = msg if msg is not None else _MESSAGES.get(err["type"], err["msg"])
    where = ".".join(str(p) for p in loc) or "(file)"
    return Problem(str(path), line_of(data, loc), f"{where}: {msg}")


def compiled_at(text: str, schema: dict, choices: dict, path, data, loc: tuple, problems: list):
    """``text`` compiled into an expression; a mistake in it is recorded in ``problems`` as
    ``file:line: key.path: what is wrong`` (and None returned), so a rule file reports all of them."""
    from engine.errors import ExprError
    from engine.expr import Expression
    try:
        return Expression.compile(text, schema, choices)
    except ExprError as e:
        problems.append(expression_problem(path, data, loc, e))
        return None


def expression_problem(path, data, loc: tuple, err) -> Problem:
    """An expression that did not compile (``err``, an ExprError), at its file, line and key path."""
    return Problem(str(path), line_of(data, loc), f"{'.'.join(map(str, loc))}: {err.describe()}")


class ProblemError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _problem(path, line, reason) -> ProblemError:
    return ProblemError(Problem(str(path), line, reason))
