"""``zhunsheng catalog``: thin click commands over engine.catalog.audit.

Exit codes: 0 the audit ran (whatever it found: cancelling items is its job,
not a failure); 2 bad input (missing or unreadable file, a catalogue without
a required column, a mistake in the clean-up rule file), printed without a traceback.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from engine.cli_support import DATE, guard


@click.group()
def catalog():
    """审批事项目录清理 (approval catalogue clean-up: 前置审批, 中介服务, 非行政许可审批)."""


@catalog.command()
@click.argument("catalog_file", metavar="CATALOG", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for audit.jsonl, audit.csv, retained.csv, rejected.csv, summary.json.")
@click.option("--as-of", type=DATE, default=None,
              help="Date the catalogue is judged at (default: today); the one-year limit of 行政许可法 Art. 15 runs to it.")
@click.option("--excel", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the audit, the retained list and the summaries to this .xlsx (Chinese headers).")
@click.pass_context
@guard
def audit(ctx, catalog_file, out_dir, as_of, excel):
    """Judge every catalogue row: retain, or cancel with every clean-up reason and its citation."""
    from engine.catalog.audit import audit_catalog, read_catalog, write_audit

    rules_dir = getattr(ctx.find_root().obj, "rules_dir", None)
    as_of = as_of or dt.date.today()
    raw = read_catalog(catalog_file)
    result = audit_catalog(raw, as_of, rules_dir)
    s = write_audit(result, out_dir, excel)
    click.echo(f"目录清理完成 catalogue audited: {s['input_rows']} 行 rows — {s['retained']} 保留 retained, "
               f"{s['cancelled']} 取消 cancelled, {s['rejected']} 拒收 rejected (as of {s['as_of']}) → {out_dir}")
    for code, count in s["by_reason"].items():
        if count:
            click.echo(f"  {code}: {count}")
