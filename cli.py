"""准绳 Zhunsheng command line: thin click commands, each calling one engine entry point.

Exit codes: 0 done; 1 findings (check, review --fail-on) or rule-file problems (rules lint/test);
2 bad input or usage (unreadable files, bad options, rule-file errors); 3 internal error (one line,
the traceback in a log file: engine.cli_support.log_internal_error).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

# Before numpy loads: no command multiplies float matrices, and idle OpenBLAS worker threads spin on
# the cores the review's own threads need (about 2% of a review's CPU time).  A user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from engine.cli_support import DATE, ChineseFirstGroup, UserError, guard  # noqa: E402


def _today() -> dt.date:
    return dt.date.today()




class Context:
    def __init__(self, rules_dir: Path | None, calendars: tuple[Path, ...]):
        self.rules_dir = rules_dir
        self.calendars = calendars
        self._ruleset = None
        self._calendar = None

    @property
    def ruleset(self):
        if self._ruleset is None:
            from engine.ruleset.loader import load_rules
            self._ruleset = load_rules(self.rules_dir)
        return self._ruleset

    @property
    def calendar(self):
        if self._calendar is None:
            from engine.calendar import WorkingDayCalendar
            self._calendar = WorkingDayCalendar.from_rules_dir(self.ruleset.root, self.calendars)
        return self._calendar


pass_ctx = click.make_pass_decorator(Context)


class LazyGroup(ChineseFirstGroup):
    """Subcommands imported only when used: ``review`` should not pay for the draw ledger's database stack."""

    lazy = {"draw": ("engine.draw.commands", "draw"),
            "catalog": ("engine.catalog.commands", "catalog"),
            "accountability": ("engine.accountability.commands", "accountability"),
            "watch": ("engine.watch.commands", "watch"),
            "targets": ("engine.targets.commands", "targets"),
            "report": ("engine.report.commands", "report"),
            "serve": ("engine.web.commands", "serve")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | {n for n in self.lazy if self.get_command(ctx, n)})

    def get_command(self, ctx, name):
        if name in self.lazy:
            import importlib
            module, attr = self.lazy[name]
            try:
                return getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as e:
                if not (module == e.name or module.startswith(e.name + ".")):
                    raise
                return None   # a command whose module this installation lacks
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "ZHUNSHENG"})
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="规则文件夹（默认：自带的 rules/） Rules folder (default: the bundled rules/).")
@click.option("--calendar", "calendars", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="补充的工作日历文件（chinesecalendar 未收录的年份，可多次给出） "
                   "Extra working-day calendar file(s) for years chinesecalendar lacks.")
@click.version_option(package_name="zhunsheng")
@click.pass_context
def main(ctx, rules_dir, calendars):
    """准绳 Zhunsheng — 以事实为根据，以法律为准绳。

    审查行政处罚决定是否符合裁量基准和行政处罚法的程序；审查行政许可、依申请公开、投诉举报的办理期限、
    权力清单和经清理的审批目录；据问题提出问责建议，实时预警期限，开展双随机抽查。

    Checks administrative penalty decisions against discretion benchmarks
    (行政处罚裁量基准) and the procedure of the 行政处罚法; licensing applications,
    disclosure requests and complaints against their deadlines (限时办结), the
    power list (权力清单) and the audited approval catalogue; follows findings to
    accountability (问责), watches live deadlines (预警纠错) and draws double-random
    inspections (双随机、一公开).
    """
    ctx.obj = Context(rules_dir, calendars)


# -- review --------------------------------------------------------------------------------------
@main.command(short_help="批量审查：处罚决定、行政许可、依申请公开、投诉举报 (review a batch of records).")
@click.argument("files", nargs=-1, required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_url", default=None, metavar="URL",
              help="从数据库读取记录（SQLAlchemy 地址，如 postgresql://user@host/db；提示中隐去密码） "
                   "Read records from a database (SQLAlchemy URL; the password is never shown).")
