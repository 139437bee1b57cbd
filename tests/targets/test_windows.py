"""Windows at their edges.  A window of N years (months) ending at as-of holds the days from the day
N years (months) before as-of up to as-of, both included: a fine decided on d affects the class through
d + 2 years (民法典 Arts. 201–202: the decision day not counted, the period ends on the corresponding
day), so on as-of = d + 2 years it still counts, and a day earlier it does not."""
from __future__ import annotations

from .helpers import code, entities_of, penalty_case, register, review_folder, write_csv

COMPLAINT_HEAD = ["投诉举报编号", "统一社会信用代码", "收到日期", "是否属实", "检查事项"]


def _fine(tmp_path, run_targets, decided: str, as_of: str, fine=120000):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    rv = review_folder(tmp_path / "rv", [penalty_case("P1", code(1), decided, fine=fine)])
    res, out = run_targets(reg, "--as-of", as_of, "--reviews", rv)
    assert res.exit_code == 0, res.output
    return entities_of(out)[code(1)]


def test_fine_decided_exactly_two_years_before_counts(tmp_path, run_targets):
    e = _fine(tmp_path, run_targets, "2024-07-15", "2026-07-15")
    assert e["class"] == "C"
    hit = [r for r in e["rules"] if r["rule"] == "TGT-C-LARGE-FINE"][0]
    assert hit["records"][0]["case_id"] == "P1" and hit["records"][0]["fine"] == 120000
    assert hit["facts"]["count(penalties, fine >= large_fine_yuan, years(penalty_window_years))"] == 1


def test_fine_decided_two_years_and_a_day_before_does_not(tmp_path, run_targets):
    e = _fine(tmp_path, run_targets, "2024-07-14", "2026-07-15")
    assert e["class"] == "A" and e["rules"] == []


def test_fine_below_the_threshold_is_class_b(tmp_path, run_targets):
    """99,999.99 < 100,000 (the 较大数额 default): a penalty (B), not a large fine (C)."""
    e = _fine(tmp_path, run_targets, "2025-01-10", "2026-07-15", fine=99999.99)
    assert e["class"] == "B"


def test_leap_day_window_edge(tmp_path, run_targets):
    """As of 2026-02-28, two years back is 2024-02-28 (2024-02-29 has no 2026 counterpart)."""
    assert _fine(tmp_path, run_targets, "2024-02-28", "2026-02-28")["class"] == "C"
    (tmp_path / "out").rename(tmp_path / "o1")
    import shutil
    shutil.rmtree(tmp_path / "rv")
    assert _fine(tmp_path, run_targets, "2024-02-27", "2026-02-28")["class"] == "A"


def test_decision_after_as_of_is_not_seen(tmp_path, run_targets):
    assert _fine(tmp_path, run_targets, "2026-07-16", "2026-07-15")["class"] == "A"


def test_complaint_window_twelve_months(tmp_path, run_targets):
    """As of 2026-07-15 the 12-month window starts 2025-07-15."""
    reg = register(tmp_path / "reg.csv", [{"n": 1}, {"n": 2}])
    comp = write_csv(tmp_path / "c.csv", COMPLAINT_HEAD, [["C1", code(1), "2025-07-15", "是", "FOOD-01"],
                                                          ["C2", code(2), "2025-07-14", "是", "FOOD-01"]])
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--complaints", comp)
    assert res.exit_code == 0, res.output
    ents = entities_of(out)
    assert ents[code(1)]["class"] == "B" and ents[code(1)]["flags"] == ["targeted"]
    assert ents[code(1)]["targeted_items"] == ["FOOD-01"]
    assert ents[code(2)]["class"] == "A" and ents[code(2)]["flags"] == []


def test_unverified_or_unknown_complaints_do_not_count(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    comp = write_csv(tmp_path / "c.csv", COMPLAINT_HEAD, [["C1", code(1), "2026-05-01", "否", ""],
                                                          ["C2", code(1), "2026-05-02", "", ""]])
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--complaints", comp)
    assert res.exit_code == 0, res.output
    assert entities_of(out)[code(1)]["class"] == "A"
