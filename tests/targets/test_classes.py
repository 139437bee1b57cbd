"""Worst class wins, each step explained; flags; a department's parameters; a property: adding a
record never improves an entity's class."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from .helpers import code, csv_rows, entities_of, penalty_case, register, review_folder, write_csv

COMPLAINT_HEAD = ["投诉举报编号", "统一社会信用代码", "收到日期", "是否属实", "检查事项"]


def test_worst_class_wins_with_steps(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1, "credit_class": "A"}])
    rv = review_folder(tmp_path / "rv", [
        penalty_case("P1", code(1), "2026-01-05", fine=5000),
        penalty_case("P2", code(1), "2026-02-05", fine=300000),
        penalty_case("P3", code(1), "2026-03-05", fine=1000, sanctions=["吊销营业执照"])])
    comp = write_csv(tmp_path / "c.csv", COMPLAINT_HEAD, [["C1", code(1), "2026-05-01", "是", ""]])
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--reviews", rv, "--complaints", comp)
    assert res.exit_code == 0, res.output
    e = entities_of(out)[code(1)]
    assert e["class"] == "D" and e["previous_class"] == "A"
    steps = [(s["rule"], s["from"], s["to"], s["applied"]) for s in e["steps"]]
    assert steps == [("TGT-B-COMPLAINT", "A", "B", True), ("TGT-B-PENALTY", "B", "B", False),
                     ("TGT-C-LARGE-FINE", "B", "C", True), ("TGT-D-REVOKED", "C", "D", True)]
    revoked = [r for r in e["rules"] if r["rule"] == "TGT-D-REVOKED"][0]
    assert [r["case_id"] for r in revoked["records"]] == ["P3"]
    assert revoked["records"][0]["sanctions"] == ["revoke_business_license"]
    reg_rows = {r["entity_id"]: r for r in csv_rows(out / "register.csv")}
    assert reg_rows[code(1)]["credit_class"] == "D" and reg_rows[code(1)]["previous_credit_class"] == "A"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["by_class"] == {"A": 0, "B": 0, "C": 0, "D": 1}
    assert summary["by_rule"]["TGT-D-REVOKED"] == 1
    assert summary["rules"]["TGT-D-REVOKED"]["title_zh"] == "近期被吊销许可证件或营业执照"
    assert revoked["citations"][0] == {"law": "市场主体登记管理条例", "article": 38, "paragraph": 1}


def test_key_sector_flag(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1, "industry": "食品生产"}, {"n": 2, "industry": "零售"},
                                          {"n": 3, "industry": "食品生产", "status": "注销"}])
    res, out = run_targets(reg, "--as-of", "2026-07-15")
    assert res.exit_code == 0, res.output
    rows = {r["entity_id"]: r for r in csv_rows(out / "register.csv")}
    assert (rows[code(1)]["flag_key"], rows[code(2)]["flag_key"], rows[code(3)]["flag_key"]) == ("是", "否", "否")
    assert rows[code(1)]["flags"] == "key"


def test_department_parameters_override_the_defaults(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    rv = review_folder(tmp_path / "rv", [penalty_case("P1", code(1), "2026-01-05", fine=60000)])
    params = tmp_path / "p.yaml"
    params.write_text("large_fine_yuan: 50000\nbase_class: B\n", encoding="utf-8")
    res, out = run_targets(reg, "--as-of", "2026-07-15", "--reviews", rv, "--params", params)
    assert res.exit_code == 0, res.output
    assert entities_of(out)[code(1)]["class"] == "C"
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["parameters"]["large_fine_yuan"] == {"value": 50000, "tag": "C", "overridden": True}


def test_unknown_parameter_is_refused(tmp_path, run_targets):
    reg = register(tmp_path / "reg.csv", [{"n": 1}])
    params = tmp_path / "p.yaml"
    params.write_text("large_fine: 50000\n", encoding="utf-8")
    res, _ = run_targets(reg, "--as-of", "2026-07-15", "--params", params)
    assert res.exit_code == 2
    assert "未知参数" in res.output and "Traceback" not in res.output


RECORD = st.one_of(
    st.tuples(st.just("penalty"), st.integers(0, 1200), st.sampled_from([0, 5000, 100000, 250000]),
              st.sampled_from([None, ["警告"], ["吊销许可证"]])),
    st.tuples(st.just("complaint"), st.integers(0, 500), st.sampled_from(["是", "否", ""]), st.just(None)))


def _class_of(tmp_path, run_targets, records, tag):
    import datetime as dt
    as_of = dt.date(2026, 7, 15)
    base = tmp_path / tag
    base.mkdir()
    reg = register(base / "reg.csv", [{"n": 1}])
    pens = [penalty_case(f"P{i}", code(1), str(as_of - dt.timedelta(days=r[1])), fine=r[2], sanctions=r[3])
            for i, r in enumerate(records) if r[0] == "penalty"]
    comps = [[f"C{i}", code(1), str(as_of - dt.timedelta(days=r[1])), r[2], ""]
             for i, r in enumerate(records) if r[0] == "complaint"]
    rv = review_folder(base / "rv", pens)
    comp = write_csv(base / "c.csv", COMPLAINT_HEAD, comps)
    res, out = run_targets(reg, "--as-of", str(as_of), "--reviews", rv, "--complaints", comp, out=f"{tag}/out")
    assert res.exit_code == 0, res.output
    return entities_of(out)[code(1)]["class"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(RECORD, max_size=5), RECORD)
def test_adding_a_record_never_improves_the_class(tmp_path, run_targets, records, extra):
    import uuid
    tag = uuid.uuid4().hex[:8]
    before = _class_of(tmp_path, run_targets, records, tag + "a")
    after = _class_of(tmp_path, run_targets, records + [extra], tag + "b")
    assert "ABCD".index(after) >= "ABCD".index(before)