@click.option("--table", default=None, metavar="NAME", help="与 --db 同用：读取这张表 With --db: read this table.")
@click.option("--query", default=None, metavar="SQL",
              help="与 --db 同用：按原样在只读事务中执行此查询 With --db: run this query as written, read-only.")
@click.option("--to-db", "to_db", default=None, metavar="URL",
              help="审查完成后写入数据库表 zs_runs、zs_cases、zs_findings、zs_rejected（同一运行重写即替换） "
                   "Also write the finished run into these tables (a rerun replaces it).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹：cases.jsonl、findings.jsonl、rejected.csv、summary.json "
                   "Folder for cases.jsonl, findings.jsonl, rejected.csv, summary.json.")
@click.option("--as-of", type=DATE, default=None,
              help="判断期限的基准日（默认今天；日期写法同记录中的日期）Date deadlines are judged at (default: today).")
@click.option("--excel", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时生成工作簿：问题清单、拒收记录、部门汇总、问题分类、案件明细 "
                   "Also write the workbook (findings, rejected rows, departments, codes, cases).")
@click.option("--report", "report_html", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="同时生成离线 HTML 审查报告 Also write the offline HTML report to this file.")
@click.option("--format", "out_format", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True,
              help="案件和问题清单的格式：jsonl 为 cases.jsonl、findings.jsonl；parquet 为 cases.parquet、"
                   "findings.parquet、rejected.parquet（字段相同，供 DuckDB/pandas 读取；rejected.csv 照写） "
                   "Format of the cases and findings: jsonl writes cases.jsonl and findings.jsonl; parquet writes "
                   "cases.parquet, findings.parquet and rejected.parquet (the same fields as columns, for "
                   "DuckDB/pandas; rejected.csv is written as well).")
@click.option("--timings", is_flag=True, help="显示读取、评查、写出各用时（stderr） "
                                              "Print how long reading, evaluating and writing took (stderr).")
@click.option("--kind", type=click.Choice(["penalty", "approval", "disclosure", "complaint"]), default=None,
              help="未填记录类型的行按此类型审查（默认 penalty 行政处罚） "
                   "Record kind of rows without a record_kind (记录类型) column value (default: penalty).")
@click.option("--catalog", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="审批事项目录：先清理审查，只有保留的事项算合法 "
                   "Approval catalogue (审批目录); it is audited first and only retained rows count as lawful.")
@click.option("--powers", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="权力清单（CSV/Excel/YAML）：处罚和审批须有清单依据 "
                   "Power list (权力清单): penalties and approvals must be backed by it.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="评查线程数（默认：同一类型 20 万条以上时每核一个；结果与线程数无关） "
                   "Threads to validate and evaluate with (default: one per CPU core for batches of 200,000 "
                   "records or more of one kind). The reports are the same whatever the number.")
@click.option("--memory", default="2GiB", show_default=True, metavar="SIZE",
              help="内存预算（如 2GiB、800MiB）：大批量按此分批读取、审查和写出，结果与分批无关 "
                   "Memory budget (e.g. 2GiB, 800MiB): a large batch is read, reviewed and written in batches "
                   "of rows that fit in it; the reports are the same whatever the batch size.")
@click.option("--batch-rows", type=click.IntRange(min=1), default=None, hidden=True,
              help="每批行数（测试用，优先于 --memory） Rows per batch (for tests; overrides --memory).")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low"]), default=None,
              help="有该严重程度或更高的问题时退出码为 1 Exit 1 when any finding of this severity or higher is "
                   "found (default: exit 0 whatever was found).")
@click.option("--amount-unit", callback=lambda ctx, param, v: _amount_unit(v), default="元", show_default=True,
              help="金额列中未写单位的数字的单位 Unit of plain numbers in amount columns whose header names none "
                   "(a header like 罚款金额(万元) or a cell like 5000元 names its own).")
