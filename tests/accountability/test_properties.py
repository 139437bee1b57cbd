"""Properties: an exemption never makes anything heavier; the order of findings never matters.

(The ranking is relative — exempting a finding of one department can move another into the bottom
three — so these examples keep every department under the 20-case minimum, where no ranking applies.)
"""
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.accountability.loader import load_accountability_rules

from .helpers import finding, run, write_review

RULES = load_accountability_rules()
CODES = ["penalty.outside_tier", "penalty.above_statutory_max", "procedure.decision_overdue"]
DATES = ["2023-12-31", "2024-01-01", "2024-01-02", "2024-06-01", "2024-12-31", "2025-01-01"]

one = st.fixed_dictionaries({
    "case": st.integers(0, 9), "code": st.sampled_from(CODES),
    "category": st.sampled_from(["overreach", "inaction", "leniency", "procedure"]),
    "severity": st.sampled_from(["high", "medium", "low"]), "department": st.sampled_from(["D1", "D2", "D3"]),
    "officers": st.lists(st.sampled_from(["A", "B", "C", "X", "GHOST"]), max_size=3),
    "event_date": st.sampled_from(DATES)})
batches = st.lists(one, max_size=25, unique_by=lambda f: (f["case"], f["code"], f["event_date"]))


def _findings(spec):
    return [finding(f"K{s['case']}", code=s["code"], category=s["category"], severity=s["severity"],
                    department=s["department"], officers=s["officers"], event_date=s["event_date"]) for s in spec]


def _weight(notices):
    """Per subject: (number of notices, heaviest measure's ladder rank, findings counted by ACC-COUNT)."""
    out = {}
    for n in notices:
        key = (n["subject_type"], n["subject_id"] if n["subject_type"] != "leader" else n["department"])
        k, r, c = out.get(key, (0, -1, 0))
        out[key] = (k + 1, max(r, RULES.rank(n["measure"])), c + (n["count"] if n["rule_id"] == "ACC-COUNT" else 0))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=batches, data=st.data())
def test_an_exemption_never_increases_a_count_or_a_measure(spec, data):
    fs = _findings(spec)
    if not fs:
        return
    chosen = data.draw(st.lists(st.sampled_from(fs), min_size=1, max_size=3))
    with tempfile.TemporaryDirectory() as d:
        _, before = run(Path(d) / "a", fs)
        _, after = run(Path(d) / "b", fs, exemptions=[(f["case_id"], f["code"], "容错", "法制科") for f in chosen])
    wb, wa = _weight(before), _weight(after)
    for key, (k, r, c) in wa.items():
        assert key in wb
        kb, rb, cb = wb[key]
        assert k <= kb and r <= rb and c <= cb, (key, wb[key], wa[key])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=batches, seed=st.integers(0, 2**32 - 1))
def test_permuting_findings_and_folders_does_not_change_the_notices(spec, seed):
    fs = _findings(spec)
    shuffled = list(fs)
    random.Random(seed).shuffle(shuffled)
    half = len(shuffled) // 2
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        run(d / "a", fs)
        # the same findings, shuffled and split across two folders given in either order
        f1 = write_review(d / "b" / "m1", shuffled[:half])
        f2 = write_review(d / "b" / "m2", shuffled[half:])
        run(d / "b", None, folders=[f2, f1])
        assert (d / "a" / "out" / "notices.jsonl").read_bytes() == (d / "b" / "out" / "notices.jsonl").read_bytes()
