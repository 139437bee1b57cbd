"""``zhunsheng draw``: thin click commands over engine.draw.workflow and engine.draw.results.

Exit codes: 0 success / verified OK; 1 verify found a difference (so scripts
can gate on it); 2 bad input or a refusal by the
ledger (changed inputs, redraw without --supersede), printed without a traceback.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.draw import workflow
from engine.cli_support import DATE, UserError, guard


_path = click.Path(exists=True, dir_okay=False, path_type=Path)
db_option = click.option("--db", "db", envvar="ZHUNSHENG_DB", default=None, metavar="URL",
                         help="抽查账本数据库（SQLAlchemy 地址；环境变量 ZHUNSHENG_DB；默认 sqlite:///zhunsheng-draw.sqlite） "
                              "(SQLAlchemy URL of the draw ledger).")


def input_options(fn):
    fn = click.option("--conflicts", required=True, type=_path, help="回避名单：inspector_id 执法证号、entity_id 统一社会信用代码、reason 回避理由 (conflicts of interest).")(fn)
    fn = click.option("--inspectors", required=True, type=_path, help="执法检查人员名录库（CSV/Excel/Parquet） (inspector register).")(fn)
    fn = click.option("--entities", required=True, type=_path, help="检查对象名录库（CSV/Excel/Parquet） (entity register).")(fn)
    return fn


def _arrow_memory_pool() -> None:
    """Use mimalloc for Arrow buffers unless the user chose a pool (ARROW_DEFAULT_MEMORY_POOL).

    Loading a 10M-row register allocates and frees gigabytes of Arrow buffers;
    with the default jemalloc pool that cost ~2 s more system time (page
    faults) per run on the project machine (bench/bench_draw.py).
    """
    import os

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        import pyarrow as pa
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except (ImportError, NotImplementedError, AttributeError):  # a pyarrow built without mimalloc
        pass


@click.group()
def draw():
    """双随机、一公开：可公开验证的随机抽查 (verifiable double-random inspection draws)."""
    _arrow_memory_pool()


def _counts_line(counts: dict) -> str:
    names = {"entities": "检查对象", "inspectors": "执法人员", "conflicts": "回避"}
    return "；".join(f"{names[k]} {v['rows']} 行，采用 {v['used']}，拒收 {v['rejected']}" for k, v in counts.items())


@draw.command()
@click.argument("plan", type=_path)
@input_options
@click.option("--supersede", is_flag=True,
              help="计划已抽取后仍登记新的输入承诺 (commit new inputs although the plan was already drawn).")
@click.option("--reason", default=None, help="理由（与 --supersede 同用时必填） (why; required with --supersede).")
@db_option
@guard
def prepare(plan, entities, inspectors, conflicts, supersede, reason, db):
    """抽取前登记承诺：在随机种子产生之前记录各输入文件的摘要和时间，并输出供公布。
    Record the commitment (input digests + time) before any seed exists; print it for publication."""
    res = workflow.prepare(workflow.Inputs(plan, entities, inspectors, conflicts), db, supersede, reason)
    c = res["commitment"]
    click.echo(("已登记承诺 (commitment recorded)" if res["new"] else "承诺已存在，输入未变 (commitment unchanged)")
               + f" #{c.id}，账本 {res['ledger']}")
    click.echo(_counts_line(res["counts"]))
    if res["rejected"].count():
        click.echo(f"拒收行 {res['rejected'].count()} 行（见 run 输出的 rejected.csv；前 5 行如下）：")
        for r in res["rejected"].rows[:5]:
            click.echo(f"  {r['file']} 第{r['row']}行 {r['id']}: {r['reason']}")
    click.echo("请在产生随机种子之前公布以下承诺 (publish before the seed exists):")
    click.echo(res["text"].rstrip())
    click.echo(f"commitment_sha256: {c.commitment_sha256}")


@draw.command()
@click.argument("plan", type=_path)
@input_options
@click.option("--seed", required=True, help="公开产生的随机种子（如掷骰结果、彩票开奖号码） (the public random seed).")
@click.option("--seed-note", required=True, help="种子由谁、如何产生（记录并公布） (who produced the seed and how).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹：draw.json、公示名单.csv/.xlsx、rejected.csv (output folder).")
@click.option("--supersede", is_flag=True, help="取代该计划现行有效的抽取（两次抽取都留在账本中） (replace the draw in force; both stay in the ledger).")
@click.option("--reason", default=None, help="取代原抽取的理由（与 --supersede 同用时必填） (why; required with --supersede).")
@click.option("--format", "formats", default="csv,xlsx", show_default=True,
              help="公示名单格式：csv、xlsx 或两者（逗号分隔） (publication formats: csv, xlsx or both).")
@click.option("--report", "report_target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时生成离线 HTML 抽查页面：概况、核验信息（种子、承诺、摘要）、分层抽取图、抽中对象 "
                   "(also write the offline HTML page of the draw; `zhunsheng report DIR` makes it later).")
@db_option
@guard
def run(plan, entities, inspectors, conflicts, seed, seed_note, out, supersede, reason, formats, report_target, db):
    """抽取检查对象和执法检查人员，写出 draw.json、公示名单.csv/.xlsx 和 rejected.csv（--report 另写页面）。
    Draw targets and inspectors; write DIR/draw.json, DIR/公示名单.csv/.xlsx and DIR/rejected.csv."""
    fmts = {f.strip().lower() for f in formats.split(",") if f.strip()}
    if not fmts <= {"csv", "xlsx"}:
        raise UserError(f"--format：未知格式 {', '.join(sorted(fmts - {'csv', 'xlsx'}))}，可用 csv、xlsx "
                        f"(unknown format; use csv, xlsx)")
    if report_target is not None:
        from engine.io.outset import check_writable_file
        from engine.report.draw_html import is_own_file
        if is_own_file(Path(out), Path(report_target)):
            raise UserError(f"--report {report_target}: 与抽查输出文件同名 (has the name of one of the draw's own files)")
        check_writable_file(Path(report_target), "--report")
    res = workflow.run(workflow.Inputs(plan, entities, inspectors, conflicts), seed, seed_note, out, db,
                       supersede, reason, fmts)
    doc = res["doc"]
    click.echo(("抽取完成 (draw recorded)" if res["new"] else "相同种子的抽取已存在，结果一致 (idempotent re-run)")
               + f" #{res['draw_id']}  draw.json sha256 {res['sha256']}")
    click.echo(_counts_line(res["counts"]))
    for s in doc["strata"]:
        ex = s["excluded"]
        click.echo(f"  {s['item_id']} {s['credit_class']}: 可抽 |E| = {s['eligible']}，抽取 n = {s['n']}"
                   f"（比例 {s['rate']}；排除：状态 {ex['status']}，条件 {ex['filter']}，频次 {ex['frequency_cap']}）")
    click.echo(f"选派 {len(doc['assignments'])} 个检查对象；未能选派 {len(doc['unfilled'])} 个")
    for p in res["written"]:
        click.echo(f"  写入 {p}")
    if report_target is not None:
        from engine.report.draw_html import write_draw_html
        size = write_draw_html(Path(out), Path(report_target))
        click.echo(f"抽查页面已生成 draw page written: {report_target} ({size / 1024:,.0f} KB)")


@draw.command()
@click.argument("draw_json", type=_path)
@input_options
@click.option("--plan", "plan", type=_path, default=None, help="抽查计划文件（默认：draw.json 中的副本） (the plan file; default: the copy inside draw.json).")
@click.option("--explain", "explain_id", default=None, metavar="ENTITY_ID",
              help="逐步显示一个检查对象随机数的计算过程，可手工核对 (show one entity's ticket step by step).")
@click.option("--ledger/--no-ledger", "use_ledger", default=False,
              help="同时核对账本记录的是否正是这份 draw.json (also check the ledger records this draw.json).")
@db_option
@guard
def verify(draw_json, entities, inspectors, conflicts, plan, explain_id, use_ledger, db):
    """核验抽取：由输入文件和种子重新计算已公布的抽取，输出 OK 和核对内容，或第一处不一致。
    Recompute a published draw from its inputs; print OK (and what was checked against what) or the
    first difference."""
    res = workflow.verify(draw_json, entities, inspectors, conflicts, plan, db, use_ledger)
    for n in res["notes"]:
        click.echo(f"  {n}")
    if explain_id and res["published"] is not None:
        from engine.draw.registers import Rejected, load_entities
        frame, _, _ = load_entities(entities, Rejected())
        for line in workflow.explain(res["published"], explain_id.strip(), frame):
            click.echo(line)
    if res["ok"]:
        click.echo("OK：重新计算结果与 draw.json 完全一致 (recomputed draw is byte-identical)")
        click.echo("核对内容 (what was checked against what):")
        for line in res["checked"]:
            click.echo(f"  {line}")
    else:
        click.echo(f"不一致 (DIFFERENCE): {res['difference']}")
        raise SystemExit(1)


@draw.command()
@click.argument("file", type=_path)
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="判断未公示结果是否逾期的基准日（默认今天，北京时间） "
                   "(judge unpublished results as of this date; default: today, China Standard Time).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="问题写入此文件（.jsonl 或 .csv；写到抽查输出文件夹的 results.jsonl 时，zhunsheng report 的抽查页面一并列出） "
                   "(write findings to FILE, .jsonl or .csv).")
@click.option("--no-import", "no_import", is_flag=True, help="只报告，不把检查结果存入账本 (only report; do not store the results in the ledger).")
@db_option
@guard
def results(file, as_of, out, no_import, db):
    """检查结果公示：导入检查结果，报告超过 20 个工作日未公示的问题（inaction.results_not_publicized）。
    Import inspection results; report inaction.results_not_publicized (20 working days)."""
    from engine.draw import results as res_mod
    rep = res_mod.review_file(file, as_of=as_of.isoformat() if as_of else None, db=db, store=not no_import)
    click.echo(f"检查结果 {rep['rows']} 行：采用 {rep['used']}，拒收 {len(rep['rejected'])}；"
               f"逾期未公示 {len(rep['findings'])} 条；未到期待公示 {rep['pending']} 条"
               + ("" if no_import else ("；已导入账本" if rep["imported"] else "；此前已导入，未重复导入")))
    for r in rep["rejected"]:
        click.echo(f"  拒收 第{r['row']}行 {r['id']}: {r['reason']}")
    for f in rep["findings"]:
        click.echo(f"  {f['code']}  第{f['row']}行 {f['entity_id']} {f['item_id']}: {f['message']}")
    if out:
        res_mod.write_findings(rep["findings"], out)
        click.echo(f"  写入 {out}")
