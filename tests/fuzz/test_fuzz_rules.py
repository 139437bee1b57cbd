"""Fuzzing the rule language and rule files: whatever text a condition or a rule file holds, loading it
ends in a compiled expression / loaded rules or in a ZhunshengError that names the file and line, never
a traceback (RecursionError, IndexError, TypeError …), never a hang.

Expressions are random token sequences, deep nesting, long chains and odd unicode, compiled against the
penalty schema and, when they compile, run on both back ends.  Rule files are mutations of a shipped
provision file (lines dropped, duplicated, swapped, bytes inserted, NUL and other control characters,
other encodings), loaded and linted, and mutated test-case files loaded.  Seeded with every input of
the hardening issue."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .common import within
from engine.errors import ExprError, Problem, ZhunshengError
from engine.expr import Expression
from engine.expr.limits import MAX_DEPTH, MAX_EXPRESSION_CHARS, MAX_NESTING
from engine.records.frame import normalize
from engine.records.schema import expression_choices, expression_schema
from engine.ruleset.lint import lint
from engine.testing import load_cases

ROOT = Path(__file__).resolve().parents[2]
PROVISION = ROOT / "rules" / "penalty" / "food_safety" / "FSL-124-1.yaml"
CASES = PROVISION.with_name("FSL-124-1.cases.yaml")
SCHEMA, CHOICES = expression_schema(), expression_choices()
SECONDS = 30          # one example taking longer than this is a hang
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
PROBLEM = re.compile(r"^.+:\d+: \S", re.S)

RECORD = {"case_id": "F1", "violation_code": "FSL-124-1", "party_type": "organization", "officers": "T1;T2",
          "procedure": "ordinary", "violation_date": "2024-03-01", "decision_date": "2024-04-20",
          "hearing_notified": "true", "sanctions": "confiscate_goods", "harm": "general", "goods_value": 8000,
          "fine": 75000, "factors": "repeat_offense"}
FRAME = normalize(pd.DataFrame([RECORD, {**RECORD, "case_id": "F2", "goods_value": None, "harm": None}])
                  .astype(object)).frame
# the same record typed as the record back end receives it (as lint builds its witnesses)
TYPED = {"case_id": "F1", "violation_code": "FSL-124-1", "party_type": "organization", "officers": ";T1;T2;",
         "procedure": "ordinary", "violation_date": dt.date(2024, 3, 1), "decision_date": dt.date(2024, 4, 20),
         "hearing_notified": True, "sanctions": ";confiscate_goods;", "harm": "general", "goods_value": 8000.0,
         "fine": 75000.0, "factors": ";repeat_offense;"}


# -- expressions -----------------------------------------------------------------------------------------
ISSUE_EXPRESSIONS = [
    "(" * 90 + "goods_value < 10000" + ")" * 90,
    "not " * 5000 + "true",
    "-" * 5000 + "goods_value > 1",
    "goods_value" + " + 0" * 50_000 + " > 1",
    "goods_value" + " + 0" * 150 + " > 1",
    " or ".join(f"goods_value == {i}" for i in range(200)),
    "abs(" * 40 + "goods_value" + ")" * 40 + " > 1",
    "[" * 60 + "1" + "]" * 60,
    "goods_value >\n",
    "goods_value >\r\n\r\n",
    "'abc\\\n'",
    "x\u2028y >",
    "goods_value > 1\x00",
    "",
]
FIELDS = sorted(SCHEMA)
TOKENS = (["and", "or", "not", "in", "true", "false", "null", "且", "或", "非", "是", "否",
           "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "/", "(", ")", "[", "]", ",", "&&", "||", "!",
           "date", "is_null", "coalesce", "min", "max", "abs", "eval", "__import__", ".", "'2024-01-01'",
           "'serious'", "'organization'", "'FSL-124-1'", "'repeat_offense'", "0", "1", "10000", "1.5", "1_000",
           "99999999999999999999999999", "'", "\"", "\\", "\n", "\t", "\x00", "\u2028", "\r\n", "¹", "٣", "𝟘",
           "货值", "金额", "é", "\ufeff"] + FIELDS)
WRAPPERS = ["(", "not ", "-", "abs(", "[", "is_null(", "coalesce(1, ", "非 "]
CLOSERS = {"(": ")", "not ": "", "-": "", "abs(": ")", "[": "]", "is_null(": ")", "coalesce(1, ": ")",
           "非 ": ""}


def compile_and_run(source: str):
    """ExprError, or an expression that both back ends evaluate to one value per record."""
    with within(SECONDS):
        try:
            e = Expression.compile(source, SCHEMA, CHOICES)
        except ExprError as err:
            assert err.describe()          # the message itself must not fail (it echoes the source line)
            return
        row = e.evaluate_record(TYPED)
        assert row in (True, False, None)      # None: a yes/no field the record does not have
        out = e.evaluate(FRAME)
        assert len(out) == len(FRAME)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from([" ", ""]))
def test_random_token_sequences(tokens, sep):
    compile_and_run(sep.join(tokens))


@FUZZ
@given(st.lists(st.sampled_from(WRAPPERS), min_size=1, max_size=300),
       st.sampled_from(["goods_value > 1", "true", "serious", "goods_value", "1"]))
@example(["("] * 90, "goods_value > 1")
@example(["not "] * (MAX_NESTING + 1), "true")
@example(["-"] * 5000, "goods_value > 1")
@example(["abs("] * MAX_NESTING, "goods_value")
def test_deep_nesting(wrappers, core):
    compile_and_run("".join(wrappers) + core + "".join(CLOSERS[w] for w in reversed(wrappers)))


@FUZZ
@given(st.sampled_from([" + 1", " * 2", " - 0", " / 3", " or true", " and serious", " or goods_value > 1"]),
       st.integers(1, MAX_EXPRESSION_CHARS))
@example(" + 0", 50_000)
@example(" + 1", MAX_DEPTH)
@example(" or goods_value > 1", 200)
def test_long_chains(op, n):
    head = "goods_value" if op.startswith((" +", " *", " -", " /")) else "true"
    tail = " > 1" if head == "goods_value" else ""
    compile_and_run(head + op * n + tail)


@FUZZ
@given(st.text(st.characters(), max_size=200))
@example("\x00")
@example("goods_value > 1\x0b\x0c\x1c")
@example("'\ud800'")
def test_odd_unicode(text):
    compile_and_run(text)


@pytest.mark.parametrize("source", ISSUE_EXPRESSIONS, ids=range(len(ISSUE_EXPRESSIONS)))
def test_issue_expressions(source):
    compile_and_run(source)


# -- rule files --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rules_dir():
    """A rules folder with the procedure parameters and one provision, rewritten by each example."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "rules"
        shutil.copytree(ROOT / "rules" / "procedure", root / "procedure")
        (root / "penalty").mkdir()
        yield root


