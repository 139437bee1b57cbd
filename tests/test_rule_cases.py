"""Every hand-worked case in rules/**/*.cases.yaml runs as its own test (OpenFisca's pattern)."""
import pytest

from conftest import ROOT
from engine.testing import load_cases, run_case

CASES = load_cases(ROOT / "rules")


def test_every_shipped_provision_has_cases():
    from engine.ruleset.loader import load_rules
    provisions = set(load_rules(ROOT / "rules").provisions)
    covered = {c.record["violation_code"] for c in CASES}
    assert provisions <= covered, f"provisions without cases: {provisions - covered}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file.stem}:{c.line}" for c in CASES])
def test_case(case, ruleset, calendar):
    result = run_case(case, ruleset, calendar)
    assert result.ok, f"{case.name}\n" + "\n".join(result.differences)
