"""``zhunsheng draw``: thin click commands over engine.draw.workflow and engine.draw.results.

Exit codes: 0 success / verified OK; 1 verify found a difference (so scripts
can gate on it); 2 bad input or a refusal by the
ledger (changed inputs, redraw without --supersede), printed without a traceback.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.draw import workflow
from engine.cli_support import UserError, guard


_path = click.Path(exists=True, dir_okay=False, path_type=Path)
db_option = click.option("--db", "db", envvar="ZHUNSHENG_DB", default=None, metavar="URL",
                         help="SQLAlchemy URL of the draw ledger (env ZHUNSHENG_DB; default sqlite:///zhunsheng-draw.sqlite).")


def input_options(fn):
    fn = click.option("--conflicts", required=True, type=_path, help="回避名单 inspector_id, entity_id, reason.")(fn)
    fn = click.option("--inspectors", required=True, type=_path, help="执法检查人员名录库.")(fn)
    fn = click.option("--entities", required=True, type=_path, help="检查对象名录库 (CSV/Excel/Parquet).")(fn)
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
@click.option("--supersede", is_flag=True, help="Commit new inputs although the plan was already drawn.")
@click.option("--reason", default=None, help="Why (required with --supersede).")
@db_option
@guard
def prepare(plan, entities, inspectors, conflicts, supersede, reason, db):
    """Record the commitment (input digests + time) before any seed exists; print it for publication."""
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
@click.option("--seed", required=True, help="The public random seed (e.g. dice rolls, lottery numbers).")
@click.option("--seed-note", required=True, help="Who produced the seed and how (recorded and published).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output directory.")
@click.option("--supersede", is_flag=True, help="Replace the plan's draw in force (both stay in the ledger).")
@click.option("--reason", default=None, help="Why the earlier draw is superseded (required with --supersede).")
@click.option("--format", "formats", default="csv,xlsx", show_default=True,
              help="Publication formats: csv, xlsx or both.")
@db_option
@guard
def run(plan, entities, inspectors, conflicts, seed, seed_note, out, supersede, reason, formats, db):
    """Draw targets and inspectors; write DIR/draw.json, DIR/公示名单.csv/.xlsx and DIR/rejected.csv."""
    fmts = {f.strip().lower() for f in formats.split(",") if f.strip()}
    if not fmts <= {"csv", "xlsx"}:
        raise UserError(f"--format: unknown {', '.join(sorted(fmts - {'csv', 'xlsx'}))} (use csv, xlsx)")
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


@draw.command()
@click.argument("draw_json", type=_path)
@input_options
@click.option("--plan", "plan", type=_path, default=None, help="The plan file (default: the copy inside draw.json).")
@click.option("--explain", "explain_id", default=None, metavar="ENTITY_ID",
              help="Show the hand-checkable ticket computation for one entity.")
@click.option("--ledger/--no-ledger", "use_ledger", default=False,
              help="Also check that the ledger records this draw.json.")
@db_option
@guard
def verify(draw_json, entities, inspectors, conflicts, plan, explain_id, use_ledger, db):
    """Recompute a published draw from its inputs; print OK (and what was checked against what) or the
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
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Judge unpublished results as of this date (default: today, China Standard Time).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write findings to FILE (.jsonl or .csv).")
@click.option("--no-import", "no_import", is_flag=True, help="Only report; do not store the results in the ledger.")
@db_option
@guard
def results(file, as_of, out, no_import, db):
    """Import inspection results; report inaction.results_not_publicized (20 working days)."""
    from engine.draw import results as res_mod
    rep = res_mod.review_file(file, as_of=as_of, db=db, store=not no_import)
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