@pass_ctx
@guard
def review(c: Context, files, db_url, table, query, to_db, out_dir, as_of, excel, report_html, out_format, timings,
           kind, catalog, powers, threads, memory, batch_rows, fail_on, amount_unit):
    """批量审查：处罚决定、行政许可、依申请公开和投诉举报，可混合（CSV/GBK、Excel、Parquet、JSON Lines）。
    Review a batch of records: penalty decisions, licensing applications, disclosure requests and
    complaints, mixed or not (CSV/GBK, Excel, Parquet, JSON Lines)."""
    from engine.review import (load_references, open_outputs, review_records,
                               use_batch_memory_pool, write_review)
    from engine.stream import memory_option
    try:
        memory_bytes = memory_option(memory)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--memory") from None
    use_batch_memory_pool()
    as_of = as_of or _today()
    show = sys.stderr.isatty()
    steps = ["read", "evaluate", "write"]
    import time
    times = {}
    if report_html is not None:
        _check_report_path(report_html, out_dir)
    _check_sources(files, db_url, table, query)
    if to_db:
        from engine.io.db.writer import check_target
        check_target(to_db)                     # before the review: a wrong URL fails in a second
    with open_outputs(out_dir, excel) as outs, \
            click.progressbar(length=len(steps), label="审查 reviewing", file=sys.stderr,
                              show_pos=True) if show else _NoBar() as bar:
        t = time.perf_counter()
        refs = load_references(catalog, powers, as_of, c.ruleset.root)
        summ = None
        from engine.stream import review_source
        if db_url:                   # the cursor spilled to a Parquet file in the output folder past one batch
            from engine.io.db.spill import open_db_source
            source = open_db_source(db_url, table, query, amount_unit, batch_rows=batch_rows, memory=memory_bytes,
                                    spill_dir=outs.folder)
        else:                        # in batches of rows when the input is larger than one (engine.stream)
            from engine.stream import open_source
            source = open_source(files, amount_unit)
        try:
            summ = review_source(source, c.ruleset, as_of, c.calendar, kind, refs, threads, outs, excel,
                                 memory_bytes, batch_rows, times, fmt=out_format)
            raw = source.whole() if summ is None else None
        finally:
            getattr(source, "close", lambda: None)()
        del source
        if summ is None:
            times["read"] = time.perf_counter() - t
            bar.update(1)
            t = time.perf_counter()
            ev = review_records(raw, c.ruleset, as_of, c.calendar, kind, refs, threads)
            del raw
            times["evaluate"] = time.perf_counter() - t
            bar.update(1)
            t = time.perf_counter()
            summ = write_review(ev, outs, excel, out_format)
            times["write"] = time.perf_counter() - t
        else:
            bar.update(2)
        bar.update(1)
    if to_db:                        # after the folder is sealed: the database gets the finished set
        from engine.io.db.writer import write_run_to_db
        done = write_run_to_db(out_dir, to_db)
        click.echo(f"已写入数据库 written to {done['url']}: 运行 run {done['run_id']} — {done['cases']} 案件 cases, "
                   f"{done['findings']} 问题 findings, {done['rejected']} 拒收 rejected"
                   + ("（替换了同一运行 replaced）" if done["replaced"] else ""))
    if report_html is not None:      # after the folder is sealed: the report reads it as one finished set
        from engine.report.html import write_review_html
        size = write_review_html(out_dir, report_html)
        click.echo(f"报告已生成 report written: {report_html} ({size / 1024:,.0f} KB)")
    if timings:
        click.echo("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()), err=True)
    click.echo(f"审查完成 reviewed: {summ['input_rows']} 条记录 rows — {summ['evaluated']} 已审查 evaluated, "
               f"{summ['rejected']} 拒收 rejected; {summ['findings']} 个确定问题 definite findings in "
               f"{summ['cases_with_findings']} 个案件 cases → {out_dir}")
    from engine.findings import CODES
    for code, count in summ["by_code"].items():
        click.echo(f"  {CODES[code].zh} {code}: {count}")
    if summ["possible_findings"]:
        click.echo(f"另有 {summ['possible_findings']} 个可能问题 possible findings in {summ['cases_with_possible_findings']} "
                   "个案件 cases（取决于未填写的事实 depend on blank facts; 见 see findings.jsonl certainty/depends_on）")
        for code, count in summ["possible_by_code"].items():
            click.echo(f"  ? {CODES[code].zh} {code}: {count}")
    if fail_on:
        ranks = ["low", "medium", "high"]
        hit = [s for s in ranks[ranks.index(fail_on):] if summ["by_severity"].get(s)]
        if hit:
            sys.exit(1)


def _check_sources(files, db_url, table, query) -> None:
    if db_url is None and (table or query):
        raise UserError("--table/--query 须与 --db 同用 (--table and --query need --db)")
    if db_url is not None and files:
        raise UserError("请只给出记录文件或 --db 之一 (give record files or --db, not both)")
    if db_url is None and not files:
        raise UserError("缺少输入：请给出记录文件或 --db URL (no input: give record files or --db URL)")
    if db_url is not None and bool(table) == bool(query):
        raise UserError("--db 须与 --table 或 --query 之一同用 (--db needs exactly one of --table or --query)")


def _check_report_path(report_html: Path, out_dir: Path) -> None:
    from engine.io.outset import check_writable_file
    from engine.review import REVIEW_OUTPUTS
    check_writable_file(report_html, "--report")
    if report_html.resolve().parent == Path(out_dir).resolve() and \
            report_html.name in (*REVIEW_OUTPUTS, "summary.json"):
        raise UserError(f"--report {report_html}: 与审查结果文件同名 (has the name of one of the outputs)")


def _amount_unit(value: str) -> str:
    from engine.records.values import amount_unit
    try:
        return amount_unit(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def update(self, n):
        pass


# -- check ---------------------------------------------------------------------------------------
RECORD_OPTIONS = [
    ("case_id", str), ("department", str), ("officers", str), ("party_type", str), ("party_id", str),
    ("party_name", str), ("act_id", str), ("violation_code", str), ("violation_date", str),
    ("violation_end_date", str), ("discovered_date", str), ("filed_date", str), ("decision_date", str),
    ("publicized_date", str), ("procedure", str), ("goods_value", str), ("illegal_gain", str),
    ("ad_fee", str), ("prior_year_income", str), ("accident_level", str), ("prior_violations_2y", str),
    ("ad_fee_uncomputable", str), ("refused_correction", str), ("fine", str), ("confiscated_gain", str),
    ("sanctions", str), ("factors", str), ("harm", str), ("serious", str), ("hearing_notified", str),
    ("extension_approved", str),
]


def _record_option_help(name: str) -> str:
    """An option's help from the record schema: Chinese name, type or unit, allowed values (Chinese first)."""
    from engine.records.schema import PENALTY
    col = PENALTY.by_name.get(name)
    if col is None:
        return name
    kind = "金额，元 (amount, yuan)" if getattr(col, "money", False) else f"{col.type.zh} ({col.type.value})"
    text = f"{col.zh}，{kind}"
    if col.type.value == "list":
        text += "，用 ; 分隔 (separated by ;)"
    if col.codes:
        text += "。取值 values: " + "、".join(
            f"{spellings[0]} ({code})" if spellings else code for code, spellings in col.codes.items())
    return text


def _record_options(fn):
    for name, _ in reversed(RECORD_OPTIONS):
        fn = click.option(f"--{name.replace('_', '-')}", name, default=None, metavar="VALUE",
                          help=_record_option_help(name))(fn)
    return fn


@main.command()
@click.option("--json", "json_in", is_flag=False, flag_value="", default=None, metavar="['{...}']",
              help="以一个 JSON 对象输出结果；给出值时同时从中读取记录（键为标准列名或中文列名） "
                   "Print the result as one JSON object; with a value, also read the record from it "
                   "(keys: canonical or Chinese column names).")
@click.option("--file", "file_in", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="含一条记录的单行文件（CSV/Excel/Parquet/JSONL） A one-row CSV/Excel/Parquet/JSONL file holding the record.")
@click.option("--as-of", type=DATE, default=None, help="判断期限的基准日（默认今天；日期写法同记录中的日期） Date deadlines are judged at (default: today).")
@click.option("--output", type=click.Choice(["text", "json"]), default=None,
              help="输出格式：text 中文附英文（默认），json（给出 --json 时默认） "
                   "text (Chinese with English; the default) or json (the default with --json).")
@_record_options
@pass_ctx
@guard
def check(c: Context, json_in, file_in, as_of, output, **fields):
    """核查一份处罚决定：适用条款和版本、裁量阶次、法定罚款幅度、处罚种类和每个问题。退出码：0 没有确定问题
    （可能问题连同决定它们的事实一并列出），1 有确定问题，2 输入有误。
    Check one penalty decision; exit 0 = no definite finding (possible ones are printed with the
    facts that would decide them), 1 = a definite finding, 2 = bad input.

    记录可用选项、--json '{...}'（中文或英文键）或单行 --file 给出。
    Give the record as options (--violation-code FSL-124-1 --goods-value 8000 ...),
    as --json '{...}', or as a one-row --file.
    """
    import pandas as pd

    from engine.penalty.check import check_record, render_text
    given = {k: v for k, v in fields.items() if v is not None}
    if json_in:
        try:
            obj = json.loads(json_in)
        except json.JSONDecodeError as e:
            raise UserError(f"--json：JSON 无法解析，第 {e.colno} 列 (invalid JSON: {e.msg}, column {e.colno})")
        if not isinstance(obj, dict):
            raise UserError("--json：应为一个 JSON 对象 (give one JSON object)")
        given = {**obj, **given}
    if file_in:
        from engine.io.readers import read_table
        frame = read_table(file_in)
        if len(frame) != 1:
            raise UserError(f"{file_in}：含 {len(frame)} 条记录，check 只核查一条，批量请用 review "
                            f"(holds {len(frame)} records; check takes one, use review for batches)")
        rec = {k: v for k, v in frame.iloc[0].to_dict().items() if not k.startswith("__") and not pd.isna(v)}
        given = {**rec, **given}
    if not given:
        raise UserError("没有给出记录：请用选项、--json 或 --file 给出（见 --help） "
                        "(no record given: use options, --json or --file)")
    if not _names_case_id(given):
        given["case_id"] = "CHECK-1"
    result = check_record(given, c.ruleset, as_of or _today(), c.calendar)
    if output is None:
        output = "json" if json_in is not None else "text"
    if output == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_text(result))
    if result["status"] == "rejected":
        sys.exit(2)
    sys.exit(1 if result.get("codes") else 0)


def _names_case_id(given: dict) -> bool:
    """Whether the record already has a case id under any of its spellings (案件编号, case_id, ...)."""
    from engine.records.schema import PENALTY
    return any(PENALTY.field_of(k) == "case_id" for k in given)


# -- rules ---------------------------------------------------------------------------------------
class RulesGroup(LazyGroup):
    lazy = {"draft": ("engine.library.draft_command", "draft")}


@main.group(cls=RulesGroup)
def rules():
    """规则文件：检查、运行用例、列出和查看条款、覆盖情况。
    Rule files: lint, run their test cases, list and show provisions, coverage, draft from the text."""


@rules.command("lint")
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
@guard
def rules_lint(c: Context, rules_dir):
    """静态检查规则文件，逐条输出 文件:行: 原因，有问题时退出码 1。
    Static checks of rule files; prints file:line: reason and exits 1 on any problem."""
    from engine.ruleset.lint import lint
    problems, count = lint(rules_dir or c.rules_dir)
    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo(f"规则文件有 {len(problems)} 个问题 ({len(problems)} problem(s) in the rules)", err=True)
        sys.exit(1)
    from engine.library.yielding import yielding_notes       # 特别法优先: notes for a person, not problems
    from engine.ruleset.loader import load_rules
    for note in yielding_notes(load_rules(rules_dir or c.rules_dir)):
        click.echo(note)
    click.echo(f"OK：{count} 个条款，没有问题 ({count} provision(s), no problems)")


@rules.command("test")
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
@guard
def rules_test(c: Context, rules_dir):
    """运行规则旁的手工用例（*.cases.yaml）。Run the YAML test cases (*.cases.yaml) that live beside the rules."""
    from engine.testing import run_cases
    from engine.ruleset.loader import load_rules
    rs = load_rules(rules_dir) if rules_dir else c.ruleset
    results = run_cases(rs, c.calendar)
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"{'PASS' if r.ok else 'FAIL'} {r.file}:{r.line} {r.name}")
        for d in r.differences:
            click.echo(f"    {d}")
    click.echo(f"通过 {len(results) - len(failed)} 个，失败 {len(failed)} 个 ({len(results) - len(failed)} passed, "
               f"{len(failed)} failed)")
    sys.exit(1 if failed else 0)


