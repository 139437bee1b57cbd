"""SIGKILL and restart: the cards of an interrupted run equal those of an uninterrupted one."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .helpers import ROOT, synthetic_events

ZS = [sys.executable, "-c", "import cli; cli.main()"]


def watch(out, events, *extra, env=None, wait=True):
    args = [*ZS, "watch", "--events", str(events), "--replay", "--out", str(out), *extra]
    e = {**os.environ, **(env or {})}
    p = subprocess.Popen(args, cwd=ROOT, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if wait:
        o, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        return o.decode()
    return p


def kill_after_cards(p, cards_file, at_least=3, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cards_file.exists() and cards_file.read_bytes().count(b"\n") >= at_least:
            break
        if p.poll() is not None:
            pytest.fail("the monitor ended before it could be killed")
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    d = tmp_path_factory.mktemp("log")
    p = d / "events.jsonl"
    p.write_text("\n".join(synthetic_events(4000, seed=3)) + "\n", encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def uninterrupted(log, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    stdout = watch(out, log)
    cards = (out / "cards.jsonl").read_bytes()
    assert cards.count(b"\n") > 100
    assert stdout.encode() == cards                 # stdout carries the same lines
    return cards


def _killed_and_restarted(log, out, db=()):
    # slow mode commits after every event, so the kill lands between commits, or between a commit and the
    # file append: both are recovered
    p = watch(out, log, *db, env={"ZHUNSHENG_WATCH_SLOW": "0.002"}, wait=False)
    kill_after_cards(p, out / "cards.jsonl", at_least=20)
    before = (out / "cards.jsonl").read_bytes().count(b"\n")
    stdout = watch(out, log, *db)                   # restart on the same file: committed lines are skipped
    return before, stdout


def test_sigkill_restart_sqlite(log, uninterrupted, tmp_path):
    before, stdout = _killed_and_restarted(log, tmp_path)
    assert 20 <= before < uninterrupted.count(b"\n")
    assert (tmp_path / "cards.jsonl").read_bytes() == uninterrupted


def test_sigkill_mid_batch_restart_sqlite(log, uninterrupted, tmp_path):
    """Killed at full speed (batches of up to 2,000 events in flight): nothing lost, nothing doubled."""
    p = watch(tmp_path, log, wait=False)
    kill_after_cards(p, tmp_path / "cards.jsonl", at_least=1)
    watch(tmp_path, log)
    assert (tmp_path / "cards.jsonl").read_bytes() == uninterrupted


def test_sigkill_restart_postgresql(log, uninterrupted, tmp_path, pg_url):
    before, _ = _killed_and_restarted(log, tmp_path, db=("--db", pg_url))
    assert (tmp_path / "cards.jsonl").read_bytes() == uninterrupted
    assert not (tmp_path / "watch.sqlite").exists()


def test_rerun_is_a_no_op(log, uninterrupted, tmp_path):
    watch(tmp_path, log)
    again = watch(tmp_path, log)
    assert again == "" and (tmp_path / "cards.jsonl").read_bytes() == uninterrupted


def test_redis_stream_resumes_after_the_committed_entry(ruleset, calendar, tmp_path, redis_stream, log,
                                                         uninterrupted):
    r, name = redis_stream
    lines = log.read_text(encoding="utf-8").splitlines()
    half = len(lines) // 2
    for line in lines[:half]:
        r.xadd(name, {"json": line})
    args = ("--redis-stream", name)
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    watch(tmp_path, empty, *args)                  # first half, then the process ends
    for line in lines[half:]:
        r.xadd(name, {"json": line})
    watch(tmp_path, empty, *args)                  # the rest of the stream only
    assert (tmp_path / "cards.jsonl").read_bytes() == uninterrupted


def test_unreachable_database_is_a_clear_error(log, tmp_path):
    p = subprocess.run([*ZS, "watch", "--events", str(log), "--replay", "--out", str(tmp_path), "--db",
                        "postgresql+psycopg://nobody@127.0.0.1:1/x"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 2 and "cannot open the watch state database" in p.stderr


def test_cli_sample_runs(tmp_path):
    out = watch(tmp_path, ROOT / "cases" / "events.jsonl")
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines and {x["card"] for x in lines} == {"yellow", "red"}
