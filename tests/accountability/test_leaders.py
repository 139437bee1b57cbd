"""Leader notices: 一案双查, the bottom-three ranking (ties, 20-case minimum) and 从重 escalation."""
import shutil
from pathlib import Path

from .helpers import ROSTER, case, finding, pick, run

RULES = Path(__file__).resolve().parents[2] / "rules" / "accountability"


def hi_overreach(case_id, **kw):
    return finding(case_id, code="penalty.above_statutory_max", category="overreach", severity="high", **kw)


def test_double_check_opens_a_leader_notice_besides_the_officers(tmp_path):
    fs = [hi_overreach("K1", officers=["A", "B"]),
          finding("K2", category="leniency", severity="high", officers=["C"]),     # high but not overreach
          finding("K3", category="overreach", severity="medium", officers=["C"]),  # overreach but medium
          hi_overreach("K4", officers=["C"], event_date="2023-06-01")]             # outside the window
    summary, notices = run(tmp_path, fs)
    (lead,) = pick(notices, "leader")
    assert (lead["subject_id"], lead["subject_name"], lead["department"]) == ("L1", "一局长", "D1")
    assert (lead["measure"], lead["rule_id"]) == ("领导责任", "ACC-DOUBLE-CHECK")
    assert lead["findings"] == [{"case_id": "K1", "code": "penalty.above_statutory_max"}]
    assert any(c.get("document", "").startswith("seed 000") for c in lead["citations"])
    assert "一案双查" in lead["reason_zh"]
    # the officers are counted as usual
    assert {n["subject_id"] for n in pick(notices, "officer")} == {"A", "B", "C"}


def test_double_check_without_a_leader_in_the_roster(tmp_path):
    summary, notices = run(tmp_path, [hi_overreach("K1", department="D3", officers=["Z"])])
    (lead,) = pick(notices, "leader")
    assert lead["subject_id"] is None and lead["department"] == "D3" and lead["not_in_roster"] is True
    assert summary["not_in_roster"]["departments_without_leader"] == ["D3"]
    assert any("D3" in w and "no leader" in w for w in summary["warnings"])


def test_exempted_overreach_opens_no_leader_notice(tmp_path):
    _, notices = run(tmp_path, [hi_overreach("K1")],
                     exemptions=[("K1", "penalty.above_statutory_max", "容错", "法制科")])
    assert notices == []


def _ranking_case():
    # department: (evaluated cases in the window, counted findings)
    spec = {"DA": (20, 4), "DB": (30, 3), "DC": (20, 1), "DD": (40, 2), "DE": (25, 1), "DF": (19, 10),
            "DG": (50, 0)}
    cases, fs = [], []
    for d, (n, k) in spec.items():
        for i in range(n):
            cases.append(case(f"{d}-{i}", department=d))
        for i in range(k):
            fs.append(finding(f"{d}-{i}", department=d, officers=None))
    cases += [case(f"DC-old-{i}", department="DC", event_date="2023-01-01") for i in range(5)]  # not in window
    fs.append(finding("DE-0", code="procedure.publication_overdue", severity="low", department="DE",
                      officers=None))                                                         # low: not counted
    roster = ROSTER + [(f"L-{d}", f"{d}长", d, "leader") for d in spec]
    return cases, fs, roster


def test_ranking_bottom_three_with_ties_at_the_cut_and_the_20_case_minimum(tmp_path):
    cases, fs, roster = _ranking_case()
    summary, notices = run(tmp_path, fs, cases=cases, roster=roster)
    ranked = pick(notices, "leader", rule_id="ACC-RANKING")
    # rates per 100: DA 20, DB 10, DC 5, DD 5 (tie at the cut: both in), DE 4; DF (19 cases) is not ranked
    assert [n["department"] for n in ranked] == ["DA", "DB", "DC", "DD"]
    assert all(n["measure"] == "诫勉谈话" for n in ranked)
    assert {n["department"]: n["subject_id"] for n in ranked}["DC"] == "L-DC"
    dd = next(n for n in ranked if n["department"] == "DD")
    assert dd["details"]["rank"] == 3 and dd["details"]["rate_per_100"] == 5.0
    assert dd["details"]["evaluated_cases"] == 40 and dd["count"] == 2 and len(dd["findings"]) == 2
    table = {r["department"]: r for r in summary["ranking"]}
    assert table["DF"]["eligible"] is False and table["DF"]["rank"] is None
    assert table["DC"]["evaluated_cases"] == 20            # the 2023 cases are outside the window
    assert table["DE"]["rank"] == 5 and table["DE"]["selected"] is False
    assert table["DG"]["selected"] is False                # no finding: never among the worst


