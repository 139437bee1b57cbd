"""Every hand-worked case in rules/**/*.cases.yaml runs as its own test (OpenFisca's pattern)."""
import pytest

from conftest import ROOT
from engine.testing import load_cases, run_case

CASES = load_cases(ROOT / "rules")


def test_every_shipped_provision_has_cases():
    from engine.ruleset.loader import load_rules
    rs = load_rules(ROOT / "rules")
    provisions = set(rs.provisions)
    covered = {rs.codes.get(c.record["violation_code"], c.record["violation_code"])   # id or violation code
               for c in CASES if "violation_code" in c.record}
    assert provisions <= covered, f"provisions without cases: {provisions - covered}"


def test_every_deadline_rule_has_cases():
    """Each deadline rule file has hand-worked cases that name it in their expected deadlines."""
    from engine.ruleset.loader import load_rules
    deadlines = set(load_rules(ROOT / "rules").deadlines)
    covered = {rid for c in CASES for rid in (c.expected.get("deadlines") or {})}
    covered |= {c.file.name.removesuffix(".cases.yaml") for c in CASES}
    assert deadlines - {"LIC-commitment"} <= covered, f"deadline rules without cases: {deadlines - covered}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file.stem}:{c.line}" for c in CASES])
def test_case(case, ruleset, calendar):
    result = run_case(case, ruleset, calendar)
    assert result.ok, f"{case.name}\n" + "\n".join(result.differences)
