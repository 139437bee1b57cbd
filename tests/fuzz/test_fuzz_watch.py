"""Fuzzing `zhunsheng watch` on event lines: every line is used or refused with a reason, the counts add
up (lines read = used + refused + blank), never a traceback, never a hang.

The monitor is real (SQLite state, the shared durable-rules ruleset); only the lines are generated: random
JSON, events with wrong types, extra keys, deep nesting, huge strings, bad times, bytes that are not UTF-8.
Every bad input named in the hardening issue is an @example."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import hypothesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .common import within
from engine.watch.events import EXTRA, KINDS
from engine.watch.monitor import Monitor
from engine.watch.run import run
from engine.watch.state import Store

ROOT = Path(__file__).resolve().parents[2]
T = "2024-10-08T09:00:00+08:00"
HUGE = "长" * 1_000_000
KNOWN = sorted({k for d in EXTRA.values() for k in d})


def line(**kw) -> str:
    return json.dumps(kw)


# every bad input of the issue, and the engine's known failure modes
SEEDS = [
    line(event="approval.decided", case_id="A1", time=T, item_code="XK-001"),       # extra key on a closing event
    line(event="complaint.accepted", case_id="C1", time=T, kind="投诉"),
    line(event="approval.received", case_id="A2", time=T, **{f"k{i}": i for i in range(40)}),   # > 10 keys
    "[" * 100_000,                                                                  # the poison line
    '{"a":' * 50_000,
    line(event="approval.received", case_id="A3", time=T, department=json.loads("[" * 900 + "]" * 900)),
    "not json", "", "   ", "[1]", "null", '"event"',
    line(event="approval.approved", case_id="A4", time=T),                          # unknown kind
    line(event=["approval.received"] * 3, case_id="A4", time=T),
    line(event="approval.received", case_id="A5", time="2024-10-08T09:00:00"),    # no offset
    line(event="approval.received", case_id="A5", time="yesterday"),
    line(event="approval.received", case_id="A5", time=20241008),
    line(event="approval.received", case_id="A5", time="9999-12-31T23:00:00-10:00"),
    line(event="approval.received", case_id="A5", time="0001-01-01T00:00:00+14:00"),
    line(event="approval.received", time=T),                                      # no case id
    line(event="approval.received", case_id="", time=T),
    line(event="approval.received", case_id=7, time=T),
    line(event="approval.received", case_id="x" * 201, time=T),
    line(event="approval.received", case_id="a\x00b", time=T),
    line(event="approval.received", case_id="\ud800", time=T),
    line(event="approval.received", case_id="A6", time=T, department="\ud800"),   # lone surrogate
    line(event="approval.received", case_id="A6", time=T, department=HUGE),        # huge string
    line(event="approval.received", case_id="A6", time=HUGE),
    line(event="approval.received", case_id=HUGE, time=T),
    line(event="approval.received", case_id="A7", time=T, department=["a"]),      # wrong type, own key
    line(event="approval.extended", case_id="A7", time=T, excluded_days=-1),
    line(event="approval.extended", case_id="A7", time=T, excluded_days=float("inf")),
    line(event="approval.extended", case_id="A7", time=T, excluded_days=float("nan")),
    line(event="approval.extended", case_id="A7", time=T, excluded_days=1e16),
    line(event="approval.extended", case_id="A7", time=T, excluded_days=1e-7),
    line(event="approval.extended", case_id="A7", time=T, excluded_days=10 ** 400),
    line(event="penalty.decided", case_id="P1", time=T, fine=1e300, procedure="other"),
    line(event="complaint.received", case_id="C2", time=T),                       # kind missing
    line(event="disclosure.replied", case_id="A1", time=T),                       # another record kind
    line(event="clock.tick", time=T, case_id=["x"], department=5),
]
BYTE_SEEDS = [b"\xff\xfe\x00 not utf-8", b'{"event":"clock.tick","time":"' + b"\xff" * 10 + b'"}']

scalars = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(st.characters(blacklist_categories=()), max_size=20))
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c,
                                                                                       max_size=3), max_leaves=8)
offsets = st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
times = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=offsets)
    .map(lambda t: t.isoformat()),
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 12, 31),
                 timezones=st.just(dt.timezone(dt.timedelta(hours=8)))).map(lambda t: t.isoformat()),
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(lambda t: t.isoformat()),
    st.sampled_from([T, "2024-13-01T00:00:00+08:00", "2024-10-08T09:00:00+99:00", "", "T"]),
    json_values)
events = st.fixed_dictionaries(
    {"event": st.sampled_from(sorted(KINDS)) | json_values,
     "case_id": st.sampled_from(["A1", "A2", "C1", "D1", "P1", " A1 "]) | json_values,
     "time": times},
    optional={k: json_values | st.sampled_from(["投诉", "举报", "ordinary", "XK-001", "QZ-1;QZ-2", 3, 2.5, True])
              for k in KNOWN + ["colour", "source"]})
local_times = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2026, 12, 31),
                           timezones=st.just(dt.timezone(dt.timedelta(hours=8)))).map(lambda t: t.isoformat())
usable = st.fixed_dictionaries(                   # mostly usable events, their other keys random
    {"event": st.sampled_from(sorted(KINDS)), "case_id": st.sampled_from(["A1", "A2", "C1", "D1", "P1"]),
     "time": local_times},
    optional={k: json_values | st.sampled_from(["投诉", "举报", "ordinary", "XK-001", "QZ-1;QZ-2", 3, 2.5, True])
              for k in KNOWN + ["colour"]})
deep = st.integers(1, 3000).map(lambda n: '{"event":"approval.received","case_id":"A1","time":"%s","officers":%s}'
                                % (T, "[" * n + "]" * n))
lines = st.one_of(events.map(lambda o: json.dumps(o, allow_nan=True)),
                  usable.map(lambda o: json.dumps(o, allow_nan=True)),
                  usable.map(lambda o: json.dumps(o, allow_nan=True, ensure_ascii=False)),
                  json_values.map(json.dumps), deep, st.sampled_from(SEEDS),
                  st.binary(max_size=40).filter(lambda b: b"\n" not in b))


def as_bytes(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogatepass")


def watch_lines(ruleset, calendar, batch: list) -> tuple[dict, list[dict]]:
    """Replay ``batch`` (one event line each) through a real monitor in a fresh folder: its summary and
    rejected_events.jsonl."""
    d = Path(tempfile.mkdtemp(prefix="fuzz-watch-"))
    try:
        path = d / "events.jsonl"
        path.write_bytes(b"".join(as_bytes(x) + b"\n" for x in batch))
        store = Store(f"sqlite:///{d / 'watch.sqlite'}")
        try:
            m = Monitor(ruleset, calendar, store, d, replay=True, echo=lambda s: None)
            run(m, str(path))
        finally:
            store.close()
        rejected = [json.loads(x) for x in (d / "rejected_events.jsonl").read_text(encoding="utf-8").split("\n")
                    if x]
        return m.summary(), rejected
    finally:
        shutil.rmtree(d, ignore_errors=True)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(lines, min_size=1, max_size=6))
@example(SEEDS)
@example(BYTE_SEEDS + SEEDS[:3])
def test_every_line_used_or_refused_with_a_reason(ruleset, calendar, batch):
    with within(60):
        s, rejected = watch_lines(ruleset, calendar, batch)
    assert s["events"] == len(batch)
    assert s["events"] == s["used"] + s["refused"] + s["blank"]
    assert s["blank"] == sum(1 for x in batch if not as_bytes(x).strip())
    assert len(rejected) == s["refused"]
    assert all(r["reason"] and isinstance(r["line"], int) for r in rejected)
    hypothesis.event(f"used {min(s['used'], 3)}+")


def test_seeds_through_the_cli_and_a_restart_never_a_traceback(tmp_path):
    """The same bad lines in one file, through the command and again (the restart a poison line broke)."""
    ev = tmp_path / "events.jsonl"
    ev.write_bytes(b"".join(as_bytes(x) + b"\n" for x in SEEDS + BYTE_SEEDS))
    for _ in range(2):
        p = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "watch", "--events", str(ev), "--replay",
                            "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-3000:]
        assert "Traceback" not in p.stderr and "内部错误" not in p.stderr
    refused = (tmp_path / "out" / "rejected_events.jsonl").read_text(encoding="utf-8").count("\n")
    blank = sum(1 for x in SEEDS if not x.strip())
    assert 0 < refused < len(SEEDS) + len(BYTE_SEEDS) - blank        # some used, some refused
