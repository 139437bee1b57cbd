"""Plan items that name a flag written by ``zhunsheng targets`` (every ``key`` entity; every
``targeted`` entity for the item) beside ordinary sampled items: full coverage and random sampling in
one plan (优化营商环境条例 Art. 54 ¶2)."""
from __future__ import annotations

import json
import random

import pytest

from engine.draw.plan import load_plan
from engine.errors import RuleFileError

from .helpers import make_code, write_csv

HEAD = """\
plan_id: T-F
department: 测试局
year: 2026
items:
"""
KEY = """\
  - item_id: KEY-01
    name: 重点监管全覆盖
    basis: {law: 优化营商环境条例, article: 54, clause: 2}
    flag: key
    inspectors_per_target: 2
"""
TARGETED = """\
  - item_id: FOOD-01
    name: 有针对性检查
    basis: {law: 优化营商环境条例, article: 54, clause: 2}
    flag: targeted
    inspectors_per_target: 2
"""
SAMPLED = """\
  - item_id: PUB-01
    name: 公示信息抽查
    basis: {law: 企业信息公示暂行条例, article: 14}
    kind: general
    rates: {A: 0, B: 0, C: 0, D: 1.0}
    inspectors_per_target: 2
    frequency_cap: {max: 1, window_days: 365}
"""


def _plan(tmp_path, text):
    p = tmp_path / "plan.yaml"
    p.write_text(HEAD + text, encoding="utf-8")
    return p


def test_a_flag_item_takes_every_flagged_entity_at_rate_one(tmp_path):
    lp = load_plan(_plan(tmp_path, KEY + TARGETED))
    key, targeted = lp.plan.items
    assert key.kind == "key" and key.flag == "key"
    assert {str(r) for r in key.rates.values()} == {"1"}
    assert key.filter == "flag_key == '是'"
    assert targeted.filter == "flag_targeted == '是' and (has(targeted_items, '*') or has(targeted_items, 'FOOD-01'))"


@pytest.mark.parametrize("extra, words", [
    ("    rates: {A: 1, B: 1, C: 1, D: 1}\n", "flag 与 rates 不能同时给出"),
    ("    filter: \"true\"\n", "flag 与 filter 不能同时给出"),
    ("    kind: general\n    frequency_cap: {max: 1, window_days: 365}\n", "kind must be key"),
])
def test_a_flag_item_refuses_filter_rates_or_general(tmp_path, extra, words):
    with pytest.raises(RuleFileError) as e:
        load_plan(_plan(tmp_path, KEY + extra))
    assert words in str(e.value) and "plan.yaml:" in str(e.value)


def test_unknown_flag_is_refused(tmp_path):
    with pytest.raises(RuleFileError) as e:
        load_plan(_plan(tmp_path, KEY.replace("flag: key", "flag: vip")))
    assert "flag" in str(e.value)


def _inputs(tmp_path, flagged: bool):
    rng = random.Random(7)
    ids = [make_code(rng) for _ in range(6)]
    # entity 0: key; 1: targeted for FOOD-01; 2: targeted for every item (*); 3: targeted for ADV-01 only;
    # 4: class D, sampled by PUB-01; 5: nothing
    flags = [("是", "否", ""), ("否", "是", "FOOD-01"), ("否", "是", "*"), ("否", "是", "ADV-01"),
             ("否", "否", ""), ("否", "否", "")]
    head = ["entity_id", "name", "credit_class", "status"] + (["flag_key", "flag_targeted", "targeted_items"]
                                                                 if flagged else [])
    rows = [[i, f"对象{n}", "D" if n == 4 else "B", "存续"] + (list(flags[n]) if flagged else [])
            for n, i in enumerate(ids)]
    ent = write_csv(tmp_path / "entities.csv", head, rows)
    ins = write_csv(tmp_path / "inspectors.csv", ["inspector_id", "name", "department", "qualifications", "active",
                                                  "max_load"],
                    [[f"I{k}", f"人员{k}", "科", "FOOD-01", "是", 10] for k in range(6)])
    con = write_csv(tmp_path / "conflicts.csv", ["inspector_id", "entity_id", "reason"], [])
    return ids, ["--entities", ent, "--inspectors", ins, "--conflicts", con]


def test_a_plan_mixing_flags_and_sampling_draws_every_flagged_entity(tmp_path, cli):
    ids, args = _inputs(tmp_path, flagged=True)
    plan = _plan(tmp_path, KEY + TARGETED + SAMPLED)
    r = cli("prepare", plan, *args)
    assert r.exit_code == 0, r.output
    r = cli("run", plan, *args, "--seed", "1", "--seed-note", "t", "--out", tmp_path / "d")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "d" / "draw.json").read_text("utf-8"))
    picked = {(s["item_id"], s["entity_id"]) for s in doc["selections"]}
    assert picked == {("KEY-01", ids[0]), ("FOOD-01", ids[1]), ("FOOD-01", ids[2]), ("PUB-01", ids[4])}
    r = cli("verify", tmp_path / "d" / "draw.json", *args)
    assert r.exit_code == 0, r.output


def test_a_register_without_flag_columns_is_refused_naming_targets(tmp_path, cli):
    _, args = _inputs(tmp_path, flagged=False)
    plan = _plan(tmp_path, KEY)
    r = cli("prepare", plan, *args)
    assert r.exit_code == 2
    assert "flag_key" in r.output and "zhunsheng targets" in r.output
