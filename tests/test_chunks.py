"""A large batch is validated and evaluated in row chunks on several threads (engine.batch); the reports
must be exactly those of one thread, including what only the whole batch can tell: repeated case ids
and acts fined twice (行政处罚法 Art. 29), wherever the rows fall."""
import csv
import datetime as dt
import json

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from engine.batch import review_batch
from engine.results import case_table, finding_text, rejected_frame
from engine.summary import summary

from conftest import BASE, ROOT

REPORTS = ("cases.jsonl", "findings.jsonl", "rejected.csv", "summary.json")


def _review(tmp_path, name, files, threads, *extra):
    out = tmp_path / name
    res = CliRunner().invoke(main, ["review", *map(str, files), "--out", str(out), "--as-of", "2024-12-31",
                                    "--threads", str(threads), *extra])
    assert res.exit_code == 0, res.output
    return out


def test_sample_reports_are_the_same_with_four_threads(tmp_path):
    files = [ROOT / "cases" / "penalties.csv"]
    one = _review(tmp_path, "one", files, 1, "--powers", ROOT / "cases" / "powers.csv")
    four = _review(tmp_path, "four", files, 4, "--powers", ROOT / "cases" / "powers.csv")
    for name in REPORTS:
        assert (one / name).read_bytes() == (four / name).read_bytes(), name
    raw = pd.read_csv(files[0], dtype=str)
    from engine.calendar import default_calendar
    from engine.ruleset.loader import load_rules
    assert len(review_batch(raw, load_rules(ROOT / "rules"), dt.date(2024, 12, 31), default_calendar(),
                            threads=4).parts) == 4


def _row(case_id, **changes):
    return {**BASE, "case_id": case_id, **changes}


def test_an_act_fined_twice_and_a_repeated_id_in_different_chunks(tmp_path):
    """Rows 2–10 of the file (row 1 is the header) in three chunks of three rows.

    Cases A (row 2, decided 2024-05-10) and B (row 8, decided 2024-04-20) fine one party for one act
    (same party, violation code and violation date): Art. 29 allows one fine, the earlier decision
    stands, so A is the double fine and B is not.  Row 3 (E) records the same act and a fine but
    cannot be evaluated (party type "x"): it fines nothing and takes no part.  Case id D is on rows
    5 and 10: both rows are rejected, naming both rows; they take no part either, though row 10 also
    fines the act.
    """
    rows = [
        _row("A", decision_date="2024-05-10", publicized_date="2024-05-15"),
        _row("E", party_type="x"),
        _row("F1", party_id="P-OTHER-1"),
        _row("D", party_id="P-OTHER-2"),
        _row("F2", party_id="P-OTHER-3"),
        _row("F3", party_id="P-OTHER-4"),
        _row("B", decision_date="2024-04-20", fine=50000),
        _row("F4", party_id="P-OTHER-5"),
        _row("D"),
    ]
    path = tmp_path / "batch.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    one = _review(tmp_path, "one", [path], 1)
    three = _review(tmp_path, "three", [path], 3)
    for name in REPORTS:
        assert (one / name).read_bytes() == (three / name).read_bytes(), name

    findings = [json.loads(line) for line in (three / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    double = [f for f in findings if f["code"] == "penalty.double_fine"]
    assert [(f["case_id"], f["actual"]["also_fined_in"], f["row"]) for f in double] == [("A", ["B"], 2)]
    assert double[0]["citations"] == [{"law": "中华人民共和国行政处罚法", "article": 29}]
    rejected = pd.read_csv(three / "rejected.csv", dtype=str)
    reasons = dict(zip(rejected["row"], rejected["reason"]))
    assert set(reasons) == {"3", "5", "10"}
    assert "party_type" in reasons["3"]
    for r in ("5", "10"):
        assert reasons[r] == ("案件编号 (case_id) 'D' 重复出现（第 5, 10 行），重复的记录不会合并 "
                              "(case_id 'D' appears more than once, rows 5, 10; duplicates are never merged)")
    assert [json.loads(line)["row"] for line in (three / "findings.jsonl").read_text("utf-8").splitlines()] == \
        sorted(f["row"] for f in findings)                        # findings follow the records' order


PARTIES = ["P1", "P2", "P3"]


@st.composite
def batches(draw):
    """Rows that collide on purpose: few case ids, few parties, acts, dates and fines."""
    n = draw(st.integers(min_value=2, max_value=24))
    out = []
    for _ in range(n):
        out.append(_row(
            draw(st.sampled_from(["K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", None])),
            party_id=draw(st.sampled_from(PARTIES + [None])),
            act_id=draw(st.sampled_from([None, None, "ACT-1", "ACT-2"])),
            violation_date=draw(st.sampled_from(["2024-03-01", "2024-03-02", "2024年3月1日", "bad"])),
            decision_date=draw(st.sampled_from(["2024-04-20", "2024-04-22", "2024-05-10"])),
            party_type=draw(st.sampled_from(["organization", "个人", "x"])),
            violation_code=draw(st.sampled_from(["FSL-124-1", "FSL-124-1", "RTSL-90", "NOPE"])),
            fine=draw(st.sampled_from([0, 50000, 75000, "abc", None, "-0.0"])),
            department=draw(st.sampled_from(["甲局", "乙局", None])),
        ))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.integers(min_value=2, max_value=6))
def test_any_chunking_gives_the_same_review(ruleset, calendar, rows, threads):
    raw = pd.DataFrame(rows).astype(object)
    as_of = dt.date(2024, 12, 31)
    one = review_batch(raw, ruleset, as_of, calendar, threads=1)
    many = review_batch(raw, ruleset, as_of, calendar, threads=threads)
    assert len(many.parts) == min(threads, len(rows))
    assert case_table(many).to_pylist() == case_table(one).to_pylist()
    assert bytes(finding_text(many)) == bytes(finding_text(one))
    assert rejected_frame(many).to_dict("records") == rejected_frame(one).to_dict("records")
    assert json.dumps(summary(many, len(rows)), ensure_ascii=False) == \
        json.dumps(summary(one, len(rows)), ensure_ascii=False)            # key order too: it is the file


def test_a_number_cell_reads_the_same_in_any_chunk(ruleset, calendar):
    """JSON Lines cells keep their JSON types: case id 1.0 is the code "1" (a whole number read as a
    code) whichever other cells its chunk holds, so it repeats case "1" and both rows are rejected."""
    rows = [_row(1.0), _row("X"), _row(5), _row("1")]
    raw = pd.DataFrame(rows).astype(object)
    for threads in (1, 2, 4):
        b = review_batch(raw, ruleset, dt.date(2024, 12, 31), calendar, threads=threads)
        table = case_table(b).to_pylist()
        assert [(r["case_id"], r["status"]) for r in table] == \
            [("1", "rejected"), ("X", "evaluated"), ("5", "evaluated"), ("1", "rejected")], threads
        assert table[0]["reason"].startswith("案件编号 (case_id) '1' 重复出现（第 1, 4 行）")
