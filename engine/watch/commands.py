"""``zhunsheng watch``: the live monitor (thin click command over engine.watch.run).

Exit codes: 0 the input was read to its end (refused events are listed in
DIR/rejected_events.jsonl and on stderr, never fatal); 2 bad input (an
unreadable events file, catalogue, output folder or database), printed as one
line, Chinese first, without a traceback.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import click

from engine.cli_support import UserError, guard


@click.command()
@click.option("--events", "events", default=None, metavar="FILE|-",
              help="事件文件（JSON Lines）；'-' 从标准输入读取 (events as JSON Lines; '-' reads stdin).")
@click.option("--replay", is_flag=True, help="回放：以事件时间为时钟，不等待（默认用实际时间） (event time is the clock; default: the wall clock).")
@click.option("--catalog", "catalog", type=click.Path(path_type=Path), default=None,
              help="审批事项目录：法定和承诺时限；目录外前置条件立即报告 "
                   "(approval catalogue: statutory/committed limits; unlisted preconditions reported at once).")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="状态数据库（SQLAlchemy 地址；默认 sqlite:///DIR/watch.sqlite） (state database).")
@click.option("--redis-stream", "redis_stream", default=None, metavar="NAME",
              help="在 --events 之后从此 Redis 流读取事件（字段 json） (also read events from this Redis stream).")
@click.option("--redis-url", "redis_url", default="redis://127.0.0.1:6379/0", show_default=True,
              help="--redis-stream 的 Redis 服务器 (Redis server of --redis-stream).")
@click.option("--yellow-working-days", type=click.IntRange(0, 60), default=None,
              help="黄牌提前的工作日数，覆盖规则参数 watch_yellow_working_days（rules/watch/monitor.yaml） "
                   "(override that parameter).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="输出文件夹：cards.jsonl、overreach.jsonl、rejected_events.jsonl、stdout.pos、watch.sqlite "
                   "(output folder).")
@click.pass_obj
@guard
def watch(obj, events, replay, catalog, db_url, redis_stream, redis_url, yellow_working_days, out_dir):
    """实时监控、预警纠错：由事件流对未办结事项发出黄牌（预警）和红牌（超时）。
    Yellow (预警) and red (超时) cards for open deadlines, from a stream of events."""
    from engine.watch.monitor import Monitor
    from engine.watch.run import run
    from engine.watch.state import Store

    if events is None and not redis_stream:
        raise UserError("请给出 --events 文件（或 '-'）和/或 --redis-stream 名称 (give --events FILE (or '-') "
                        "and/or --redis-stream NAME)")
    _check_events(events)
    ruleset, calendar = obj.ruleset, obj.calendar
    catalogue = _catalogue(catalog, ruleset) if catalog is not None else None
    _make_out(out_dir)
    store = Store(db_url or f"sqlite:///{(out_dir / 'watch.sqlite').resolve()}")
    try:
        monitor = Monitor(ruleset, calendar, store, out_dir, replay=replay, catalogue=catalogue,
                          yellow_working_days=yellow_working_days)
        t0 = time.perf_counter()
        run(monitor, events, redis_url, redis_stream)
        if os.environ.get("ZHUNSHENG_WATCH_TIMING"):          # bench/bench_watch.py reads this line
            click.echo(json.dumps({"watch_timing": {"run_s": time.perf_counter() - t0, **monitor.summary()}}),
                       err=True)
        _summary(monitor)
    finally:
        store.close()


def _check_events(events):
    """A path that can be read as a stream of lines: a file, a FIFO, /dev/stdin — not a folder."""
    if events in (None, "-"):
        return
    p = Path(events)
    if not p.exists():
        raise UserError(f"事件文件不存在 (events file not found): {events}")
    if p.is_dir():
        raise UserError(f"事件文件是一个目录 (the events file is a folder): {events}")


def _catalogue(catalog: Path, ruleset):
    """The audited approval catalogue; any problem reading it is one line naming the file, Chinese first."""
    from engine.errors import ZhunshengError
    from engine.review import load_references
    if not catalog.exists():
        raise UserError(f"审批目录文件不存在 (catalogue file not found): {catalog}")
    if catalog.is_dir():
        raise UserError(f"审批目录是一个目录 (the catalogue is a folder): {catalog}")
    try:
        return load_references(catalog, None, dt.date.today(), ruleset.root).catalogue
    except ZhunshengError as e:
        raise UserError(f"审批目录无法使用 (the catalogue cannot be used): {e}") from None
    except OSError as e:
        raise UserError(f"审批目录无法读取 (cannot read the catalogue) {catalog}: {e.strerror or e}") from None


def _make_out(out_dir: Path):
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"输出目录是一个文件 (the output folder is a file): {out_dir}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"无法创建输出目录 (cannot create the output folder) {out_dir}: "
                        f"{e.__class__.__name__}: {e.strerror or e}") from None


def _summary(monitor):
    """One line on stderr: lines read = used + refused + blank, so nothing goes unaccounted."""
    s = monitor.summary()
    before = (f"；此前已处理 {monitor.start_offset} 行 (lines done by an earlier run: {monitor.start_offset})"
              if monitor.start_offset else "")
    click.echo(f"读取 {s['events']} 行：使用 {s['used']}，拒绝 {s['refused']}，空行 {s['blank']} "
               f"(read {s['events']} lines: {s['used']} used, {s['refused']} refused, {s['blank']} blank){before}",
               err=True)
