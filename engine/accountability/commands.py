"""``zhunsheng accountability``: a thin click command over ``engine.accountability.run``.

Exit codes: 0 success (notices or none), 2 bad input (a missing review
folder, an unreadable roster, rule-file errors), printed without a traceback.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.accountability import RECOMMENDATION_EN, RECOMMENDATION_ZH
from engine.cli_support import DATE, UserError, guard

_file = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("review_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--roster", required=True, type=_file,
              help="人员名册 CSV/Excel: person_id 人员编号, name 姓名, department 部门, role 角色 (officer 执法人员 | leader 负责人).")
@click.option("--as-of", "as_of", required=True, type=DATE,
              help="统计期间的最后一天（日期写法同记录中的日期），统计期间为截至此日的 365 天 "
                   "(last day of the window; the window is the 365 days ending here).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹：notices.jsonl、summary.json、exemptions.csv、rejected.csv "
                   "(folder for notices.jsonl, summary.json, exemptions.csv, rejected.csv).")
@click.option("--exemptions", type=_file, default=None,
              help="容错免责 CSV/Excel: case_id 案件编号, code 问题代码, reason 免责理由, approved_by 批准人.")
@click.option("--excel", type=_file, default=None, help="同时生成问责建议工作簿（中文表头） (also write the notices to this .xlsx).")
@click.option("--report", "report_html", type=_file, default=None,
              help="同时生成离线 HTML 问责建议页面（与 zhunsheng report DIR 相同） "
                   "(also write the offline HTML page, as zhunsheng report DIR does).")
@click.option("--triggers", "triggers_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="问责规则文件夹（默认：规则文件夹中的 accountability/） "
                   "(accountability rules folder; default: accountability/ in the rules folder).")
@click.pass_context
@guard
def accountability(ctx, review_dirs, roster, as_of, out, exemptions, excel, report_html, triggers_dir):
    """问责建议：从审查结果生成问责建议（仅供法制部门审核，不自动产生处分）。

    读取一个或多个 review 输出文件夹，按 rules/accountability/ 中有依据的规则建议问责措施；
    页面可由 zhunsheng report DIR 生成。
    Reads one or more `zhunsheng review` output folders and recommends measures
    (效能告诫, 诫勉谈话, 通报批评, 一案双查 领导责任, bottom-three 诫勉谈话, 从重) per the
    cited rules in rules/accountability/. Recommendations only: never automatic sanctions.
    """
    from engine.accountability.run import accountability as run

    if triggers_dir is None:
        base = getattr(getattr(ctx, "obj", None), "rules_dir", None)
        if base is not None:
            triggers_dir = Path(base) / "accountability"
            if not triggers_dir.is_dir():
                raise UserError(f"{triggers_dir}: --rules {base} 中没有问责规则 (no accountability rules in --rules {base}); "
                                "请用 --triggers DIR 指定 (give --triggers DIR)")
    if report_html is not None:          # refused before any work, as review --report is
        from engine.io.outset import check_writable_file
        check_writable_file(report_html, "--report")
        if report_html.resolve().parent == Path(out).resolve():
            raise UserError(f"--report {report_html}: 请写在输出文件夹之外，或用 zhunsheng report {out} "
                            "(write it outside the output folder, or use zhunsheng report DIR)")
    s = run(review_dirs, roster, as_of, out, exemptions, excel, triggers_dir)
    echo = click.echo
    if report_html is not None:          # after the folder is sealed: the page reads it as one finished set
        from engine.report.accountability_html import write_accountability_html
        size = write_accountability_html(Path(out), report_html)
        echo(f"页面已生成 page written: {report_html} ({size / 1024:,.0f} KB)")
    echo(f"{RECOMMENDATION_ZH}（{RECOMMENDATION_EN}）")
    inp = s["inputs"]
    echo(f"统计期间 window: {s['window_start']} 至 {s['window_end']}（含首尾 {s['window_days']} 天，as-of {s['as_of']}）")
    echo(f"读取问题 findings: {inp['findings_read']}，合并重复 duplicates merged {inp['duplicates_merged']}，"
         f"窗口期内 in window {s['findings_in_window']}，容错免责 exempted {s['findings_exempted']}；"
         f"已审查案件 evaluated cases {inp['evaluated_cases']}（合并 merged {inp['case_duplicates_merged']}）")
    echo(f"问责建议 notices: {s['notices']}")
    names = {"officer": "执法人员 officer", "department": "部门 department", "leader": "部门负责人 leader"}
    for k, v in s["by_subject_type"].items():
        echo(f"  {names.get(k, k)}: {v}")
    for k, v in s["by_measure"].items():
        echo(f"  {k}: {v}")
    ex = s["exemptions"]
    if inp["exemptions"]:
        echo(f"容错免责 exemptions: {ex['accepted']} 条采用 accepted（免除 {ex['findings_removed']} 个问题 "
             f"findings removed），{ex['rejected']} 条拒收 rejected")
    for r in s["rejected_rows"]:
        echo(f"  拒收 rejected {r['kind']} {Path(r['file']).name} 第{r['row']}行 row {r['row']} {r['id']}: {r['reason']}")
    nr = s["not_in_roster"]
    if nr["officers"]:
        echo(f"名册外人员 officers not in roster: {', '.join(nr['officers'])}")
    if nr["departments"]:
        echo(f"名册外部门 departments not in roster: {', '.join(nr['departments'])}")
    for w in s["warnings"]:
        echo(f"警告 warning: {w}", err=True)
    echo(f"→ {out}" + (f", {excel}" if excel else ""))
