"""prepare → run → verify through the CLI, with a real SQLite ledger (and PostgreSQL when reachable)."""
from __future__ import annotations

import csv
import io
import json
import random

import pytest
import sqlalchemy as sa

from engine.draw import ledger as ledger_mod
from engine.draw import workflow

from .helpers import input_args, ref_order

SEED = "3-1-4-1-5-9-2-6"
NOTE = "2025-03-07 局务会，纪检组长掷两枚十面骰 8 次"


def prepare(cli, s, *extra, db_url=None):
    return cli("prepare", s["plan"], *input_args(s), *extra, db_url=db_url)


def run(cli, s, out, seed=SEED, *extra, db_url=None):
    return cli("run", s["plan"], *input_args(s), "--seed", seed, "--seed-note", NOTE, "--out", out, *extra,
               db_url=db_url)


def doc(out):
    return json.loads((out / "draw.json").read_text(encoding="utf-8"))


def rows(db):
    eng = sa.create_engine(db)
    with eng.connect() as cx:
        d = cx.execute(sa.select(sa.func.count()).select_from(ledger_mod.draws)).scalar()
        t = cx.execute(sa.select(sa.func.count()).select_from(ledger_mod.targets)).scalar()
    eng.dispose()
    return d, t


def test_full_workflow_and_contract_fields(cli, sample, tmp_path):
    r = prepare(cli, sample)
    assert r.exit_code == 0, r.output
    assert "plan_sha256:" in r.output and "请在产生随机种子之前公布" in r.output
    assert "拒收 2" in r.output                              # the two malformed sample rows
    out = tmp_path / "out"
    r = run(cli, sample, out)
    assert r.exit_code == 0, r.output
    d = doc(out)
    for key in ("spec_version", "seed", "seed_note", "inputs", "strata", "selections", "assignments", "unfilled"):
        assert key in d
    assert d["seed"] == SEED and d["seed_note"] == NOTE
    assert all(set(s) == {"item_id", "credit_class", "rank", "entity_id", "ticket"} for s in d["selections"])
    assert all({"item_id", "entity_id", "inspectors"} <= set(a) for a in d["assignments"])
    assert all(set(u) == {"item_id", "entity_id", "reason"} for u in d["unfilled"])
    assert all(len(s["ticket"]) == 20 and s["ticket"].startswith("0.") for s in d["selections"])
    assert d["inputs"]["entities"] == {"file": "entities.csv", "sha256": d["inputs"]["entities"]["sha256"],
                                       "rows": 82, "used": 80, "rejected": 2}
    # every stratum's counts add up, and the selection is the spec's lowest-ticket prefix
    for st in d["strata"]:
        assert st["eligible"] + sum(st["excluded"].values()) == st["population"]
    food_a = [s["entity_id"] for s in d["selections"] if s["item_id"] == "FOOD-01" and s["credit_class"] == "A"]
    ents = list(csv.DictReader(io.StringIO(sample["entities"].read_text(encoding="utf-8"))))
    rejected = {r["编号"] for r in csv.DictReader(io.StringIO((out / "rejected.csv").read_text(encoding="utf-8-sig")))}
    assert len(rejected) == 2
    eligible = [e["entity_id"] for e in ents if e["credit_class"] == "A" and e["industry"] == "餐饮"
                and e["status"] in ("存续", "在业", "active") and e["entity_id"] not in rejected]
    assert food_a == ref_order(f"{SEED}|E|FOOD-01|A", eligible)[:len(food_a)]
    pub = (out / "公示名单.csv").read_bytes()
    assert pub.startswith(b"\xef\xbb\xbf") and "统一社会信用代码".encode() in pub
    assert (out / "rejected.csv").read_text(encoding="utf-8-sig").count("\n") == 3
    from openpyxl import load_workbook
    ws = load_workbook(out / "公示名单.xlsx").active
    assert ws.cell(2, 11).value == "统一社会信用代码" and ws.max_row == len(d["selections"]) + 2
    r = cli("verify", out / "draw.json", *input_args(sample))
    assert r.exit_code == 0 and "OK" in r.output, r.output


