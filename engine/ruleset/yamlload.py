"""Strict YAML loading that remembers where every value came from.

Following OpenFisca's loader: duplicate keys are an error, and dates stay
strings (the rule models parse them, so a bad date is reported with its key,
not silently turned into text).  Every mapping and list is returned as a
``Located`` container that knows the line of itself and of each key, so a
pydantic error ``loc`` maps back to ``file:line``.

Whatever the bytes, loading ends in a value or in one ``file:line`` problem,
never a traceback: text that is not UTF-8 or holds a character YAML forbids
(NUL and other control characters) is found before parsing; nesting deeper
than ``MAX_YAML_DEPTH`` (construction recurses per level) and aliases that
expand to more than ``MAX_ALIAS_VALUES`` extra values (billion laughs) are
refused before construction; a key that is a list or mapping, or an integer
too long for Python, is reported at its line.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from engine.errors import Problem

# levels of mappings and lists in one YAML file (rule files use about eight); construction recurses
# about four Python frames per level
MAX_YAML_DEPTH = 64
# values that aliases (``*name``) may add beyond those written out: a few nested aliases can
# otherwise expand a small file to billions of values
MAX_ALIAS_VALUES = 100_000
# characters YAML does not allow anywhere in a file (YAML 1.1 §5.1, c-printable)
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class LocatedDict(dict):
    line: int = 0
    key_lines: dict


class LocatedList(list):
    line: int = 0
    item_lines: list


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where available
    def construct_object(self, node, deep=False):
        """A value Python cannot build (an integer of 5,000 digits) is a YAML error at its line."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as e:
            reason = str(e).split(";")[0]
            raise yaml.constructor.ConstructorError(None, None, f"无法读取的值 (value cannot be read): {reason}",
                                                    node.start_mark) from None


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
        if isinstance(key, (dict, list)):
            raise yaml.constructor.ConstructorError(
                None, None, "键必须是单个值，不能是列表或映射 (a key must be a single value, not a list or mapping)",
                key_node.start_mark)
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
    """Load one YAML file; raises ProblemError (a ``file:line`` Problem) on any mistake in it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:            # a folder named *.yaml, a file without read permission ...
        raise _problem(path, 0, f"无法读取 (cannot read the file): {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _problem(path, raw.count(b"\n", 0, e.start) + 1,
                       f"不是 UTF-8 编码：第 {e.start + 1} 字节 0x{raw[e.start]:02x} "
                       f"(rule files must be UTF-8: byte {e.start + 1} is 0x{raw[e.start]:02x})") from None
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = _line_at(text, bad.start())
        column = bad.start() - max(text.rfind("\n", 0, bad.start()), text.rfind("\r", 0, bad.start()))
        code = f"U+{ord(bad.group()):04X}"
        raise _problem(path, line, f"第 {column} 列有 YAML 不允许的控制字符 {code} "
                                   f"(control character {code} at column {column} is not allowed in YAML)")
    try:
        return _load(text)
    except DuplicateKey as e:
        raise _problem(path, e.line, f"duplicate key '{e.key}'") from None
    except _TooLarge as e:
        raise _problem(path, e.line, e.reason) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise _problem(path, line, f"YAML 语法错误 (YAML syntax): {e.problem or e}") from None
    except yaml.YAMLError as e:     # the reader's own checks, should one slip past the scan above
        raise _problem(path, _line_at(text, getattr(e, "position", 0) or 0),
                       f"YAML 读取错误 (YAML cannot be read): {e}") from None


def _line_at(text: str, pos: int) -> int:
    return len(_YAML_BREAK.findall(text, 0, pos)) + 1


def _load(text: str):
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_shape(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _TooLarge(Exception):
    def __init__(self, line: int, reason: str):
        self.line, self.reason = line, reason
        super().__init__(reason)


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_shape(root) -> None:
    """Refuse a node graph too deep to construct or whose aliases expand too far, before constructing
    it.  Heights and expanded sizes are worked out once per node (aliases share nodes), without
    recursion; a node met again while its own children are pending is an alias to itself."""
    height: dict[int, int] = {}
    size: dict[int, int] = {}
    pending: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            pending.discard(key)
            if height[key] > MAX_YAML_DEPTH:
                raise _TooLarge(node.start_mark.line + 1,
                                f"YAML 嵌套过深：超过 {MAX_YAML_DEPTH} 层 (YAML nested more than "
                                f"{MAX_YAML_DEPTH} levels deep)")
            continue
        if key in height:
            continue
        if key in pending:
            raise _TooLarge(node.start_mark.line + 1, "别名引用了自身 (an alias refers to itself)")
        pending.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in reversed(_children(node)) if id(k) not in height)
    extra = size[id(root)] - len(size)
    if extra > MAX_ALIAS_VALUES:
        raise _TooLarge(root.start_mark.line + 1,
                        f"别名展开过多：多出 {extra:,} 个值，上限 {MAX_ALIAS_VALUES:,} "
                        f"(aliases expand the file by {extra:,} values, the limit is {MAX_ALIAS_VALUES:,})")


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


_MESSAGES = {"extra_forbidden": "未知的键，是否拼错 (unknown key: mistyped?)", "missing": "缺少必填的键 (required key is missing)"}


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
