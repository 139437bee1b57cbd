"""draw.json: build, serialize byte-stably, seal, read back strictly, and compare.

Byte-stable because ``verify`` and idempotent re-runs compare bytes: keys in
a fixed order, no floats, no clock, UTF-8 without escapes, one record per
line so that a diff of two draws is readable.

Sealed: the last field, ``record_sha256``, is the SHA-256 of the document
without it (exactly the bytes ``dumps`` gives for the other fields).  Most
fields ``verify`` recomputes from the inputs and the seed; the few it cannot
(``seed_note``, ``supersedes``, the input file names) are covered by this
digest, so an edit that does not recompute it is found (see ``VERIFIED``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import orjson

from engine.draw import SPEC_VERSION
from engine.errors import InputError

RECORD = "record_sha256"

ALGORITHM = ("Rivest consistent sampler: ticket(S, id) = '0.' + reverse(decimal(int(SHA-256(hex(SHA-256(S)) + id)))"
             " zero-padded to >= 64 digits); lowest tickets first, ties by id; "
             "entities S = {seed}|E|{item_id}|{credit_class}; inspectors S = {seed}|I|{item_id}|{entity_id}")


def build(*, plan, plan_source: str, draw_date: str, seed: str, seed_note: str, commitment: dict,
          inputs: dict, result, supersedes: dict | None) -> dict:
    return {
        "spec_version": SPEC_VERSION,
        "algorithm": ALGORITHM,
        "plan_id": plan.plan_id,
        "department": plan.department,
        "year": plan.year,
        "draw_date": draw_date,
        "seed": seed,
        "seed_note": seed_note,
        "commitment": commitment,
        "supersedes": supersedes,
        "inputs": inputs,
        "strata": result.strata,
        "selections": result.selections,
        "assignments": result.assignments,
        "unfilled": result.unfilled,
        "history": result.used_history,
        "plan_source": plan_source,
    }


def _one(v) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def _str(v: str, cache: dict) -> str:
    """JSON string literal; printable ASCII without quote or backslash needs no escaping."""
    if v.isascii() and v.isprintable() and '"' not in v and "\\" not in v:
        return f'"{v}"'
    out = cache.get(v)
    if out is None:
        out = _one(v)
        if len(cache) < 100_000:
            cache[v] = out
    return out


def _record(d: dict, cache: dict) -> str:
    """json.dumps(d) for flat records of str/int/list-of-str, without json's per-call setup.

    Half a million selections per draw make the generic encoder the slowest
    step; this gives the same bytes (tested) at a fraction of the cost.
    """
    parts = []
    for k, v in d.items():
        if isinstance(v, str):
            val = _str(v, cache)
        elif isinstance(v, int) and not isinstance(v, bool):
            val = str(v)
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            val = "[" + ", ".join(_str(x, cache) for x in v) + "]"
        else:
            return _one(d)
        parts.append(f"{_str(k, cache)}: {val}")
    return "{" + ", ".join(parts) + "}"


_SEL_KEYS = ("item_id", "credit_class", "rank", "entity_id", "ticket")
_ASG_KEYS = ("item_id", "entity_id", "inspectors", "tickets")


def _selection(d: dict, cache: dict) -> str:
    if tuple(d) != _SEL_KEYS or type(d["rank"]) is not int:
        return _record(d, cache)
    return (f'{{"item_id": {_str(d["item_id"], cache)}, "credit_class": {_str(d["credit_class"], cache)}, '
            f'"rank": {d["rank"]}, "entity_id": {_str(d["entity_id"], cache)}, "ticket": {_str(d["ticket"], cache)}}}')


def _assignment(d: dict, cache: dict) -> str:
    if tuple(d) != _ASG_KEYS:
        return _record(d, cache)
    ins = ", ".join(_str(x, cache) for x in d["inspectors"])
    tks = ", ".join(_str(x, cache) for x in d["tickets"])
    return (f'{{"item_id": {_str(d["item_id"], cache)}, "entity_id": {_str(d["entity_id"], cache)}, '
            f'"inspectors": [{ins}], "tickets": [{tks}]}}')


_WRITERS = {"selections": _selection, "assignments": _assignment}


def _plain(values) -> bool:
    """True when every string needs no JSON escaping: one C-level check over their concatenation."""
    joined = "".join(values)
    return joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined


def _fast_lines(key: str, v: list) -> list[str] | None:
    """Whole-column formatting of the two big lists; None when a record does not fit the fast shape."""
    if key == "selections":
        if not all(tuple(d) == _SEL_KEYS and type(d["rank"]) is int for d in v):
            return None
        cols = [[d[k] for d in v] for k in ("item_id", "credit_class", "entity_id", "ticket")]
        if not all(_plain(c) for c in cols):
            return None
        return [f'  {{"item_id": "{a}", "credit_class": "{b}", "rank": {d["rank"]}, "entity_id": "{c}", '
                f'"ticket": "{t}"}}' for a, b, c, t, d in zip(*cols, v)]
    if key == "assignments":
        if not all(tuple(d) == _ASG_KEYS for d in v):
            return None
        items = [d["item_id"] for d in v]
        ents = [d["entity_id"] for d in v]
        teams = [d["inspectors"] for d in v]
        tickets = [d["tickets"] for d in v]
        if not (_plain(items) and _plain(ents) and _plain(x for t in teams for x in t)
                and _plain(x for t in tickets for x in t)):
            return None
        return [f'  {{"item_id": "{a}", "entity_id": "{e}", "inspectors": [{_qlist(i)}], "tickets": [{_qlist(t)}]}}'
                for a, e, i, t in zip(items, ents, teams, tickets)]
    return None


def _qlist(xs: list) -> str:
    return '"' + '", "'.join(xs) + '"' if xs else ""


def dumps(doc: dict) -> bytes:
    parts = []
    for k, v in doc.items():
        if isinstance(v, list):
            cache: dict = {}
            write = _WRITERS.get(k, _record)
            lines = _fast_lines(k, v) if v and all(isinstance(x, dict) for x in v) else None
            body = ",\n".join(lines) if lines is not None else \
                ",\n".join("  " + (write(x, cache) if isinstance(x, dict) else _one(x)) for x in v)
            parts.append(f"{_one(k)}: [" + (f"\n{body}\n]" if v else "]"))
        elif isinstance(v, dict):
            body = ",\n".join(f"  {_one(kk)}: {_one(vv)}" for kk, vv in v.items())
            parts.append(f"{_one(k)}: {{" + (f"\n{body}\n}}" if v else "}"))
        else:
            parts.append(f"{_one(k)}: {_one(v)}")
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def seal(doc: dict) -> bytes:
    """Add ``record_sha256`` (last) to ``doc`` and return the draw.json bytes, serializing once.

    ``dumps`` ends a document with ``\n}\n`` and writes a string field as ``"key": "value"``, so the
    sealed bytes are the unsealed ones with one more line: what an independent check relies on
    (docs/draw.md: drop the last two lines, the trailing comma, add ``}``, and take SHA-256).
    """
    doc.pop(RECORD, None)
    body = dumps(doc)
    sha = hashlib.sha256(body).hexdigest()
    doc[RECORD] = sha
    return body[:-3] + f',\n"{RECORD}": "{sha}"\n}}\n'.encode("ascii")


def unsealed(doc: dict) -> bytes:
    """The bytes of ``doc`` without ``record_sha256``: what versions before the seal wrote."""
    return dumps({k: v for k, v in doc.items() if k != RECORD})


# -- reading a published draw.json ---------------------------------------------------------------

class _Nullable:
    def __init__(self, inner):
        self.inner = inner


def _date(v) -> str | None:
    if type(v) is not str:
        return "应为日期 YYYY-MM-DD (expected a date)"
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return "应为日期 YYYY-MM-DD (expected a date)"
    return None


def _moment(v) -> str | None:
    try:
        ok = type(v) is str and dt.datetime.fromisoformat(v).tzinfo is not None
    except ValueError:
        ok = False
    return None if ok else "应为带时区的时间 (expected an ISO date-time with its UTC offset)"


_REGISTER = {"file": str, "sha256": str, "rows": int, "used": int, "rejected": int}
SHAPE = {
    "spec_version": str, "algorithm": str, "plan_id": str, "department": str, "year": int,
    "draw_date": _date, "seed": str, "seed_note": str,
    "commitment": {"committed_at": _moment, "sha256": str},
    "supersedes": _Nullable({"seed": str, "reason": str}),
    "inputs": {"plan": {"file": str, "sha256": str}, "entities": _REGISTER, "inspectors": _REGISTER,
               "conflicts": _REGISTER},
    "strata": [{"item_id": str, "credit_class": str, "rate": str, "population": int, "eligible": int, "n": int,
                "excluded": {"status": int, "filter": int, "frequency_cap": int}}],
    "selections": [{"item_id": str, "credit_class": str, "rank": int, "entity_id": str, "ticket": str}],
    "assignments": [{"item_id": str, "entity_id": str, "inspectors": [str], "tickets": [str]}],
    "unfilled": [{"item_id": str, "entity_id": str, "reason": str}],
    "history": {"cap_counts": [{"item_id": str, "entity_id": str, "count": int}],
                "previous_inspectors": [{"item_id": str, "entity_id": str, "inspectors": [str]}]},
    "plan_source": str,
    RECORD: str,
}
OPTIONAL = {RECORD}   # absent from documents written before the seal (verify then needs --ledger)
_NAMES = {str: ("字符串", "a string"), int: ("整数", "an integer"), dict: ("对象", "an object"),
          list: ("数组", "an array")}

# What ``verify`` checks each field against (printed after OK, in this order). Every field of SHAPE
# is named once; ``*`` stands for each of plan, entities, inspectors, conflicts.
VERIFIED = [
    ("recomputed", "按所给输入文件与种子重新计算，逐项一致", "recomputed from the files given and the seed, identical",
     ["spec_version", "algorithm", "plan_id", "department", "year", "draw_date", "strata", "selections",
      "assignments", "unfilled", "inputs.*.rows", "inputs.*.used", "inputs.*.rejected"]),
    ("used", "计算所依据，改动即改变结果", "used by the recomputation, so an edit changes the result",
     ["seed", "history"]),
    ("files", "与所给文件的 SHA-256 一致", "equal to the SHA-256 of the files given",
     ["inputs.*.sha256", "plan_source"]),
    ("commitment", "由 plan_id、committed_at 与输入文件摘要重新计算，一致",
     "recomputed from plan_id, committed_at and the input digests, identical",
     ["commitment.sha256", "commitment.committed_at"]),
    ("sealed", "无法重新计算，由 record_sha256 覆盖", "cannot be recomputed; covered by record_sha256",
     ["seed_note", "supersedes", "inputs.*.file"]),
    ("record", "对其余全部字段重新计算，一致", "recomputed over every other field, identical", [RECORD]),
]
LEDGER_COVERS = ("无法重新计算，由账本记录的 draw.json SHA-256 覆盖",
                 "cannot be recomputed; covered by the draw.json SHA-256 the ledger records")


def _describe(v) -> str:
    if isinstance(v, (dict, list)):
        return _NAMES[type(v)][1]
    return "null" if v is None else repr(v)[:80]


def _flat_ok(values: list, item: dict) -> bool:
    """Fast check of a long list of flat records (the selections of a province-wide draw)."""
    keys = item.keys()
    if not all(type(x) is dict and x.keys() == keys for x in values):
        return False
    for k, spec in item.items():
        if spec is str or spec is int:
            if not all(type(x[k]) is spec for x in values):
                return False
        elif spec == [str]:
            if not all(type(x[k]) is list and all(type(y) is str for y in x[k]) for x in values):
                return False
        else:
            return False
    return True


def _shape_problem(v, spec, path: str) -> str | None:
    """Where ``v`` departs from ``spec``, or None.  Recurses along ``spec`` only (a few levels),
    never along the input, however deep it is nested."""
    if isinstance(spec, _Nullable):
        return None if v is None else _shape_problem(v, spec.inner, path)
    if isinstance(spec, dict):
        if type(v) is not dict:
            return f"{path or '.'}: 应为对象 (expected an object), 实为 (found) {_describe(v)}"
        for k in spec:
            if k not in v and not (path == "" and k in OPTIONAL):
                return f"{path}.{k}: 缺少 (missing)"
        for k in v:
            if k not in spec:
                return f"{path}.{k}: 未知字段 (unknown field)"
        for k, sub in spec.items():
            if k in v:
                p = _shape_problem(v[k], sub, f"{path}.{k}")
                if p:
                    return p
        return None
    if isinstance(spec, list):
        if type(v) is not list:
            return f"{path}: 应为数组 (expected an array), 实为 (found) {_describe(v)}"
        if isinstance(spec[0], dict) and _flat_ok(v, spec[0]):
            return None
        for i, x in enumerate(v):
            p = _shape_problem(x, spec[0], f"{path}[{i}]")
            if p:
                return p
        return None
    if spec is str or spec is int:
        if type(v) is not spec:
            zh, en = _NAMES[spec]
            return f"{path}: 应为{zh} (expected {en}), 实为 (found) {_describe(v)}"
        return None
    why = spec(v)
    return f"{path}: {why}, 实为 (found) {_describe(v)}" if why else None


def load(path) -> tuple[dict, bytes, str | None]:
    """Read a published draw.json: (document, its bytes, None), or (document, bytes, difference) when
    it is of another spec version.  Anything that is not a draw.json of this version's shape —
    not JSON, nested too deeply, a list, missing or mistyped fields — is an InputError (exit 2)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: 无法读取 (cannot read): {e.strerror}") from None
    try:
        doc = orjson.loads(raw)   # strict: UTF-8, no NaN, no lone surrogates, at most 1024 levels deep
    except orjson.JSONDecodeError as e:
        raise InputError(f"{path}: 不是 draw.json，JSON 无法解析 (not a draw.json: {e})") from None
    if type(doc) is not dict:
        raise InputError(f"{path}: 不是 draw.json，应为 JSON 对象 (not a draw.json: expected an object, "
                         f"found {_describe(doc)})")
    version = doc.get("spec_version")
    if version != SPEC_VERSION:
        return doc, raw, (f".spec_version: file has {_describe(version)}, "
                          f"this software implements {SPEC_VERSION!r}")
    problem = _shape_problem(doc, SHAPE, "")
    if problem:
        raise InputError(f"{path}: draw.json 格式不正确 (not a valid draw.json): {problem}")
    return doc, raw, None


def first_difference(expected, actual, path: str = "") -> str | None:
    """A human-readable path to the first place two JSON values differ, or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in list(expected) + [k for k in actual if k not in expected]:
            if k not in actual:
                return f"{path}.{k}: missing in the file (expected {_one(expected[k])[:200]})"
            if k not in expected:
                return f"{path}.{k}: unexpected in the file"
            d = first_difference(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (a, b) in enumerate(zip(expected, actual)):
            d = first_difference(a, b, f"{path}[{i}]")
            if d:
                return d
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} entries recomputed, {len(actual)} in the file"
        return None
    if expected != actual:
        return f"{path}: recomputed {_one(expected)[:300]}, file has {_one(actual)[:300]}"
    return None