def test_run_needs_a_commitment_and_unchanged_inputs(cli, sample, tmp_path):
    r = run(cli, sample, tmp_path / "o")
    assert r.exit_code == 2 and "prepare" in r.output
    assert prepare(cli, sample).exit_code == 0
    with open(sample["entities"], "a", encoding="utf-8") as f:   # a late edit after the commitment
        f.write("91440300192203821" + "6,新增主体,有限责任公司,东城,餐饮,A,存续\n")
    r = run(cli, sample, tmp_path / "o")
    assert r.exit_code == 2 and "entities sha256" in r.output and "拒绝抽取" in r.output
    assert not (tmp_path / "o" / "draw.json").exists()


def test_same_seed_is_idempotent_other_seed_needs_supersede(cli, sample, tmp_path):
    prepare(cli, sample)
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    r = run(cli, sample, tmp_path / "b")
    assert r.exit_code == 0 and "idempotent" in r.output
    assert (tmp_path / "a" / "draw.json").read_bytes() == (tmp_path / "b" / "draw.json").read_bytes()
    assert rows(cli.db)[0] == 1
    r = run(cli, sample, tmp_path / "c", "other-seed")
    assert r.exit_code == 2 and "--supersede" in r.output
    r = run(cli, sample, tmp_path / "c", "other-seed", "--supersede")
    assert r.exit_code == 2 and "--reason" in r.output
    r = run(cli, sample, tmp_path / "c", "other-seed", "--supersede", "--reason", "原种子录入错误，经局务会决定重抽")
    assert r.exit_code == 0, r.output
    d = doc(tmp_path / "c")
    assert d["supersedes"] == {"seed": SEED, "reason": "原种子录入错误，经局务会决定重抽"}
    assert rows(cli.db)[0] == 2                                  # both draws stay on record
    r = cli("verify", tmp_path / "a" / "draw.json", *input_args(sample), "--ledger")
    assert r.exit_code == 0 and "SUPERSEDED by draw #2" in r.output
    # after a supersede the old seed is "another seed" again
    assert run(cli, sample, tmp_path / "d").exit_code == 2


def test_shuffled_rows_give_byte_identical_results(cli, sample, tmp_path):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    lines = sample["entities"].read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines[1:]
    random.Random(5).shuffle(body)
    shuffled = dict(sample)
    shuffled["entities"] = tmp_path / "shuffled.csv"
    shuffled["entities"].write_text(lines[0] + "".join(body), encoding="utf-8")
    ins = sample["inspectors"].read_text(encoding="utf-8").splitlines(keepends=True)
    ins_body = ins[1:][::-1]
    shuffled["inspectors"] = tmp_path / "inspectors_rev.csv"
    shuffled["inspectors"].write_text(ins[0] + "".join(ins_body), encoding="utf-8")
    other_db = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert prepare(cli, shuffled, db_url=other_db).exit_code == 0
    assert run(cli, shuffled, tmp_path / "b", db_url=other_db).exit_code == 0
    a, b = doc(tmp_path / "a"), doc(tmp_path / "b")
    # only the file digests and names (and the commitment, made at another moment) may differ,
    # and so the record_sha256 over them
    assert a["inputs"]["entities"]["sha256"] != b["inputs"]["entities"]["sha256"]
    for d in (a, b):
        for k in ("entities", "inspectors"):
            d["inputs"][k].pop("sha256")
            d["inputs"][k].pop("file")
        d.pop("commitment")
        d.pop("record_sha256")
    assert a == b
    assert (tmp_path / "a" / "公示名单.csv").read_bytes() == (tmp_path / "b" / "公示名单.csv").read_bytes()


def test_verify_reports_the_first_difference(cli, sample, tmp_path):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    path = tmp_path / "a" / "draw.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    d["selections"][0]["entity_id"], d["selections"][1]["entity_id"] = \
        d["selections"][1]["entity_id"], d["selections"][0]["entity_id"]
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    r = cli("verify", path, *input_args(sample))
    assert r.exit_code == 1 and ".selections[0].entity_id" in r.output
    r = cli("verify", tmp_path / "a" / "draw.json", "--entities", sample["inspectors"],
            "--inspectors", sample["inspectors"], "--conflicts", sample["conflicts"])
    assert r.exit_code == 1 and ".inputs.entities.sha256" in r.output


