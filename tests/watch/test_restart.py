"""SIGKILL and restart: the cards of an interrupted run equal those of an uninterrupted one."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from engine.watch.show import card_line

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
    assert "".join(card_line(x) + "\n" for x in stdout.splitlines()).encode() == cards   # the same cards
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


# -- stdout after SIGKILL with a slow reader -----------------------------------------------------------
class SlowReader(threading.Thread):
    """Reads the monitor's stdout slowly (256 bytes, then a pause: about 40 cards a second) until told to
    drain; then reads to the end."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.fd = pipe.fileno()
        self.data = bytearray()
        self.fast = threading.Event()

    def run(self):
        while True:
            chunk = os.read(self.fd, 256)
            if not chunk:
                return
            self.data += chunk
            if not self.fast.is_set():
                time.sleep(0.02)


def wait_for_file(p, cards_file, lines, timeout=90):
    """Until cards.jsonl holds ``lines`` lines (the monitor is then printing them, as fast as the reader
    lets it)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if p.poll() is not None:
            pytest.fail("the monitor ended before it could be killed")
        if cards_file.exists() and cards_file.read_bytes().count(b"\n") >= lines:
            return lines
        time.sleep(0.01)
    pytest.fail("the monitor never wrote every card")


@pytest.fixture(scope="module")
def log_with_late_tick(tmp_path_factory):
    """300 disclosure requests, a third answered, then a tick months on: one commit raises some 400 cards
    at once, far more than a 4 KB pipe holds."""
    lines = []
    for i in range(300):
        lines.append({"event": "disclosure.received", "case_id": f"D{i:03d}",
                      "time": f"2024-10-{8 + i % 20:02d}T09:00:00+08:00"})
    for i in range(0, 300, 3):
        lines.append({"event": "disclosure.replied", "case_id": f"D{i:03d}", "time": "2024-10-30T09:00:00+08:00"})
    lines.append({"event": "clock.tick", "time": "2025-03-01T00:00:00+08:00"})
    p = tmp_path_factory.mktemp("late") / "events.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return p


def test_sigkill_with_a_slow_reader_restart_prints_every_unshown_card(log_with_late_tick, tmp_path):
    """cards.jsonl is appended before stdout; with a slow reader holding the pipe, cards in the file but not
    yet printed were never printed after kill -9 and a restart. Duplicates allowed: the one line written
    in the instant between the write and its count (stdout.pos)."""
    full = watch(tmp_path / "full", log_with_late_tick)
    want = (tmp_path / "full" / "cards.jsonl").read_bytes()
    out = tmp_path / "killed"
    args = [*ZS, "watch", "--events", str(log_with_late_tick), "--replay", "--out", str(out)]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pipesize=4096)
    reader = SlowReader(p.stdout)
    reader.start()
    in_file = wait_for_file(p, out / "cards.jsonl", want.count(b"\n"))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    reader.fast.set()
    reader.join(30)
    first = reader.data.decode().splitlines()
    assert 0 < len(first) < in_file                   # the scenario: committed cards not yet printed
    second = watch(out, log_with_late_tick).splitlines()
    assert (out / "cards.jsonl").read_bytes() == want
    printed = [card_line(x) for x in first + second]
    assert set(printed) == set(want.decode().splitlines())
    assert len(printed) - len(set(printed)) <= 1
    assert len(full.splitlines()) == want.count(b"\n")


def test_sigkill_mid_run_with_a_slow_reader_loses_no_card_on_stdout(log, uninterrupted, tmp_path):
    """The same, killed in the middle of the log (some events not yet committed): the restart reads them
    again, cards.jsonl equals an uninterrupted run's, and stdout of both runs together shows every card."""
    args = [*ZS, "watch", "--events", str(log), "--replay", "--out", str(tmp_path)]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pipesize=4096)
    reader = SlowReader(p.stdout)
    reader.start()
    wait_for_file(p, tmp_path / "cards.jsonl", 60)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    reader.fast.set()
    reader.join(30)
    first = reader.data.decode().splitlines()
    second = watch(tmp_path, log).splitlines()
    assert (tmp_path / "cards.jsonl").read_bytes() == uninterrupted
    printed = [card_line(x) for x in first + second]
    assert set(printed) == set(uninterrupted.decode().splitlines())
    assert len(printed) - len(set(printed)) <= 1