def test_ranking_counts_a_case_seen_in_two_folders_once(tmp_path):
    from .helpers import write_review
    cases, fs, roster = _ranking_case()
    a = write_review(tmp_path / "jan", fs, cases)
    b = write_review(tmp_path / "feb", fs, cases)           # the same month reviewed twice
    summary, notices = run(tmp_path, None, roster=roster, folders=[a, b])
    assert summary["inputs"]["duplicates_merged"] == len(fs)
    assert summary["inputs"]["case_duplicates_merged"] == len(cases)
    assert [n["department"] for n in pick(notices, "leader", rule_id="ACC-RANKING")] == ["DA", "DB", "DC", "DD"]


def test_escalation_after_two_notices(tmp_path):
    fs = [hi_overreach("K1", officers=["A"]), hi_overreach("K2", officers=["B"], event_date="2024-03-01"),
          hi_overreach("K3", department="D2", officers=["X"])]
    _, notices = run(tmp_path, fs)
    l1 = pick(notices, "leader", "L1")
    assert [n["rule_id"] for n in l1] == ["ACC-DOUBLE-CHECK", "ACC-DOUBLE-CHECK", "ACC-ESCALATE"]
    esc = l1[-1]
    # 领导责任 counts as 效能告诫; two notices → one step up
    assert esc["measure"] == "诫勉谈话" and esc["count"] == 2
    assert [f["case_id"] for f in esc["findings"]] == ["K2", "K1"]          # by event date
    assert esc["details"]["escalated_from"] == [{"rule_id": "ACC-DOUBLE-CHECK", "measure": "领导责任"}] * 2
    assert "从重" in esc["reason_zh"]
    # one notice only: no escalation
    assert [n["rule_id"] for n in pick(notices, "leader", "L2")] == ["ACC-DOUBLE-CHECK"]


def test_escalation_moves_up_from_the_heaviest_notice(tmp_path):
    cases, fs, roster = _ranking_case()
    fs.append(hi_overreach("DA-5", department="DA", officers=None))   # DA: ranking 诫勉谈话 + 领导责任
    summary, notices = run(tmp_path, fs, cases=cases, roster=roster)
    esc = pick(notices, "leader", "L-DA", rule_id="ACC-ESCALATE")
    assert len(esc) == 1 and esc[0]["measure"] == "通报批评" and esc[0]["recommend"] == ["调整岗位"]


def test_escalation_at_the_top_of_the_ladder_stays_there(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "ACC-COUNT.yaml").read_text(encoding="utf-8")
    (rules / "ACC-COUNT.yaml").write_text(text.replace("measure: 通报批评", "measure: 移送党纪政纪处理"),
                                          encoding="utf-8")
    # a second count trigger (procedure findings) gives officer C a second notice
    second = text.replace("id: ACC-COUNT", "id: ACC-COUNT-PROCEDURE").replace(
        "when: 'severity in [\"medium\", \"high\"]'", "when: 'category == \"procedure\"'")
    (rules / "ACC-COUNT-PROCEDURE.yaml").write_text(second, encoding="utf-8")
    fs = [finding(f"K{i}", officers=["C"]) for i in range(3)]
    fs.append(finding("P1", code="procedure.too_few_officers", category="procedure", officers=["C"]))
    _, notices = run(tmp_path, fs, rules_dir=rules)
    c = pick(notices, "officer", "C")
    assert [(n["rule_id"], n["measure"]) for n in c] == [
        ("ACC-COUNT", "移送党纪政纪处理"), ("ACC-COUNT-PROCEDURE", "效能告诫"), ("ACC-ESCALATE", "移送党纪政纪处理")]
    assert c[-1]["details"]["at_top_of_ladder"] is True and "最重一级" in c[-1]["reason_zh"]
    assert c[-1]["count"] == 4