def test_explain_shows_checkable_steps(cli, sample, tmp_path):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    d = doc(tmp_path / "a")
    sel = d["selections"][0]
    r = cli("verify", tmp_path / "a" / "draw.json", *input_args(sample), "--explain", sel["entity_id"])
    assert r.exit_code == 0
    import hashlib
    S = f"{SEED}|E|{sel['item_id']}|{sel['credit_class']}"
    assert hashlib.sha256(S.encode()).hexdigest() in r.output
    assert f"published ticket {sel['ticket']}" in r.output


def test_crash_midway_leaves_no_half_draw(cli, sample, tmp_path, monkeypatch):
    prepare(cli, sample)
    real = workflow._target_rows

    def broken(doc, lp):
        out = real(doc, lp)
        out[-1] = out[-1][:4] + (None,) + out[-1][5:]     # NOT NULL entity_id violated on the last target row
        return out
    monkeypatch.setattr(workflow, "_target_rows", broken)
    with pytest.raises(sa.exc.IntegrityError):
        run(cli, sample, tmp_path / "a")
    assert rows(cli.db) == (0, 0)
    assert not (tmp_path / "a" / "draw.json").exists()
    monkeypatch.setattr(workflow, "_target_rows", real)
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    assert rows(cli.db)[0] == 1


def _second_plan(sample, tmp_path, window, plan_id="2025-SJ-02", date="2025-09-01", rate="1.0"):
    text = sample["plan"].read_text(encoding="utf-8")
    text = text.replace("plan_id: 2025-SJ-01", f"plan_id: {plan_id}").replace("draw_date: 2025-03-10",
                                                                               f"draw_date: {date}")
    text = text.replace("rates: {A: 0.03, B: 0.05, C: 0.10, D: 1.0}", "rates: {A: %s, B: %s, C: %s, D: %s}"
                        % ((rate,) * 4), 1)
    text = text.replace("window_days: 365}\n  - item_id: ADV-01", f"window_days: {window}}}\n  - item_id: ADV-01")
    p = tmp_path / f"{plan_id}-{window}.yaml"
    p.write_text(text, encoding="utf-8")
    return dict(sample, plan=p)


def test_frequency_cap_and_rotation_across_plans(cli, sample, tmp_path):
    first = _second_plan(sample, tmp_path, 365, "2025-SJ-01", "2025-03-10")
    prepare(cli, first)
    assert run(cli, first, tmp_path / "a").exit_code == 0
    drawn = [s for s in doc(tmp_path / "a")["selections"] if s["item_id"] == "FOOD-01"]
    teams = {a["entity_id"]: a["inspectors"] for a in doc(tmp_path / "a")["assignments"] if a["item_id"] == "FOOD-01"}
    # within the 365-day window every FOOD-01 entity drawn in March is capped in September
    capped = _second_plan(sample, tmp_path, 365)
    prepare(cli, capped)
    assert run(cli, capped, tmp_path / "b").exit_code == 0
    b = doc(tmp_path / "b")
    food = [s for s in b["strata"] if s["item_id"] == "FOOD-01"]
    assert sum(s["excluded"]["frequency_cap"] for s in food) == len(drawn)
    assert sum(s["eligible"] for s in food) == 0
    assert {r["entity_id"] for r in b["history"]["cap_counts"] if r["item_id"] == "FOOD-01"} \
        == {s["entity_id"] for s in drawn}
    r = cli("verify", tmp_path / "b" / "draw.json", *input_args(sample))   # history travels in draw.json
    assert r.exit_code == 0, r.output
    # with a 100-day window (175 days later) they are drawn again, by other inspectors (rotation)
    again = _second_plan(sample, tmp_path, 100, "2025-SJ-03")
    prepare(cli, again)
    assert run(cli, again, tmp_path / "c").exit_code == 0
    c = doc(tmp_path / "c")
    for a in c["assignments"]:
        if a["item_id"] == "FOOD-01" and a["entity_id"] in teams:
            assert not set(a["inspectors"]) & set(teams[a["entity_id"]])
    assert c["history"]["previous_inspectors"]


