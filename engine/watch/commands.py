"""``zhunsheng watch``: the live monitor (thin click command over engine.watch.run).

Exit codes: 0 the input was read to its end (refused events are listed in
DIR/rejected_events.jsonl and on stderr, never fatal); 2 bad input (an
unreadable events file, catalogue or database), printed without a traceback.
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
              help="Events as JSON Lines; '-' reads stdin.")
@click.option("--replay", is_flag=True, help="Event time is the clock (no waiting); default: the wall clock.")
@click.option("--catalog", "catalog", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Approval catalogue: statutory/committed limits, and unlisted preconditions reported at once.")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="State database (SQLAlchemy URL; default sqlite:///DIR/watch.sqlite).")
@click.option("--redis-stream", "redis_stream", default=None, metavar="NAME",
              help="Also read events from this Redis stream (field 'json'), after --events.")
@click.option("--redis-url", "redis_url", default="redis://127.0.0.1:6379/0", show_default=True,
              help="Redis server of --redis-stream.")
@click.option("--yellow-working-days", type=click.IntRange(0, 60), default=None,
              help="Override the parameter watch_yellow_working_days (rules/watch/monitor.yaml).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for cards.jsonl, overreach.jsonl, rejected_events.jsonl and watch.sqlite.")
@click.pass_obj
@guard
def watch(obj, events, replay, catalog, db_url, redis_stream, redis_url, yellow_working_days, out_dir):
    """实时监控、预警纠错: yellow (预警) and red (超时) cards for open deadlines, from a stream of events."""
    from engine.watch.monitor import Monitor
    from engine.watch.run import run
    from engine.watch.state import Store

    if events is None and not redis_stream:
        raise UserError("give --events FILE (or '-') and/or --redis-stream NAME")
    if events not in (None, "-") and not Path(events).is_file():
        raise UserError(f"events file not found: {events}")
    ruleset, calendar = obj.ruleset, obj.calendar
    catalogue = None
    if catalog is not None:
        if not catalog.is_file():
            raise UserError(f"catalogue file not found: {catalog}")
        from engine.review import load_references
        catalogue = load_references(catalog, None, dt.date.today(), ruleset.root).catalogue
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(db_url or f"sqlite:///{(out_dir / 'watch.sqlite').resolve()}")
    try:
        monitor = Monitor(ruleset, calendar, store, out_dir, replay=replay, catalogue=catalogue,
                          yellow_working_days=yellow_working_days)
        t0 = time.perf_counter()
        run(monitor, events, redis_url, redis_stream)
        if os.environ.get("ZHUNSHENG_WATCH_TIMING"):          # bench/bench_watch.py reads this line
            click.echo(json.dumps({"watch_timing": {"run_s": time.perf_counter() - t0, **monitor.summary()}}),
                       err=True)
    finally:
        store.close()
