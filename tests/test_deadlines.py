"""Deadline kinds in review (issue 4 §1): licensing applications, disclosure requests, complaints.

Dates are worked by hand from the statutes (行政许可法 Arts. 32, 42, 45, 82; 政府信息公开条例 2007 Art. 24,
2019 Art. 33) and the State Council holiday notices for 2024 and 2025; the hypothesis properties use a
synthetic year with no holidays, where a week is always five working days.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import orjson
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch import review_batch
from engine.calendar import WorkingDayCalendar
from engine.results import case_table, finding_rows
from engine.summary import summary

from conftest import ROOT

CASES = ROOT / "cases"


def run(records, ruleset, calendar, as_of=dt.date(2025, 12, 31), catalogue=None, powers=None, kind=None):
    raw = pd.DataFrame(records).astype(object)
    return review_batch(raw, ruleset, as_of, calendar, kind=kind, catalogue=catalogue, powers=powers)


def rows(batch):
    return {r["case_id"]: r for r in case_table(batch).to_pylist()}


def deadlines(row):
    return {d["id"]: d for d in orjson.loads(row["deadlines"] or "[]")}


def test_approval_accepted_before_2024_national_day(ruleset, calendar):
    # accepted Mon 2024-09-30; Oct 1–7 off; Sat Oct 12 is a 调休 working day: the 20th working day is Nov 1
    b = run([{"record_kind": "approval", "case_id": "A", "received_date": "2024-09-27",
              "accepted_date": "2024-09-30", "decided_date": "2024-11-04"}], ruleset, calendar)
    f = [x for x in finding_rows(b) if x["code"] == "inaction.approval_overdue"]
    assert len(f) == 1
    assert f[0]["expected"]["deadline"] == "2024-11-01"
    assert f[0]["actual"]["late"] == 1                         # Nov 4 is the next working day
    assert f[0]["event_date"] == "2024-11-01"
    assert {"law": "中华人民共和国行政许可法", "article": 42, "paragraph": 1} in f[0]["citations"]
    assert f[0]["category"] == "inaction" and f[0]["record_kind"] == "approval"


def test_approval_extension_and_excluded_days_are_working_days(ruleset, calendar):
    # Art. 42 (+10) and Art. 45 (+3 excluded): 33 working days from Sep 30 → Nov 20, 2024
    b = run([{"record_kind": "approval", "case_id": "A", "received_date": "2024-09-27",
              "accepted_date": "2024-09-30", "decided_date": "2024-11-21", "extension_approved": "是",
              "excluded_days": 3}], ruleset, calendar)
    f = finding_rows(b)
    assert [x["code"] for x in f] == ["inaction.approval_overdue"]
    assert f[0]["expected"]["deadline"] == "2024-11-20" and f[0]["expected"]["period"] == 33
    cited = {(c["article"]) for c in f[0]["citations"]}
    assert cited == {42, 45}


def test_2025_spring_festival_and_national_day(ruleset, calendar):
    # 2025: Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked; Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked
    b = run([{"record_kind": "approval", "case_id": "S", "received_date": "2025-01-23", "accepted_date": "2025-01-24",
              "decided_date": "2025-02-27"},
             {"record_kind": "approval", "case_id": "N", "received_date": "2025-09-25", "accepted_date": "2025-09-26",
              "decided_date": "2025-10-31"}], ruleset, calendar)
    r = rows(b)
    assert deadlines(r["S"])["LIC-42"]["due"] == "2025-02-27" and r["S"]["codes"] == []
    assert deadlines(r["N"])["LIC-42"]["due"] == "2025-10-30" and r["N"]["codes"] == ["inaction.approval_overdue"]


def test_acceptance_overdue_and_deemed_acceptance(ruleset, calendar):
    # received Mon 2024-12-02, nothing done: Art. 32(4) 5 working days → Dec 9; deemed accepted on Dec 2,
    # 20 working days → Dec 30; as of Dec 31 both are missed
    b = run([{"record_kind": "approval", "case_id": "A", "received_date": "2024-12-02"}], ruleset, calendar,
            as_of=dt.date(2024, 12, 31))
    f = {x["code"]: x for x in finding_rows(b)}
    assert set(f) == {"inaction.acceptance_overdue", "inaction.approval_overdue"}
    assert f["inaction.acceptance_overdue"]["expected"]["deadline"] == "2024-12-09"
    assert "视为自2024-12-02受理" in f["inaction.approval_overdue"]["message_zh"]
    assert {"law": "中华人民共和国行政许可法", "article": 32, "paragraph": 1, "item": 4} in \
        f["inaction.approval_overdue"]["citations"]
    # the day itself is not late: as of the due date nothing is reported
    b = run([{"record_kind": "approval", "case_id": "A", "received_date": "2024-12-02"}], ruleset, calendar,
            as_of=dt.date(2024, 12, 9))
    assert finding_rows(b) == []


def test_disclosure_versions_by_received_date(ruleset, calendar):
    # 2007 text Art. 24: 15 working days (received 2019-05-14 → Jun 4); 2019 text Art. 33: 20 (from 2019-05-15
    # → Jun 13; Jun 7 端午). Both answered on Jun 5: only the first is late.
    b = run([{"record_kind": "disclosure", "case_id": "old", "received_date": "2019-05-14", "replied_date": "2019-06-05"},
             {"record_kind": "disclosure", "case_id": "new", "received_date": "2019-05-15", "replied_date": "2019-06-05"}],
            ruleset, calendar)
    r = rows(b)
    assert deadlines(r["old"])["OGI-33"] == {"id": "OGI-33", "code": "inaction.disclosure_overdue",
                                             "version": "2008-05-01", "due": "2019-06-04", "closed": "2019-06-05",
                                             "status": "overdue"}
    assert deadlines(r["new"])["OGI-33"]["version"] == "2019-05-15"
    assert deadlines(r["new"])["OGI-33"]["due"] == "2019-06-13"
    f = finding_rows(b)
    assert [(x["case_id"], x["citations"][0]["article"]) for x in f] == [("old", 24)]


def test_complaints_acceptance_verification_and_unhandled(ruleset, calendar):
    recs = [
        # 投诉: 7 working days from Fri 2024-09-27 → Sat Oct 12 (调休); accepted Oct 14: late
        {"record_kind": "complaint", "case_id": "C1", "kind": "投诉", "received_date": "2024-09-27",
         "accepted_date": "2024-10-14", "handled_date": "2024-11-01"},
        # 举报: 15 working days from 2024-09-20 → Oct 16; verified in time but never handled
        {"record_kind": "complaint", "case_id": "C2", "kind": "举报", "received_date": "2024-09-20",
         "verified_date": "2024-10-16"},
    ]
    b = run(recs, ruleset, calendar, as_of=dt.date(2024, 10, 17))
    r = rows(b)
    assert r["C1"]["codes"] == ["inaction.complaint_acceptance_overdue"]
    assert r["C2"]["codes"] == ["inaction.complaint_unhandled"]
    assert deadlines(r["C2"])["CMP-unhandled"]["due"] == "2024-10-16"


def test_mixed_batch_counts_and_one_output(ruleset, calendar, tmp_path):
    """Penalties and the three deadline kinds in one review: one cases.jsonl, findings.jsonl, summary.json."""
    from click.testing import CliRunner

    from cli import main
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["review", *(str(CASES / f) for f in ("penalties.csv", "approvals.csv",
                                    "disclosures.csv", "complaints.csv")),
                                    "--catalog", str(CASES / "catalog.csv"), "--powers", str(CASES / "powers.csv"),
                                    "--out", str(out), "--as-of", "2024-12-31"])
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    n_in = sum(len(pd.read_csv(CASES / f)) for f in ("penalties.csv", "approvals.csv", "disclosures.csv",
                                                      "complaints.csv"))
    assert s["input_rows"] == n_in == s["evaluated"] + s["rejected"]
    assert set(s["by_kind"]) == {"penalty", "approval", "disclosure", "complaint"}
    cases = [json.loads(line) for line in (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(cases) == n_in and len({c["case_id"] for c in cases}) == n_in - 1   # one duplicated id (rows 27, 28)
    by_id = {c["case_id"]: c for c in cases}
    # the annotations in the sample files, case by case
    assert by_id["示许〔2024〕001号"]["codes"] == ["inaction.commitment_overdue", "overreach.mandatory_intermediary",
                                               "overreach.unlisted_precondition"]
    assert by_id["示许〔2024〕004号"]["codes"] == ["overreach.power_not_listed", "overreach.unlisted_item"]
    assert by_id["示许〔2024〕005号"]["codes"] == ["overreach.unlisted_item", "overreach.wrong_department"]
    assert by_id["示许〔2024〕008号"]["codes"] == ["overreach.fee_without_basis"]
    assert by_id["示公开〔2019〕12号"]["codes"] == ["inaction.disclosure_overdue"]
    assert by_id["示投〔2024〕105号"]["status"] == "rejected"
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(findings) == s["findings"]
    deemed = [f for f in findings if f["case_id"] == "示许〔2024〕002号"]
    assert deemed[0]["actual"]["deemed_approved"] is True and "超时默认" in deemed[0]["message_zh"]
    pre = [f for f in findings if f["code"] == "overreach.unlisted_precondition"][0]
    assert pre["actual"]["unlisted_preconditions"] == ["QZ-002"]
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig")
    assert len(rejected) == s["rejected"] and rejected["row"].dtype.kind == "i"
    assert (out / "catalog_rejected.csv").exists() and (out / "powers_rejected.csv").exists()
    assert s["inputs"]["powers"]["rejected"] == 1


def test_record_kind_column_option_and_unknown(ruleset, calendar):
    recs = [{"case_id": "X1", "received_date": "2024-05-06", "replied_date": "2024-05-07"},
            {"记录类型": "行政许可", "case_id": "X2", "received_date": "2024-05-06"},
            {"记录类型": "咨询", "case_id": "X3", "received_date": "2024-05-06"}]
    raw = pd.DataFrame(recs).astype(object)
    raw["record_kind"] = raw.pop("记录类型")
    b = review_batch(raw, ruleset, dt.date(2024, 5, 8), calendar, kind="disclosure")
    r = rows(b)
    assert r["X1"]["record_kind"] == "disclosure" and r["X1"]["status"] == "evaluated"
    assert r["X2"]["record_kind"] == "approval"
    assert r["X3"]["status"] == "rejected" and "unknown value(s) '咨询'" in r["X3"]["reason"]
    assert summary(b, 3)["rejected"] == 1


def test_case_ids_unique_across_kinds(ruleset, calendar):
    b = run([{"record_kind": "disclosure", "case_id": "D", "received_date": "2024-05-06"},
             {"record_kind": "complaint", "case_id": "D", "kind": "投诉", "received_date": "2024-05-06"}],
            ruleset, calendar)
    r = case_table(b).to_pylist()
    assert [x["status"] for x in r] == ["rejected", "rejected"]
    assert all("appears more than once" in x["reason"] for x in r)


def test_date_outside_calendar_is_rejected_not_guessed(ruleset, calendar):
    b = run([{"record_kind": "disclosure", "case_id": "D", "received_date": "2027-03-01"}], ruleset, calendar,
            as_of=dt.date(2027, 6, 1))
    r = case_table(b).to_pylist()[0]
    assert r["status"] == "rejected" and "working-day calendar" in r["reason"]


def test_commitment_needs_catalogue_and_is_subsumed_by_statutory(ruleset, calendar):
    from engine.review import load_references
    refs = load_references(CASES / "catalog.csv", None, dt.date(2024, 12, 31))
    # XK-001 (市场监管局): statutory 20, committed 14 working days. Accepted 2024-09-30:
    # committed → Oct 24, statutory → Nov 1.
    base = {"record_kind": "approval", "department": "市场监管局", "item_code": "XK-001",
            "received_date": "2024-09-27", "accepted_date": "2024-09-30"}
    b = run([{**base, "case_id": "ok", "decided_date": "2024-10-24"},
             {**base, "case_id": "commit", "decided_date": "2024-10-25"},
             {**base, "case_id": "both", "decided_date": "2024-11-04"}], ruleset, calendar,
            as_of=dt.date(2024, 12, 31), catalogue=refs.catalogue)
    r = rows(b)
    assert r["ok"]["codes"] == []
    assert r["commit"]["codes"] == ["inaction.commitment_overdue"]
    assert r["both"]["codes"] == ["inaction.approval_overdue"]           # not also the commitment
    assert deadlines(r["both"])["LIC-commitment"]["status"] == "overdue"
    low = [f for f in finding_rows(b) if f["code"] == "inaction.commitment_overdue"][0]
    assert low["severity"] == "low" and low["expected"]["deadline"] == "2024-10-24"


# -- hypothesis properties ---------------------------------------------------------------------------
def _no_holiday_calendar():
    """2030 with every Monday–Friday a working day and no holidays (a synthetic year)."""
    days = pd.date_range("2030-01-01", "2030-12-31")
    return WorkingDayCalendar({2030: {d.date() for d in days if d.weekday() < 5}})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offset=st.integers(0, 600), extension=st.booleans(), excluded=st.integers(0, 10),
       early=st.integers(0, 30))
def test_decision_on_or_before_deadline_is_never_overdue(ruleset, calendar, offset, extension, excluded, early):
    accepted = dt.date(2024, 1, 2) + dt.timedelta(days=offset)
    base = {"record_kind": "approval", "case_id": "P", "received_date": accepted.isoformat(),
            "accepted_date": accepted.isoformat(), "extension_approved": str(extension), "excluded_days": excluded}
    due = dt.date.fromisoformat(deadlines(rows(run([base], ruleset, calendar))["P"])["LIC-42"]["due"])
    decided = max(accepted, due - dt.timedelta(days=early))
    r = rows(run([{**base, "decided_date": decided.isoformat()}], ruleset, calendar))["P"]
    assert "inaction.approval_overdue" not in r["codes"]
    # and the next working day after the deadline is overdue
    nxt = calendar.add_working_days(np.array([due], dtype="datetime64[D]"), 1)[0].astype(dt.date)
    r = rows(run([{**base, "decided_date": nxt.isoformat()}], ruleset, calendar))["P"]
    assert "inaction.approval_overdue" in r["codes"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.integers(0, 120), weeks=st.integers(1, 20), kind=st.sampled_from(["approval", "disclosure", "complaint"]),
       gaps=st.lists(st.integers(0, 40), min_size=3, max_size=3), ext=st.booleans(), open_case=st.booleans())
def test_shifting_a_case_by_whole_weeks_in_a_year_without_holidays_changes_nothing(
        ruleset, start, weeks, kind, gaps, ext, open_case):
    cal = _no_holiday_calendar()
    d0 = dt.date(2030, 1, 7) + dt.timedelta(days=start)
    d1, d2, d3 = (d0 + dt.timedelta(days=sum(gaps[:i + 1])) for i in range(3))
    rec = {"record_kind": kind, "case_id": "W", "received_date": d0, "extension_approved": str(ext)}
    if kind == "approval":
        rec.update(accepted_date=d1, decided_date=None if open_case else d2)
    elif kind == "disclosure":
        rec.update(replied_date=None if open_case else d2)
    else:
        rec.update(kind="举报", verified_date=d1, handled_date=None if open_case else d3)
    as_of = dt.date(2030, 7, 1)

    def shifted(r, k):
        return {f: (v + dt.timedelta(weeks=k) if isinstance(v, dt.date) else v) for f, v in r.items()}

    def result(r, when):
        row = rows(run([{f: (v.isoformat() if isinstance(v, dt.date) else v) for f, v in r.items()}],
                       ruleset, cal, as_of=when))["W"]
        return row["codes"], {i: (d["status"], d["due"]) for i, d in deadlines(row).items()}
    codes_a, dl_a = result(rec, as_of)
    codes_b, dl_b = result(shifted(rec, weeks), as_of + dt.timedelta(weeks=weeks))
    assert codes_a == codes_b
    assert {i: (s, (dt.date.fromisoformat(d) + dt.timedelta(weeks=weeks)).isoformat()) for i, (s, d) in dl_a.items()} \
        == dl_b


def test_rules_show_a_deadline():
    from click.testing import CliRunner

    from cli import main
    res = CliRunner().invoke(main, ["rules", "show", "OGI-33"])
    assert res.exit_code == 0
    assert "2008-05-01–2019-05-14: 15 个工作日" in res.output and "2019-05-15–…: 20 个工作日" in res.output
    assert "+20 个工作日 when extension_approved" in res.output