def test_publication_masks_identity_numbers(cli, sample, tmp_path):
    ents = sample["entities"].read_text(encoding="utf-8").splitlines()
    first = ents[1].split(",")
    first[1] = "东城区张三（经营者身份证 110101199003071234，电话 13812345678）餐馆"
    ents[1] = ",".join(first)
    sample["entities"].write_text("\n".join(ents) + "\n", encoding="utf-8")
    text = sample["plan"].read_text(encoding="utf-8").replace("D: 0.5}", "D: 1.0}").replace(
        "rates: {A: 0.03, B: 0.05, C: 0.10, D: 1.0}\n    inspectors_per_target: 2\n    inspector_filter",
        "rates: {A: 1.0, B: 1.0, C: 1.0, D: 1.0}\n    inspectors_per_target: 2\n    inspector_filter")
    sample["plan"].write_text(text, encoding="utf-8")
    prepare(cli, sample)
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    pub = (tmp_path / "a" / "公示名单.csv").read_text(encoding="utf-8-sig")
    assert "1101**********1234" in pub and "138****5678" in pub
    assert "110101199003071234" not in pub and "13812345678" not in pub
    assert first[0] in pub                                  # the credit code itself stays whole


def test_db_from_environment(runner, sample, tmp_path, monkeypatch):
    from engine.draw.commands import draw
    db = tmp_path / "env.sqlite"
    monkeypatch.setenv("ZHUNSHENG_DB", f"sqlite:///{db}")
    r = runner.invoke(draw, ["prepare", str(sample["plan"]), *map(str, input_args(sample))])
    assert r.exit_code == 0 and db.exists() and str(db) in r.output


def test_unreachable_ledger_is_a_clear_error(cli, sample):
    r = cli("prepare", sample["plan"], *input_args(sample), "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert r.exit_code == 2 and "无法打开抽查账本" in r.output


def test_postgresql_ledger(cli, sample, tmp_path, pg_url):
    assert prepare(cli, sample, db_url=pg_url).exit_code == 0
    r = run(cli, sample, tmp_path / "a", db_url=pg_url)
    assert r.exit_code == 0, r.output
    assert run(cli, sample, tmp_path / "b", db_url=pg_url).exit_code == 0
    assert (tmp_path / "a" / "draw.json").read_bytes() == (tmp_path / "b" / "draw.json").read_bytes()
    assert run(cli, sample, tmp_path / "c", "x", db_url=pg_url).exit_code == 2
    assert run(cli, sample, tmp_path / "c", "x", "--supersede", "--reason", "测试", db_url=pg_url).exit_code == 0
    assert rows(pg_url) == (2, 2 * len(doc(tmp_path / "a")["selections"]))
    r = cli("verify", tmp_path / "c" / "draw.json", *input_args(sample), "--ledger", db_url=pg_url)
    assert r.exit_code == 0 and "ledger: draw #2" in r.output


def test_failed_publication_records_nothing(cli, sample, tmp_path, monkeypatch):
    prepare(cli, sample)

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(workflow, "write_csv", boom)
    r = run(cli, sample, tmp_path / "a")
    assert r.exit_code == 2 and "publication files" in r.output
    assert rows(cli.db) == (0, 0)
    assert not (tmp_path / "a" / "draw.json").exists() and not list((tmp_path / "a").glob(".*pending"))


def test_filter_fields_are_trimmed(sample, tmp_path):
    text = sample["entities"].read_text(encoding="utf-8").replace(",餐饮,", ",餐饮  ,")
    sample["entities"].write_text(text, encoding="utf-8")
    lp, regs, filters = workflow._load_all(workflow.Inputs(sample["plan"], sample["entities"], sample["inspectors"],
                                                           sample["conflicts"]))
    assert "餐饮  " not in set(regs.entities["industry"])
    # every 餐饮 row but the rejected short-code one (row 83) passes the filter
    assert filters[0][0].evaluate(regs.entities).sum() == text.count(",餐饮  ,") - 1


def test_bad_plan_is_reported_with_file_and_line(cli, sample):
    text = sample["plan"].read_text(encoding="utf-8").replace("inspectors_per_target: 2", "inspectors_per_target: 1", 1)
    sample["plan"].write_text(text, encoding="utf-8")
    r = prepare(cli, sample)
    assert r.exit_code == 2
    assert "plan.yaml:14: items[0].inspectors_per_target" in r.output and "第四十二条" in r.output
    assert "Traceback" not in r.output