@rules.command("list")
@click.option("--law", default=None, help="只列出该法规的条款 Only provisions of this law (full or short title, e.g. 食品安全法).")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 Print JSON.")
@pass_ctx
@guard
def rules_list(c: Context, law, as_json):
    """条款库：每个处罚条款的编号、名称、条文、版本和分支数。
    The provision library: id, title, citation, versions and branch count of every provision."""
    from engine.library.listing import render_text, rows
    items = rows(c.ruleset, law)
    if law and not items:
        raise UserError(f"没有该法规的条款 (no provisions of this law): {law}")
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(items))


@rules.command("coverage")
@click.option("--law-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="法规文本文件夹 Folder of statute texts, NAME(YYYY-MM-DD).md (default: the bundled rules/texts/).")
@click.option("--missing", "show_missing", is_flag=True, help="列出缺少的条文 List the missing articles.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 Print JSON.")
@pass_ctx
@guard
def rules_coverage(c: Context, law_dir, show_missing, as_json):
    """处罚条文覆盖情况：每部法律中设定处罚的条文，已编码、已排除、缺少的各有多少。
    Per law: articles that impose penalties, how many are encoded, excluded (rules/coverage.yaml) or missing."""
    from engine.library.coverage import coverage, render
    rows = coverage(c.ruleset, law_dir)
    if as_json:
        click.echo(json.dumps([r.row() for r in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(render(rows, show_missing))


@rules.command("show")
@click.argument("provision_id")
@pass_ctx
@guard
def rules_show(c: Context, provision_id):
    """显示一个条款（或期限规则）的版本、分支、阶次和依据。
    Print one provision (or deadline rule) with its versions, branches, tiers and citations."""
    from engine.deadlines.explain import show_deadline
    from engine.penalty.explain import show_provision
    rs = c.ruleset
    if provision_id in rs.deadlines:
        click.echo(show_deadline(rs.deadlines[provision_id]))
        return
    if provision_id not in rs.provisions and provision_id in rs.codes:
        provision_id = rs.codes[provision_id]
    if provision_id not in rs.provisions:
        raise UserError(f"没有条款或期限规则 '{provision_id}' (no provision or deadline '{provision_id}'); "
                        f"已有 (known): {', '.join(sorted(rs.provisions) + sorted(rs.deadlines))}")
    click.echo(show_provision(rs, rs.provisions[provision_id]))


def entry():
    """The ``zhunsheng`` console script: ``main`` in a process that ends without tearing down its heap.

    A review of a million records leaves over a gigabyte of arrays behind; freeing
    them object by object at interpreter exit takes a quarter of a second and
    changes nothing, since every report is already written and renamed into place
    (writes are atomic) and every database transaction committed.  So once the
    command has finished, the output streams are flushed and the process exits.
    """
    import os
    from engine.cli_support import log_internal_error
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    except Exception as e:          # a bug, not bad input: one line and a log, never a bare traceback
        code = log_internal_error(e)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
