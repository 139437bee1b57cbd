"""Fuzzing the double-random draw: whatever draw.json or register cells it is given, ``zhunsheng draw``
answers with an exit code and a message (0 OK, 1 a difference, 2 bad input), never a traceback, never a
hang.  draw.json documents are mutated valid ones, random JSON, deeply nested text and random bytes;
register cells are random text (formula starts, control characters, quotes, newlines, CJK)."""
from __future__ import annotations

import copy
import csv
import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.draw.commands import draw

from .common import within

CASES = Path(__file__).resolve().parents[2] / "cases" / "draw"
SEED, NOTE = "3-1-4-1-5-9-2-6", "测试：掷骰"
SECONDS = 60          # one example taking longer than this is a hang
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def invoke(*args):
    """Run ``zhunsheng draw``; fail on anything but a clean exit 0, 1 or 2."""
    with within(SECONDS):
        r = CliRunner().invoke(draw, [str(a) for a in args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback
        raise AssertionError("".join(traceback.format_exception(r.exception))) from None
    assert r.exit_code in (0, 1, 2), r.output
    assert "Traceback" not in r.output
    return r


def inputs(d: Path) -> list:
    return ["--entities", d / "entities.csv", "--inspectors", d / "inspectors.csv",
            "--conflicts", d / "conflicts.csv"]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The bundled sample, prepared and drawn once: (directory with the inputs, draw.json document)."""
    d = tmp_path_factory.mktemp("drawn")
    for name in ("plan.yaml", "entities.csv", "inspectors.csv", "conflicts.csv"):
        (d / name).write_bytes((CASES / name).read_bytes())
    db = ["--db", f"sqlite:///{d / 'ledger.sqlite'}"]
    assert invoke("prepare", d / "plan.yaml", *inputs(d), *db).exit_code == 0
    assert invoke("run", d / "plan.yaml", *inputs(d), "--seed", SEED, "--seed-note", NOTE, "--out", d / "out",
                  "--format", "csv", *db).exit_code == 0
    doc = json.loads((d / "out" / "draw.json").read_text(encoding="utf-8"))
    assert invoke("verify", d / "out" / "draw.json", *inputs(d)).exit_code == 0
    return d, doc


def verify_bytes(d: Path, data: bytes, explain: str | None = None):
    with tempfile.TemporaryDirectory() as t:
        p = Path(t) / "draw.json"
        p.write_bytes(data)
        return invoke("verify", p, *inputs(d), *(["--explain", explain] if explain else []))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)


def paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from paths(v, path + (i,))


@st.composite
def mutated(draw_, doc: dict):
    """The valid document with one to three places replaced, removed or given an extra key."""
    d = copy.deepcopy(doc)
    spots = [p for p in paths(doc) if p]
    for _ in range(draw_(st.integers(1, 3))):
        spot = draw_(st.sampled_from(spots))
        parent = d
        try:
            for p in spot[:-1]:
                parent = parent[p]
            key = spot[-1]
            action = draw_(st.sampled_from(["replace", "replace", "remove", "extra"]))
            if action == "replace":
                parent[key] = draw_(json_values)
            elif action == "remove":
                del parent[key]
            elif isinstance(parent, dict):
                parent[draw_(st.text(max_size=8))] = draw_(json_values)
        except (KeyError, IndexError, TypeError):
            pass          # an earlier mutation removed or replaced the way there
    return d


@FUZZ
@given(data=st.data())
def test_mutated_draw_json(drawn, data):
    d, doc = drawn
    m = data.draw(mutated(doc))
    entity = doc["selections"][0]["entity_id"]
    verify_bytes(d, json.dumps(m, ensure_ascii=data.draw(st.booleans())).encode("utf-8"), entity)


@FUZZ
@given(value=json_values)
def test_random_json(drawn, value):
    d, _ = drawn
    r = verify_bytes(d, json.dumps(value).encode("utf-8"), "x")
    assert r.exit_code in (1, 2)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(1, 200_000), opener=st.sampled_from(["[", '{"a": ', '{"seed_note": ']),
       closed=st.booleans(), field=st.sampled_from(["seed_note", "history", "inputs", "selections"]))
def test_deeply_nested(drawn, depth, opener, closed, field):
    d, doc = drawn
    closer = {"[": "]", '{"a": ': "}", '{"seed_note": ': "}"}[opener]
    nested = opener * depth + "1" + (closer * depth if closed else "")
    r = verify_bytes(d, nested.encode("utf-8"))
    assert r.exit_code in (1, 2)
    inside = json.dumps({**doc, field: "<here>"}, ensure_ascii=False).replace('"<here>"', nested)
    r = verify_bytes(d, inside.encode("utf-8"))
    assert r.exit_code == 2


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(drawn, data):
    d, _ = drawn
    verify_bytes(d, data)


# -- register cells ---------------------------------------------------------------------------------

cell_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["=1+1", "+1", "-1", "@A1", "\t=x", "\r=x", "#N/A", "\x00", "\x07", '"', "\n", "；", "是",
                     "存续", "A", "d", " 餐饮 ", "914401123QQ66YLBW3", "1e309", "NaN", "-0", "9" * 40]),
)


@st.composite
def edits(draw_, rows: list):
    out = []
    for _ in range(draw_(st.integers(1, 4))):
        r = draw_(st.integers(1, len(rows) - 1))
        c = draw_(st.integers(0, len(rows[0]) - 1))
        out.append((r, c, draw_(cell_text)))
    return out


def _rows(name: str) -> list:
    return list(csv.reader((CASES / name).read_text(encoding="utf-8").splitlines()))


ENTITY_ROWS, INSPECTOR_ROWS = _rows("entities.csv"), _rows("inspectors.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ent=edits(ENTITY_ROWS), ins=edits(INSPECTOR_ROWS), fmt=st.sampled_from(["csv", "xlsx", "csv,xlsx"]))
def test_register_cells(ent, ins, fmt):
    with tempfile.TemporaryDirectory() as t:
        d = Path(t)
        for name, rows, changes in (("entities.csv", ENTITY_ROWS, ent), ("inspectors.csv", INSPECTOR_ROWS, ins)):
            rows = copy.deepcopy(rows)
            for r, c, text in changes:
                rows[r][c] = text
            with open(d / name, "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(rows)
        for name in ("plan.yaml", "conflicts.csv"):
            (d / name).write_bytes((CASES / name).read_bytes())
        db = ["--db", f"sqlite:///{d / 'ledger.sqlite'}"]
        if invoke("prepare", d / "plan.yaml", *inputs(d), *db).exit_code != 0:
            return
        r = invoke("run", d / "plan.yaml", *inputs(d), "--seed", SEED, "--seed-note", NOTE, "--out", d / "out",
                   "--format", fmt, *db)
        if r.exit_code == 0:
            assert invoke("verify", d / "out" / "draw.json", *inputs(d)).exit_code == 0
