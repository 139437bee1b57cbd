"""Feeding the monitor: an events file or stdin, then optionally a Redis stream; replay or live.

Replay reads as fast as it can and commits every ``commit_every`` events or
50 ms.  Live waits on the input with ``select`` so that thresholds fire on the
wall clock while no event arrives, and commits (then prints) as soon as the
input has nothing more ready — the latency from an event to its card is the
processing plus one commit.

Restart: the first ``offset`` lines of the events input (the committed
position) are skipped — give the monitor the same file, or the same stream
again; a Redis stream resumes after the last committed entry id by itself.
"""
from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

from engine.errors import InputError
from engine.watch.monitor import Monitor

SLOW_ENV = "ZHUNSHENG_WATCH_SLOW"      # seconds to sleep per event (tests of SIGKILL restarts only)


def _slow() -> float:
    try:
        return float(os.environ.get(SLOW_ENV, "0") or 0)
    except ValueError:
        return 0.0


def _feed(monitor: Monitor, line, lineno: int, skip: int, slow: float):
    """One input line: skipped if an earlier run already committed it (restart), else handled."""
    if lineno <= skip:
        return
    monitor.handle_line(line, lineno)
    if slow:
        monitor.commit()
        time.sleep(slow)


def _open_events(events: str):
    try:
        return open(Path(events), "rb")
    except OSError as e:
        raise InputError(f"无法读取事件文件 (cannot read the events file) {events}: {e.strerror or e}") from None


def _feed_stream(monitor: Monitor, f, skip: int):
    """Replay iterates the lines; live waits on the descriptor. A read error is bad input, not a crash."""
    try:
        if monitor.replay:
            feed_replay(monitor, f, skip)
        else:
            feed_live(monitor, f.fileno(), skip)
    except OSError as e:
        raise InputError(f"读取事件失败，第 {monitor.offset + 1} 行 (reading the events failed at line "
                         f"{monitor.offset + 1}): {e.strerror or e}") from None


def feed_replay(monitor: Monitor, stream, skip: int):
    slow = _slow()
    for lineno, line in enumerate(stream, 1):
        _feed(monitor, line, lineno, skip, slow)


def feed_live(monitor: Monitor, fd: int, skip: int, max_wait: float = 1.0):
    """Read lines from ``fd`` as they come; fire thresholds on the wall clock in between."""
    buf = b""
    lineno = 0
    slow = _slow()
    while True:
        nxt = monitor.next_threshold()
        wait = max_wait if nxt is None else max(0.0, min(max_wait, nxt - time.time()))
        if monitor.uncommitted:
            wait = 0.0
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            if monitor.uncommitted:
                monitor.commit()
            monitor.advance(time.time())
            if monitor.store.new_cards or monitor.store.dirty:
                monitor.commit()
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            lineno += 1
            _feed(monitor, line, lineno, skip, slow)
    if buf.strip():
        _feed(monitor, buf, lineno + 1, skip, 0.0)


def feed_redis(monitor: Monitor, url: str, stream: str, live: bool, max_wait: float = 1.0):
    """Entries of a Redis stream, each with a field ``json`` holding one event, after the committed id."""
    import redis
    try:
        r = redis.Redis.from_url(url)
        r.ping()
    except Exception as e:
        raise InputError(f"无法连接 Redis {url} (cannot reach Redis at {url}): {e.__class__.__name__}") from None
    try:
        _drain_redis(monitor, r, stream, live, max_wait)
    except redis.RedisError as e:
        raise InputError(f"Redis 读取失败 (reading the Redis stream {stream} failed): {e.__class__.__name__}: "
                         f"{str(e)[:120]}") from None


def _drain_redis(monitor: Monitor, r, stream: str, live: bool, max_wait: float):
    while True:
        if live:
            nxt = monitor.next_threshold()
            wait = max_wait if nxt is None else max(0.001, min(max_wait, nxt - time.time()))
            got = r.xread({stream: monitor.redis_id}, count=1000, block=int(wait * 1000))
        else:
            got = r.xread({stream: monitor.redis_id}, count=1000)
        if not got:
            if not live:
                return
            monitor.advance(time.time())
            monitor.commit()
            continue
        for _, entries in got:
            for entry_id, fields in entries:
                eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                raw = fields.get(b"json", fields.get("json"))
                if raw is None:
                    raw = b"{}"
                monitor.handle_line(raw, None, f"redis:{stream}:{eid}", redis_id=eid)
        if live:
            monitor.commit()


def run(monitor: Monitor, events: str | None, redis_url: str | None = None, redis_stream: str | None = None):
    skip = monitor.offset
    if events is not None:
        if events == "-":
            if sys.stdin is None:
                raise InputError("标准输入已关闭 (stdin is closed): give --events FILE")
            _feed_stream(monitor, sys.stdin.buffer, skip)
        else:
            with _open_events(events) as f:
                _feed_stream(monitor, f, skip)
        monitor.commit()
    if redis_stream:
        feed_redis(monitor, redis_url, redis_stream, live=not monitor.replay)
    monitor.close()
