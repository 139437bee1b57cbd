"""``zhunsheng targets``: classify the register's entities and flag inspection targets from the rules in
``rules/targets/`` over the records related to each entity.

The command reads, evaluates and writes; every rule of the law is in the rule files, and every output
goes through ``engine.io.outset`` (one complete run per folder, ``summary.json`` last).
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli_support import DATE, UserError, guard

_file = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("register", type=_file)
@click.option("--as-of", "as_of", type=DATE, required=True, help="判断日期 The date classes and listings are judged at (YYYY-MM-DD).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹 Output folder.")
@click.option("--reviews", "reviews", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="review 输出文件夹（可多次给出） A review output folder (repeat for more).")
@click.option("--complaints", type=_file, default=None, help="投诉举报文件 Complaints and reports naming an entity.")
@click.option("--results", type=_file, default=None, help="检查结果文件（draw results 格式） Inspection results.")
@click.option("--reports", type=_file, default=None,
              help="年度报告报送记录 Annual-report filings: entity_id, year, filed_date.")
@click.option("--excel", type=_file, default=None, help="中文工作簿 Also write a Chinese workbook (.xlsx).")
@click.option("--params", "params_file", type=_file, default=None,
              help="部门调整的参数（名称: 值） A department's parameter values (YAML name: value).")
@click.pass_context
@guard
def targets(ctx, register, as_of, out_dir, reviews, complaints, results, reports, excel, params_file):
    """检查对象分类：信用风险分类（A/B/C/D）、重点监管、有针对性检查和经营异常名录。
    Classify entities by credit risk and flag inspection targets from the rules in rules/targets/."""
    from engine.io.arrow_memory import use_batch_memory_pool
    from engine.targets.run import run_targets
    use_batch_memory_pool()
    rules_dir = getattr(ctx.obj, "rules_dir", None) if ctx.obj is not None else None
    if excel is not None and excel.suffix.lower() != ".xlsx":
        raise UserError(f"--excel 应为 .xlsx 文件 (must name a .xlsx file): {excel}")
    summary = run_targets(register, as_of, out_dir, list(reviews), complaints, results, reports, excel,
                          params_file, rules_dir)
    by = summary["by_class"]
    click.echo(f"分类完成 classified: {summary['entities']} 个检查对象 entities — "
               + "，".join(f"{c} 类 {by[c]}" for c in "ABCD")
               + f"；重点监管 key {summary['by_flag']['key']}，有针对性检查 targeted {summary['by_flag']['targeted']}，"
                 f"经营异常名录 abnormal {summary['by_flag']['abnormal']} → {out_dir}")
    for s in summary["skipped_rules"]:
        click.echo(f"  未运行 skipped {s['rule']}: {s['reason_zh']} ({s['reason_en']})")
    rej = sum(v.get("rejected", 0) for v in summary["inputs"].values())
    if rej:
        click.echo(f"  拒收 {rej} 行 rejected rows: 见 see {out_dir / 'rejected.csv'}")
