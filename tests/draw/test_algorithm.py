"""The draw as a pure function: spec order, invariants under random inputs, consistency, equal inclusion."""
from __future__ import annotations

import random
import tempfile
from collections import Counter
from decimal import Decimal
from math import ceil
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.draw import algorithm, tickets as tk
from engine.draw.algorithm import History
from engine.draw.plan import parse_plan
from engine.draw.registers import load_registers

from .helpers import make_code, ref_order, ref_ticket, write_csv

STATUSES = ["存续", "在业", "active", "注销", "吊销", "迁出", "停业", ""]
ACTIVE = {"存续", "在业", "active"}


def plan_text(items):
    out = ["plan_id: P-1", "department: 测试局", "year: 2025", "items:"]
    for it in items:
        out += [f"  - item_id: {it['id']}", f"    name: 事项{it['id']}",
                "    basis: {law: 中华人民共和国食品安全法, article: 87}",
                f"    kind: {it['kind']}", f"    filter: \"{it['filter']}\"",
                "    rates: {" + ", ".join(f"{c}: {r}" for c, r in zip("ABCD", it["rates"])) + "}",
                f"    inspectors_per_target: {it['m']}"]
        if it["kind"] == "general":
            out.append(f"    frequency_cap: {{max: {it['cap']}, window_days: 365}}")
    return "\n".join(out) + "\n"


def build(d: Path, entities, inspectors, conflicts, items):
    e = write_csv(d / "e.csv", ["entity_id", "name", "industry", "credit_class", "status"], entities)
    i = write_csv(d / "i.csv", ["inspector_id", "name", "department", "qualifications", "active", "max_load"],
                  inspectors)
    c = write_csv(d / "c.csv", ["inspector_id", "entity_id", "reason"], conflicts)
    regs = load_registers(e, i, c)
    lp = parse_plan(plan_text(items), d / "plan.yaml")
    return lp, regs, lp.compile_filters(regs.entity_schema, regs.inspector_schema)