def lint_bytes(root: Path, data: bytes) -> list[Problem]:
    """Lint ``data`` as the provision file; every problem names a file and a line."""
    (root / "penalty" / PROVISION.name).write_bytes(data)
    with within(SECONDS):
        problems, _ = lint(root)
    for p in problems:
        assert PROBLEM.match(str(p)), str(p)
    return problems


SHIPPED = PROVISION.read_bytes()
LINES = SHIPPED.split(b"\n")
WHEN = b"when: goods_value < 10000"
ISSUE_FILES = [
    SHIPPED.replace(WHEN, b"when: '" + b"(" * 90 + b"goods_value < 10000" + b")" * 90 + b"'"),
    SHIPPED.replace(WHEN, b"when: '" + b"not " * 5000 + b"goods_value < 10000'"),
    SHIPPED.replace(WHEN, b"when: '" + b"-" * 5000 + b"goods_value < 10000'"),
    SHIPPED.replace(WHEN, b"when: 'goods_value" + b" + 0" * 50_000 + b" < 10000'"),
    SHIPPED.replace(b"fine: {min: 50000, max: 100000}", b"fine: {min: 1e308, max: 1e309}"),
    SHIPPED.replace(b"max_multiple: 20", b"max_multiple: .inf"),
    SHIPPED.replace(b"id: FSL-124-1", b"id: FSL-124-1\x00", 1),
    SHIPPED.replace(b"title:", b"title: \xff\xfe", 1),
    SHIPPED.decode("utf-8").encode("utf-16"),
    SHIPPED.decode("utf-8").encode("gb18030"),
    b"a: " + b"[" * 999 + b"]" * 999,
    b"? [a]\n: 1\n",
    b"n: 1" + b"0" * 5000,
    b"a: &x [1, *x]\n",
    b"",
]


@FUZZ
@given(st.data())
def test_mutated_provision_file(rules_dir, data):
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "swap", "insert", "indent", "dedent", "number", "truncate"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            at = data.draw(st.integers(0, len(lines[i])))
            junk = data.draw(st.binary(max_size=8) | st.sampled_from(
                [b"\x00", b"\x07", b"\x1b", b"\xff", b"\xc3", b"{", b"[", b"&a", b"*a", b"!!binary", b":", b"'",
                 b"\t", b"1e309", b"-1", b"((((", b"\xe2\x80\xa8"]))
            lines[i] = lines[i][:at] + junk + lines[i][at:]
        elif op == "indent":
            lines[i] = b"  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "number":
            lines[i] = re.sub(rb"\d+", data.draw(st.sampled_from([b"0", b"-5", b"1e400", b"99999999999999999999",
                                                                  b".nan", b"1" + b"0" * 40])), lines[i], count=1)
        else:
            lines[i] = lines[i][:data.draw(st.integers(0, len(lines[i])))]
        if not lines:
            lines = [b""]
    lint_bytes(rules_dir, b"\n".join(lines))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_provision_file(rules_dir, raw):
    assert lint_bytes(rules_dir, raw)


@pytest.mark.parametrize("raw", ISSUE_FILES, ids=range(len(ISSUE_FILES)))
def test_issue_rule_files(rules_dir, raw):
    assert lint_bytes(rules_dir, raw)


def test_shipped_provision_still_lints_clean(rules_dir):
    assert lint_bytes(rules_dir, SHIPPED) == []


@FUZZ
@given(st.data())
def test_mutated_cases_file(data):
    lines = CASES.read_bytes().split(b"\n")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        junk = data.draw(st.sampled_from([b"", b"- x", b"[", b"{a: {b: 1}}", b"as_of: 2024-13-45", b"\x00",
                                          b"input: 5", b"output: [1]", b"cases: 3", b"defaults: [1]"]))
        lines[i] = junk if data.draw(st.booleans()) else lines[i] + junk
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / CASES.name).write_bytes(b"\n".join(lines))
        with within(SECONDS):
            try:
                load_cases(Path(d))
            except ZhunshengError as e:
                assert all(PROBLEM.match(str(p)) for p in e.problems), str(e)
