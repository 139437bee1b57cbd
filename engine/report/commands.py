"""``zhunsheng report DIR``: the offline HTML report and the workbook from a finished review folder.

A thin command over ``engine.report.html.write_html_of`` and ``engine.report.workbook.write_workbook_of``;
the folder is verified as one complete run first and held still while both are built.
Exit codes: 0 written; 2 a folder that is not one complete review run, or an output that cannot be written.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli_support import UserError, guard

DEFAULT_HTML = "审查报告.html"
ACCOUNTABILITY_HTML = "问责建议.html"
DRAW_HTML = "抽查报告.html"


@click.command(short_help="报告页面：由 review、accountability、draw run 的输出文件夹生成离线 HTML 页面和工作簿 "
                          "(offline pages of output folders).")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--html", "html_target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"离线 HTML 页面的文件名（不给 --html 和 --excel 时：审查结果文件夹为 DIR/{DEFAULT_HTML}，"
                   f"问责建议文件夹为 DIR/{ACCOUNTABILITY_HTML}，抽查文件夹为 DIR/{DRAW_HTML}） (the offline HTML "
                   f"page; default DIR/{DEFAULT_HTML}, DIR/{ACCOUNTABILITY_HTML} for an accountability folder or "
                   f"DIR/{DRAW_HTML} for a draw folder, when neither option is given).")
@click.option("--excel", "excel_target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时生成工作簿：问题清单、拒收记录、部门汇总、问题分类、案件明细（仅审查结果文件夹）"
                   " (also write the workbook: findings, rejected rows, departments, codes, cases; review folders only).")
@guard
def report(folder, html_target, excel_target):
    """审查报告：由 review --out 的结果文件夹生成离线 HTML 报告和 Excel 工作簿（accountability --out 的文件夹生成问责建议页面，draw run --out 的文件夹生成抽查页面）。

    Build the offline HTML report (and the workbook) from a finished review output folder, the
    recommendations page from an accountability output folder, or the draw page from a draw output
    folder (draw.json; with results.jsonl/.csv of `draw results --out` when present); a folder that did
    not finish or mixes two runs is refused."""
    from engine.io.outset import check_writable_file
    from engine.report.folder import open_review
    from engine.report.html import write_html_of
    from engine.report.workbook import refuse_own_name, write_workbook_of

    if not Path(folder).is_dir():
        raise UserError(f"{folder}: 不是文件夹 (not a folder); 请给出 review、accountability 或 draw run 的 --out "
                        "输出文件夹 (give the folder written by review, accountability or draw run --out)")
    from engine.report.draw_html import is_draw_folder
    if is_draw_folder(Path(folder)):
        if excel_target is not None:
            raise UserError("抽查的公示名单工作簿由 draw run --format xlsx 生成 (the draw's workbook is written by "
                            "draw run --format xlsx); 此处只能生成 --html (only --html here)")
        from engine.report.draw_html import write_draw_html
        target = Path(html_target) if html_target is not None else Path(folder) / DRAW_HTML
        check_writable_file(target, "--html")
        size = write_draw_html(Path(folder), target)
        click.echo(f"抽查页面已生成 draw page written: {target} ({size / 1024:,.0f} KB)")
        return
    accountability = _accountability(Path(folder))
    if accountability and excel_target is not None:
        raise UserError("问责建议的工作簿由 accountability --excel 生成 (the accountability workbook is written "
                        "by accountability --excel); 此处只能生成 --html (only --html here)")
    if html_target is None and excel_target is None:
        html_target = Path(folder) / (ACCOUNTABILITY_HTML if accountability else DEFAULT_HTML)
    if html_target is not None and excel_target is not None and \
            Path(html_target).resolve() == Path(excel_target).resolve():
        raise UserError(f"--html 与 --excel 是同一个文件 (--html and --excel name the same file): {html_target}")
    for target, option in ((html_target, "--html"), (excel_target, "--excel")):
        if target is not None:
            check_writable_file(Path(target), option)
    if accountability:
        from engine.report.accountability_html import write_accountability_html
        size = write_accountability_html(folder, Path(html_target))
        click.echo(f"问责建议页面已生成 accountability page written: {html_target} ({size / 1024:,.0f} KB)")
        return
    with open_review(folder) as files:
        for target, option in ((html_target, "--html"), (excel_target, "--excel")):
            if target is not None:
                refuse_own_name(files, Path(target), option)
        if excel_target is not None:
            counts = write_workbook_of(files, Path(excel_target))
            click.echo(f"工作簿已生成 workbook written: {excel_target} ("
                       + "，".join(f"{k} {v:,} 行" for k, v in counts.items()) + ")")
        if html_target is not None:
            size = write_html_of(files, Path(html_target))
            click.echo(f"报告已生成 report written: {html_target} ({size / 1024:,.0f} KB)")


def _accountability(folder: Path) -> bool:
    """Whether the folder holds an accountability run (its summary names notices.jsonl); the folder is
    verified afterwards by the writer of that kind, so a damaged summary is refused there."""
    import json
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    from engine.report.accountability_html import is_accountability_folder
    return isinstance(summary, dict) and is_accountability_folder(summary)