@st.composite
def scenarios(draw):
    rng = random.Random(draw(st.integers(0, 10 ** 9)))
    n_ent = draw(st.integers(0, 50))
    entities = [[make_code(rng), f"主体{k}", rng.choice(["餐饮", "零售"]), rng.choice("ABCD"),
                 rng.choice(STATUSES)] for k in range(n_ent)]
    n_ins = draw(st.integers(0, 10))
    inspectors = [[f"ZF{k:03d}", f"人员{k}", rng.choice(["一科", "二科"]),
                   ";".join(rng.sample(["X", "Y"], rng.randint(0, 2))), rng.choice(["是", "否", "是"]),
                   rng.randint(0, 6)] for k in range(n_ins)]
    conflicts = []
    if entities and inspectors:
        for _ in range(rng.randint(0, 15)):
            conflicts.append([rng.choice(inspectors)[0], rng.choice(entities)[0], "利害关系"])
        conflicts = [list(x) for x in {tuple(c) for c in conflicts}]
    rates = st.sampled_from(["0", "0.1", "0.33", "0.5", "1.0"])
    items = [{"id": "X", "kind": "general", "filter": "industry == '餐饮'", "rates": [draw(rates) for _ in "ABCD"],
              "m": draw(st.integers(2, 3)), "cap": draw(st.integers(1, 2))},
             {"id": "Y", "kind": "key", "filter": "true", "rates": [draw(rates) for _ in "ABCD"],
              "m": draw(st.integers(2, 3))}]
    if draw(st.booleans()):
        items.append(dict(items[0]))   # a second round of X: earlier items of the plan count toward its cap
    history = History()
    ins_ids = [r[0] for r in inspectors]
    for e in entities:
        if rng.random() < 0.3:
            history.cap_counts[("X", e[0])] = rng.randint(1, 2)
        if rng.random() < 0.3 and ins_ids:
            history.previous[(rng.choice("XY"), e[0])] = tuple(rng.sample(ins_ids, min(2, len(ins_ids))))
    return entities, inspectors, conflicts, items, history, draw(st.text(max_size=8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants(scenario):
    entities, inspectors, conflicts, items, history, seed = scenario
    with tempfile.TemporaryDirectory() as d:
        lp, regs, filters = build(Path(d), entities, inspectors, conflicts, items)
    res = algorithm.run(lp.plan, filters, regs, history, seed)
    ins = {r[0]: r for r in inspectors}
    conflict_pairs = {(c[0], c[1]) for c in conflicts}
    plan_counts: Counter = Counter()
    plan_prev: dict = {}
    load: Counter = Counter()
    strata = iter(res.strata)
    sel_by = {}
    for s in res.selections:
        sel_by.setdefault((s["item_id"], s["credit_class"]), []).append(s)
    seen_sel: Counter = Counter()
    expected_assign, expected_unfilled = [], []
    for it in items:
        chosen_this_item = []          # (entity_id, its selection S)
        for c in "ABCD":
            st_ = next(strata)
            assert (st_["item_id"], st_["credit_class"]) == (it["id"], c)
            in_c = [e for e in entities if e[3] == c]

            def capped(eid):
                if it["kind"] != "general":
                    return False
                return history.cap_counts.get((it["id"], eid), 0) + plan_counts[(it["id"], eid)] >= it["cap"]
            eligible = [e[0] for e in in_c if e[4] in ACTIVE and (it["filter"] == "true" or e[2] == "餐饮")
                        and not capped(e[0])]
            n = ceil(Decimal(it["rates"]["ABCD".index(c)]) * len(eligible))
            assert st_["population"] == len(in_c)
            assert st_["eligible"] == len(eligible) and st_["n"] == n
            assert st_["eligible"] + sum(st_["excluded"].values()) == st_["population"]
            S = f"{seed}|E|{it['id']}|{c}"
            want = ref_order(S, eligible)[:n]
            key = (it["id"], c)
            got = sel_by.get(key, [])[seen_sel[key]:seen_sel[key] + n]
            seen_sel[key] += n
            assert [s["entity_id"] for s in got] == want
            assert [s["rank"] for s in got] == list(range(1, n + 1))
            chosen_this_item += [(e, S) for e in want]
        # the spec's assignment procedure, replayed independently
        chosen_this_item.sort(key=lambda p: (Decimal(ref_ticket(p[1], p[0])), p[0]))
        for eid, _ in chosen_this_item:
            k = (it["id"], eid)
            prev = plan_prev.get(k, history.previous.get(k, ()))
            ok = [i for i, r in ins.items() if r[4] == "是" and it["id"] in r[3].split(";")
                  and (i, eid) not in conflict_pairs and i not in prev and load[i] < int(r[5])]
            if len(ok) < it["m"]:
                expected_unfilled.append((it["id"], eid))
                plan_prev[k] = ()
            else:
                team = ref_order(f"{seed}|I|{it['id']}|{eid}", ok)[:it["m"]]
                expected_assign.append((it["id"], eid, team))
                for i in team:
                    load[i] += 1
                plan_prev[k] = tuple(team)
            plan_counts[k] += 1
    assert [(a["item_id"], a["entity_id"], a["inspectors"]) for a in res.assignments] == expected_assign
    assert [(u["item_id"], u["entity_id"]) for u in res.unfilled] == expected_unfilled
    for a in res.assignments:
        assert a["tickets"] == [ref_ticket(f"{seed}|I|{a['item_id']}|{a['entity_id']}", i)[:20]
                                for i in a["inspectors"]]
        assert len(set(a["inspectors"])) == len(a["inspectors"]) >= 2
    for i, n in load.items():
        assert n <= int(ins[i][5])


def test_removing_an_unselected_entity_changes_nothing(tmp_path):
    rng = random.Random(7)
    entities = [[make_code(rng), f"主体{k}", "餐饮", "B", "存续"] for k in range(30)]
    inspectors = [[f"ZF{k:03d}", f"人员{k}", "一科", "X;Y", "是", 10] for k in range(8)]
    items = [{"id": "X", "kind": "general", "filter": "true", "rates": ["0.05"] * 4, "m": 2, "cap": 1}]
    lp, regs, f = build(tmp_path, entities, inspectors, [], items)
    before = algorithm.run(lp.plan, f, regs, History(), "seed-1")
    chosen = {s["entity_id"] for s in before.selections}
    assert len(chosen) == 2                         # ceil(0.05 × 30)
    victim = next(e for e in entities if e[0] not in chosen)
    d2 = tmp_path / "b"
    d2.mkdir()
    lp2, regs2, f2 = build(d2, [e for e in entities if e is not victim], inspectors, [], items)
    after = algorithm.run(lp2.plan, f2, regs2, History(), "seed-1")
    assert after.strata[1]["eligible"] == 29 and after.strata[1]["n"] == 2   # ceil(0.05 × 29) = 2 still
    assert after.selections == before.selections
    assert after.assignments == before.assignments


def test_rotation_and_conflicts_move_the_team(tmp_path):
    rng = random.Random(9)
    code = make_code(rng)
    inspectors = [[f"ZF{k:03d}", f"人员{k}", "一科", "X", "是", 5] for k in range(6)]
    items = [{"id": "X", "kind": "key", "filter": "true", "rates": ["1.0"] * 4, "m": 2}]
    lp, regs, f = build(tmp_path, [[code, "甲", "餐饮", "A", "存续"]], inspectors, [], items)
    S = f"s|I|X|{code}"
    order = ref_order(S, [r[0] for r in inspectors])
    first = algorithm.run(lp.plan, f, regs, History(), "s").assignments[0]["inspectors"]
    assert first == order[:2]
    rotated = algorithm.run(lp.plan, f, regs, History(previous={("X", code): tuple(first)}), "s")
    assert rotated.assignments[0]["inspectors"] == order[2:4]
    regs.conflicts = {(order[0], code)}
    assert algorithm.run(lp.plan, f, regs, History(), "s").assignments[0]["inspectors"] == order[1:3]
    regs.conflicts = {(i, code) for i in order[:5]}
    res = algorithm.run(lp.plan, f, regs, History(), "s")
    assert res.assignments == [] and "回避 5 名" in res.unfilled[0]["reason"]


def test_max_load_spreads_targets(tmp_path):
    rng = random.Random(11)
    entities = [[make_code(rng), f"主体{k}", "餐饮", "A", "存续"] for k in range(10)]
    inspectors = [[f"ZF{k:03d}", f"人员{k}", "一科", "X", "是", 2] for k in range(8)]
    items = [{"id": "X", "kind": "key", "filter": "true", "rates": ["1.0"] * 4, "m": 2}]
    lp, regs, f = build(tmp_path, entities, inspectors, [], items)
    res = algorithm.run(lp.plan, f, regs, History(), "load")
    # capacity 8 × 2 = 16 seats = 8 targets of 2; the last two in ticket order go unfilled
    assert len(res.assignments) == 8 and len(res.unfilled) == 2
    assert max(Counter(i for a in res.assignments for i in a["inspectors"]).values()) == 2
    order = ref_order("load|E|X|A", [e[0] for e in entities])
    assert [u["entity_id"] for u in res.unfilled] == order[-2:]
    assert "已达本次任务上限 8 名" in res.unfilled[0]["reason"]


# χ² critical value for 39 degrees of freedom at α = 0.001 (upper tail), from standard tables.
CHI2_39_999 = 72.055


def test_equal_inclusion_probability_chi_square():
    """Each of N ids should be drawn with probability n/N.

    Over R seeds the inclusion counts O_i have mean R·p and variance R·p(1−p);
    because exactly n are drawn per seed, Σ (O_i − Rp)² / (R p (1−p)) is
    approximately χ² with N − 1 degrees of freedom (the (1 − n/N) correction of
    the plain Pearson statistic for sampling without replacement).
    """
    N, n, R = 40, 8, 3000
    ids = [f"91440103TEST{k:05d}X" for k in range(N)]
    counts = Counter()
    for r in range(R):
        idx, _ = tk.lowest(f"chi2-seed-{r}|E|FOOD-01|A", ids, n)
        counts.update(ids[i] for i in idx.tolist())
    p = n / N
    O = np.array([counts[i] for i in ids], dtype=float)
    stat = float(((O - R * p) ** 2).sum() / (R * p * (1 - p)))
    assert O.sum() == R * n
    assert stat < CHI2_39_999, stat


def test_inspector_choice_is_uniform_chi_square():
    K, m, R = 12, 2, 3000      # no loads, conflicts or rotation: each inspector has probability m/K
    inspectors = [f"ZF{k:03d}" for k in range(K)]
    keys = tk.pair_keys([f"chi|I|FOOD-01|E{r}" for r in range(R)], inspectors)
    picks = np.argsort(keys, axis=1)[:, :m]
    O = np.bincount(picks.ravel(), minlength=K).astype(float)
    p = m / K
    stat = float(((O - R * p) ** 2).sum() / (R * p * (1 - p)))
    assert stat < 31.264   # χ²(11) at α = 0.001


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_vectorized_assignment_equals_the_sequential_walk(scenario):
    entities, inspectors, conflicts, items, history, seed = scenario
    for row in inspectors:
        row[5] = 40                      # roomy loads so that the vectorized path is taken
    with tempfile.TemporaryDirectory() as d:
        lp, regs, filters = build(Path(d), entities, inspectors, conflicts, items)
    fast = algorithm.run(lp.plan, filters, regs, history, seed)
    original = algorithm._assign_without_contention
    try:
        algorithm._assign_without_contention = lambda *a, **k: False
        slow = algorithm.run(lp.plan, filters, regs, history, seed)
    finally:
        algorithm._assign_without_contention = original
    assert (fast.assignments, fast.unfilled, fast.used_history) == (slow.assignments, slow.unfilled, slow.used_history)
