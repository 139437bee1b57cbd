"""YAML test cases beside the rules (OpenFisca's test-runner pattern): legal staff write cases,
not Python.

A ``<ID>.cases.yaml`` file holds ``defaults`` (record fields every case starts
from) and ``cases``: each has a ``name`` (with the article the numbers come
from), an ``input`` record, an optional ``as_of`` date and the expected
``output`` (any of: status, provision, provision_version, tiers,
lawful_fine_min, lawful_fine_max, statutory_min, statutory_max, codes).
Unknown keys are errors, so a typo never turns a case into a test of nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Problem, RuleFileError
from engine.ruleset.yamlload import ProblemError, line_of, load_yaml

CASE_KEYS = {"name", "input", "output", "as_of", "note"}
OUTPUT_KEYS = {"status", "provision", "provision_version", "tiers", "lawful_fine_min", "lawful_fine_max",
               "statutory_min", "statutory_max", "codes", "deadlines", "possible_codes", "undetermined",
               "lawful_fine_max_unbounded"}
FILE_KEYS = {"defaults", "cases", "as_of"}
TOLERANCE = 0.005


@dataclass
class Case:
    file: Path
    line: int
    name: str
    record: dict
    expected: dict
    as_of: dt.date


@dataclass
class CaseResult:
    case: Case
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def name(self):
        return self.case.name

    @property
    def file(self):
        return self.case.file

    @property
    def line(self):
        return self.case.line


def case_files(root: Path) -> list[Path]:
    return sorted(Path(root).rglob("*.cases.yaml"))


def load_cases(root: Path) -> list[Case]:
    cases, problems = [], []
    for path in case_files(root):
        try:
            data = load_yaml(path)
        except ProblemError as e:
            problems.append(e.problem)
            continue
        cases += _file_cases(path, data, problems)
    if problems:
        raise RuleFileError(problems)
    return cases


def _file_cases(path: Path, data, problems: list[Problem]) -> list[Case]:
    """The cases of one file; every mistake in it (a wrong shape included: a YAML value of the wrong
    kind is a mistake to report, not a TypeError) goes to ``problems``."""
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        problems.append(Problem(str(path), 1, "案例文件须有 cases 列表（defaults 可选）(a cases file needs a 'cases' list and optional 'defaults')"))
        return []
    for k in sorted(set(data) - FILE_KEYS, key=str):
        problems.append(Problem(str(path), line_of(data, (k,)), f"未知的键 '{k}' (unknown key)"))
    defaults = data.get("defaults") or {}
    if not _is_record(defaults):
        problems.append(Problem(str(path), line_of(data, ("defaults",)),
                                "defaults: 应为字段到值的映射 (must map fields to single values or lists)"))
        defaults = {}
    file_as_of = _date(path, data, ("as_of",), data.get("as_of"), problems)
    out = []
    for ci, c in enumerate(data["cases"]):
        case = _one_case(path, data, ci, c, problems)
        if case is None:
            continue
        as_of = _date(path, data, ("cases", ci, "as_of"), c.get("as_of"), problems) or file_as_of \
            or dt.date(2099, 12, 31)
        record = {**defaults, **c["input"]}
        record.setdefault("case_id", f"{path.stem}#{ci + 1}")
        out.append(Case(path, line_of(data, ("cases", ci)), str(c["name"]), record, dict(c["output"]), as_of))
    return out


def _one_case(path: Path, data, ci: int, c, problems: list[Problem]):
    """``c`` if it is a well-formed case, else None with its mistakes in ``problems``."""
    line = line_of(data, ("cases", ci))
    if not isinstance(c, dict):
        problems.append(Problem(str(path), line, "案例须为映射 (a case must be a mapping)"))
        return None
    for k in sorted(set(c) - CASE_KEYS, key=str):
        problems.append(Problem(str(path), line_of(data, ("cases", ci, k)), f"未知的案例键 '{k}' (unknown case key)"))
    if "name" not in c or "input" not in c or "output" not in c:
        problems.append(Problem(str(path), line, "案例须有 name、input 和 output (a case needs name, input and output)"))
        return None
    ok = True
    if not _is_record(c["input"]):
        problems.append(Problem(str(path), line_of(data, ("cases", ci, "input")),
                                "input: 应为字段到值的映射 (must map fields to single values or lists)"))
        ok = False
    if not isinstance(c["output"], dict):
        problems.append(Problem(str(path), line_of(data, ("cases", ci, "output")),
                                "output: 应为映射 (must be a mapping of expected results)"))
        return None
    for k in sorted(set(c["output"]) - OUTPUT_KEYS, key=str):
        problems.append(Problem(str(path), line_of(data, ("cases", ci, "output", k)),
                                f"未知的 output 键 '{k}' (unknown output key)；"
                                f"可用 (known): {', '.join(sorted(OUTPUT_KEYS))}"))
        ok = False
    return c if ok else None


def _is_record(value) -> bool:
    return isinstance(value, dict) and all(not isinstance(v, dict) for v in value.values())


def _date(path: Path, data, loc: tuple, value, problems: list[Problem]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(str(path), line_of(data, loc),
                                f"{'.'.join(map(str, loc))}: 不是日期 (not a date): {value!r} (use YYYY-MM-DD)"))
        return None


def run_case(case: Case, ruleset, calendar) -> CaseResult:
    from engine.penalty.check import check_record

    record = {k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in case.record.items()}
    if record.get("record_kind", "penalty") != "penalty":
        return _run_deadline_case(case, record, ruleset, calendar)
    got = check_record(record, ruleset, case.as_of, calendar)
    res = CaseResult(case)
    sr = got.get("statutory_range") or {}
    actual = {
        "status": got["status"],
        "provision": got.get("provision"),
        "provision_version": got.get("provision_version"),
        "tiers": got.get("tiers"),
        "lawful_fine_min": got.get("lawful_fine_min"),
        "lawful_fine_max": got.get("lawful_fine_max"),
        "statutory_min": sr.get("min"),
        "statutory_max": sr.get("max"),
        "codes": got.get("codes", []),
        "possible_codes": got.get("possible_codes", []),
        "undetermined": got.get("undetermined", []),
        "lawful_fine_max_unbounded": got.get("lawful_fine_max_unbounded", False),
    }
    for key, want in case.expected.items():
        have = actual[key]
        if key in ("lawful_fine_min", "lawful_fine_max", "statutory_min", "statutory_max"):
            same = (want is None and have is None) or (
                want is not None and have is not None and abs(float(want) - float(have)) <= TOLERANCE)
        elif key in ("tiers", "codes", "possible_codes", "undetermined"):
            same = sorted(want or []) == sorted(have or [])
        else:
            same = str(want) == str(have)
        if not same:
            res.differences.append(f"{key}: 应为 {want!r}，实际为 {have!r} (expected, got)"
                                   + (f" ({got.get('reason')})" if got["status"] == "rejected" else ""))
    return res


def _run_deadline_case(case: Case, record: dict, ruleset, calendar) -> CaseResult:
    """A record of a deadline kind: the batch path on one row; ``deadlines`` maps a rule id to
    its due date, or to {due, status, version}."""
    import pandas as pd
    import orjson

    from engine.batch import review_batch
    from engine.results import case_table
    raw = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in record.items()}]).astype(object)
    batch = review_batch(raw, ruleset, case.as_of, calendar)
    row = case_table(batch).to_pylist()[0]
    deadlines = {d["id"]: d for d in orjson.loads(row["deadlines"] or "[]")}
    res = CaseResult(case)
    for key, want in case.expected.items():
        if key == "deadlines":
            for rid, exp in (want or {}).items():
                have = deadlines.get(rid)
                exp = exp if isinstance(exp, dict) else {"due": exp}
                for k, v in exp.items():
                    if have is None or str(have.get(k)) != str(v):
                        res.differences.append(f"deadlines.{rid}.{k}: 应为 {v!r}，实际为 "
                                               f"{None if have is None else have.get(k)!r} (expected, got)")
            continue
        have = row.get(key)
        same = sorted(want or []) == sorted(have or []) if key == "codes" else str(want) == str(have)
        if not same:
            res.differences.append(f"{key}: 应为 {want!r}，实际为 {have!r} (expected, got)"
                                   + (f" ({row['reason']})" if row["status"] == "rejected" else ""))
    return res


def run_cases(ruleset, calendar) -> list[CaseResult]:
    return [run_case(c, ruleset, calendar) for c in load_cases(ruleset.root)]
