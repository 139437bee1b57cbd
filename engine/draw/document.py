"""draw.json: build, serialize byte-stably, and compare.

Byte-stable because ``verify`` and idempotent re-runs compare bytes: keys in
a fixed order, no floats, no clock, UTF-8 without escapes, one record per
line so that a diff of two draws is readable.
"""
from __future__ import annotations

import json

from engine.draw import SPEC_VERSION

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
