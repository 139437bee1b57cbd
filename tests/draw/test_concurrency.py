"""Exactly one draw per plan in force, even when runs race: real processes on SQLite and PostgreSQL.

Each racer is a real ``zhunsheng draw run`` process.  ``record_draw`` is wrapped to wait until every
racer has reached it, i.e. until all have passed the checks ``run`` makes before computing: exactly
the moment two runs started together are in.  The database must then let one of them through and
refuse the other as if it had come second.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.draw import ledger as ledger_mod

from .helpers import input_args
from .test_workflow import NOTE, SEED, doc, prepare, run

ROOT = Path(__file__).resolve().parents[2]

RACER = r"""
import os, sys, time
from pathlib import Path
from engine.draw import ledger
barrier, n = Path(sys.argv[1]), int(sys.argv[2])
if n > 1:
    real = ledger.Ledger.record_draw
    def record_draw(self, *a, **k):
        (barrier / str(os.getpid())).touch()
        end = time.monotonic() + 60
        while len(list(barrier.iterdir())) < n and time.monotonic() < end:
            time.sleep(0.01)
        return real(self, *a, **k)
    ledger.Ledger.record_draw = record_draw
from engine.draw.commands import draw
draw.main(sys.argv[3:], prog_name="zhunsheng draw")
"""


def race(s, tmp_path, db, seeds, *extra, barrier=True):
    """Start one ``draw run`` per seed at the same moment; [(seed, exit code, stdout, stderr, out dir)]."""
    gate = tmp_path / f"gate-{'-'.join(seeds)}"
    gate.mkdir()
    procs = []
    for seed in seeds:
        out = tmp_path / f"out-{seed}"
        args = ["run", s["plan"], *input_args(s), "--seed", seed, "--seed-note", NOTE, "--out", out,
                "--format", "csv", "--db", db, *extra]
        procs.append((seed, out, subprocess.Popen(
            [sys.executable, "-c", RACER, str(gate), str(len(seeds) if barrier else 1), *map(str, args)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    done = []
    for seed, out, p in procs:
        o, e = p.communicate(timeout=300)
        done.append((seed, p.returncode, o, e, out))
    for _, _, o, e, _ in done:
        assert "Traceback" not in o + e, o + e
    return done


def ledger_rows(db):
    eng = sa.create_engine(db)
    with eng.connect() as cx:
        draws = cx.execute(sa.select(ledger_mod.draws).order_by(ledger_mod.draws.c.id)).mappings().all()
        current = cx.execute(sa.select(ledger_mod.current)).mappings().all()
    eng.dispose()
    return draws, current


def check_one_wins(cli, s, tmp_path, db, barrier=True):
    assert prepare(cli, s, db_url=db).exit_code == 0
    results = race(s, tmp_path, db, ["11-22-33", "44-55-66"], barrier=barrier)
    assert sorted(r[1] for r in results) == [0, 2], results
    (w_seed, _, _, _, w_out), = [r for r in results if r[1] == 0]
    (l_seed, _, _, l_err, l_out), = [r for r in results if r[1] == 2]
    draws, current = ledger_rows(db)
    assert [d["seed"] for d in draws] == [w_seed]
    assert [(c["plan_id"], c["draw_id"]) for c in current] == [("2025-SJ-01", draws[0]["id"])]
    assert not (l_out / "draw.json").exists() and not list(l_out.glob(".*pending"))
    assert doc(w_out)["seed"] == w_seed
    # the loser was told exactly what a run after the winner is told
    assert "已抽取，不得重新抽取" in l_err and f"with seed {w_seed!r}" in l_err and "--supersede" in l_err, l_err
    later = run(cli, s, tmp_path / "later", l_seed, db_url=db)
    assert later.exit_code == 2
    assert later.output.strip() in l_err
    r = cli("verify", w_out / "draw.json", *input_args(s), "--ledger", db_url=db)
    assert r.exit_code == 0, r.output


def test_two_runs_racing_on_sqlite_one_is_refused(cli, sample, tmp_path):
    check_one_wins(cli, sample, tmp_path, cli.db)


def test_two_runs_racing_on_postgresql_one_is_refused(cli, sample, tmp_path, pg_url):
    check_one_wins(cli, sample, tmp_path, pg_url)


def test_two_runs_started_together_without_a_gate_sqlite(cli, sample, tmp_path):
    """The plain case of the report: no barrier, whoever comes first."""
    check_one_wins(cli, sample, tmp_path, cli.db, barrier=False)


def test_two_runs_started_together_without_a_gate_postgresql(cli, sample, tmp_path, pg_url):
    check_one_wins(cli, sample, tmp_path, pg_url, barrier=False)


def check_supersede_race(cli, s, tmp_path, db):
    assert prepare(cli, s, db_url=db).exit_code == 0
    assert run(cli, s, tmp_path / "first", db_url=db).exit_code == 0
    results = race(s, tmp_path, db, ["77-88", "99-00"], "--supersede", "--reason", "原种子录入错误")
    assert sorted(r[1] for r in results) == [0, 2], results
    (w_seed, _, _, _, w_out), = [r for r in results if r[1] == 0]
    (_, _, _, l_err, l_out), = [r for r in results if r[1] == 2]
    assert "另一次运行已登记" in l_err and "nothing was recorded" in l_err, l_err
    draws, current = ledger_rows(db)
    assert [d["seed"] for d in draws] == [SEED, w_seed]
    assert draws[1]["supersedes_id"] == draws[0]["id"]
    assert [c["draw_id"] for c in current] == [draws[1]["id"]]
    assert doc(w_out)["supersedes"] == {"seed": SEED, "reason": "原种子录入错误"}
    assert not (l_out / "draw.json").exists()


def test_two_supersedes_racing_on_sqlite(cli, sample, tmp_path):
    check_supersede_race(cli, sample, tmp_path, cli.db)


def test_two_supersedes_racing_on_postgresql(cli, sample, tmp_path, pg_url):
    check_supersede_race(cli, sample, tmp_path, pg_url)


def _as_old_ledger(db):
    """Make the ledger look like one written before draw_current existed."""
    eng = sa.create_engine(db)
    with eng.begin() as cx:
        cx.execute(sa.text("DROP TABLE draw_current"))
    eng.dispose()


def test_ledger_of_an_older_version_gets_its_draws_in_force(cli, sample, tmp_path):
    assert prepare(cli, sample).exit_code == 0
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    _as_old_ledger(cli.db)
    r = run(cli, sample, tmp_path / "b", "another-seed")
    assert r.exit_code == 2 and "已抽取，不得重新抽取" in r.output and f"with seed {SEED!r} (draw #1)" in r.output
    r = run(cli, sample, tmp_path / "c")                       # the same seed is still an idempotent re-run
    assert r.exit_code == 0 and "idempotent" in r.output
    r = run(cli, sample, tmp_path / "d", "another-seed", "--supersede", "--reason", "测试")
    assert r.exit_code == 0, r.output
    assert [(c["plan_id"], c["draw_id"]) for c in ledger_rows(cli.db)[1]] == [("2025-SJ-01", 2)]


def test_older_ledger_holding_two_draws_in_force_opens(cli, sample, tmp_path):
    """A race an older version lost: two draws of one plan, neither superseded.  The later one is the
    draw in force, as it was before; opening the ledger does not fail."""
    assert prepare(cli, sample).exit_code == 0
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    _as_old_ledger(cli.db)
    eng = sa.create_engine(cli.db)
    with eng.begin() as cx:
        row = dict(cx.execute(sa.select(ledger_mod.draws)).mappings().one())
        row.pop("id")
        cx.execute(ledger_mod.draws.insert().values(**dict(row, seed="raced", result_sha256="0" * 64)))
    eng.dispose()
    led = ledger_mod.Ledger(cli.db)
    try:
        assert led.current_draw("2025-SJ-01")["seed"] == "raced"
    finally:
        led.close()
    r = run(cli, sample, tmp_path / "b")
    assert r.exit_code == 2 and "已抽取，不得重新抽取" in r.output and "with seed 'raced' (draw #2)" in r.output


def test_the_ledger_refuses_a_second_draw_in_force_itself(cli, sample, tmp_path):
    """Not the workflow's check: the database's.  A draw recorded as if none were in force fails."""
    assert prepare(cli, sample).exit_code == 0
    assert run(cli, sample, tmp_path / "a").exit_code == 0
    led = ledger_mod.Ledger(cli.db)
    try:
        cur = led.current_draw("2025-SJ-01")
        row = {k: cur[k] for k in cur if k != "id"}
        with pytest.raises(ledger_mod.CurrentChanged):
            led.record_draw(dict(row, seed="x"), [], None)
        with pytest.raises(ledger_mod.CurrentChanged):
            led.record_draw(dict(row, seed="y", supersedes_id=cur["id"]), [], cur["id"] + 1)
        assert [d["seed"] for d in led.draws_of_plan("2025-SJ-01")] == [SEED]
    finally:
        led.close()
