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
              help="输出文件夹：audit.jsonl、audit.csv、retained.csv、rejected.csv、summary.json "
                   "(folder for audit.jsonl, audit.csv, retained.csv, rejected.csv, summary.json).")
@click.option("--as-of", type=DATE, default=None,
              help="清理基准日（默认今天；日期写法同记录中的日期），行政许可法第十五条的一年期限算到此日 "
                   "(date the catalogue is judged at; the one-year limit of Art. 15 runs to it).")
@click.option("--excel", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时生成工作簿：清理结果、保留目录和汇总 "
                   "(also write the audit, the retained list and the summaries to this .xlsx).")
@click.pass_context
@guard
def audit(ctx, catalog_file, out_dir, as_of, excel):
    """目录清理审查：逐行判断保留或取消，列出每个清理理由及其依据。
    Judge every catalogue row: retain, or cancel with every clean-up reason and its citation."""
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
