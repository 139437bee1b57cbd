"""The review report as one HTML file that works with no network (government intranets have none):
every script and style is inside the file, and a Content-Security-Policy forbids the page to load
anything from anywhere.

Built from a finished review folder (``engine.report.folder``): overview counts; findings by department,
category and code; for every provision, where the decided fines sit against the statutory band and the
tiers; deadline lateness against each limit; a searchable, sortable findings table with each finding's
explanation and citation; the rejected rows.  Every string from input is HTML-escaped; chart data goes in
as JSON inside ``<script type="application/json">`` with ``<`` escaped, so no input is ever markup or code.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from engine.report import charts
from engine.report import labels as L
from engine.report.folder import ReviewFiles, open_review
from engine.report.page import Charts, Raw, card, document, int_or_none, table
from engine.report.stats import PROVISIONS_DRAWN, REJECTED_ROWS, TABLE_ROWS, ReportStats, gather


def write_review_html(out_dir: Path, target: Path) -> int:
    """Build the report from a finished review folder; returns the size of the file in bytes."""
    from engine.report.workbook import refuse_own_name
    with open_review(out_dir) as files:
        refuse_own_name(files, Path(target), "--html")
        return write_html_of(files, Path(target))


def write_html_of(files: ReviewFiles, target: Path) -> int:
    from engine.io.atomic import write_text
    page = render(gather(files), files)
    write_text(Path(target), page)
    return len(page.encode("utf-8"))


def render(stats: ReportStats, files: ReviewFiles) -> str:
    s = stats.summary
    ch = Charts()
    parts = [_overview(stats), _distribution(stats, ch), _discretion(stats, ch), _deadlines(stats, ch),
             _findings(stats), _rejected(stats)]
    nav = [("overview", "概况"), ("distribution", "问题分布"), ("discretion", "罚款裁量"), ("deadlines", "期限"),
           ("findings", "问题清单"), ("rejected", "拒收记录")]
    sources = "；".join(sorted({str(f) for f in _input_files(s)}))
    as_of = f" · 审查基准日 as of {escape(str(s['as_of']))}" if s.get("as_of") else ""
    refs = f" · 参照 references：{escape(sources)}" if sources else ""
    return document("准绳 审查报告", "Zhunsheng review report",
                    f"运行编号 run {escape(str(s.get('run_id', '')))}{as_of}{refs}", nav, parts, ch,
                    "由准绳 Zhunsheng 根据审查结果文件（cases.jsonl、findings.jsonl、rejected.csv、summary.json）生成；"
                    "本页不联网，图表由内嵌的 Vega-Lite 绘制。Made from the review output files; works offline; "
                    "charts drawn by the embedded Vega-Lite.")


def _input_files(summary: dict):
    inputs = summary.get("inputs") or {}
    for v in inputs.values():
        if isinstance(v, dict) and v.get("file"):
            yield v["file"]
    for f in summary.get("files_read", []) or []:
        yield f


def _overview(stats: ReportStats) -> str:
    s = stats.summary
    split = "possible_findings" in s
    cards = [card("input_rows", "输入记录 input rows", s.get("input_rows", 0)),
             card("evaluated", "已审查 evaluated", s.get("evaluated", 0)),
             card("rejected", "拒收 rejected", s.get("rejected", 0)),
             card("findings", "确定问题 definite findings" if split else "问题 findings", s.get("findings", 0)),
             card("cases_with_findings", "有问题的案件 cases with findings", s.get("cases_with_findings", 0))]
    if split:
        cards += [card("possible_findings", "可能问题（取决于未填写的事实）possible findings", s["possible_findings"]),
                  card("cases_with_possible_findings", "有可能问题的案件 cases with possible findings",
                        s.get("cases_with_possible_findings", 0))]
    else:
        for k, n in sorted(stats.certainty.items()):
            cards.append(card(f"certainty.{k}", f"{L.CERTAINTY_ZH.get(k, k)}问题 {k} findings", n))
    cats = "".join(card(f"by_category.{c}", f"{L.CATEGORY_ZH.get(c, c)} {c}", n)
                   for c, n in (s.get("by_category") or {}).items())
    sev = "".join(card(f"by_severity.{k}", f"严重程度{L.SEVERITY_ZH.get(k, k)} {k}", n)
                  for k, n in sorted((s.get("by_severity") or {}).items(), key=lambda kv: L.SEVERITY_ORDER.get(kv[0], 9)))
    kinds = s.get("by_kind") or {}
    kind_rows = [[L.KIND_ZH.get(k, k), v.get("input_rows", v.get("rows", "")), v.get("evaluated", ""),
                  v.get("rejected", ""), v.get("findings", "")] for k, v in kinds.items() if isinstance(v, dict)]
    kind_table = table("kinds", [("记录类型", "text"), ("输入记录", "num"), ("已审查", "num"), ("拒收", "num"),
                                  ("问题", "num")], kind_rows) if kind_rows else ""
    return (f'<section id="overview"><h2>概况 Overview</h2><div class="cards">{"".join(cards)}</div>'
            f'<h3>按类别 by category</h3><div class="cards">{cats}</div>'
            f'<h3>按严重程度 by severity</h3><div class="cards">{sev}</div>'
            + (f"<h3>按记录类型 by kind</h3>{kind_table}" if kind_table else "") + "</section>")


def _distribution(stats: ReportStats, ch: Charts) -> str:
    s = stats.summary
    rows = []
    for d, v in (s.get("by_department") or {}).items():
        ev = v.get("evaluated", 0)
        rate = v.get("cases_with_findings", 0) / ev if ev else 0
        rows.append([L.department(d), ev, v.get("rejected", 0), v.get("findings", 0), v.get("cases_with_findings", 0),
                     (f"{rate:.1%}", rate)] + [(v.get("by_category") or {}).get(c, 0) for c in L.CATEGORY_ZH])
    heads = [("执法部门", "text"), ("已审查", "num"), ("拒收", "num"), ("问题", "num"), ("有问题案件", "num"),
             ("有问题案件占比", "num")] + [(z, "num") for z in L.CATEGORY_ZH.values()]
    from engine.findings import CODES
    possible = s.get("possible_by_code") or {}
    code_rows = []
    for c in sorted(set(s.get("by_code") or {}) | set(possible)):
        known = CODES.get(c)
        code_rows.append([L.code_name(c), c, L.CATEGORY_ZH.get(known.category, "") if known else "",
                          L.SEVERITY_ZH.get(known.severity, "") if known else "", (s.get("by_code") or {}).get(c, 0)]
                         + ([possible.get(c, 0)] if "possible_by_code" in s else []))
    code_heads = [("问题名称", "text"), ("问题代码", "text"), ("类别", "text"), ("严重程度", "text"),
                  ("确定问题数" if "possible_by_code" in s else "问题数", "num")] + \
                 ([("可能问题数", "num")] if "possible_by_code" in s else [])
    return ('<section id="distribution"><h2>问题分布 Findings by department, category and code</h2>'
            f'<div class="grid"><div>{ch.div(charts.by_department(s), "各部门问题数")}</div>'
            f'<div>{ch.div(charts.by_code(s), "各类问题数")}</div></div>'
            f'<h3>部门汇总 by department</h3>{table("departments", heads, rows)}'
            f'<h3>问题分类 by code</h3>'
            + table("codes", code_heads, code_rows) + "</section>")


def _discretion(stats: ReportStats, ch: Charts) -> str:
    provs = stats.provisions
    if not provs:
        return ('<section id="discretion"><h2>罚款裁量 Fines against the lawful band and tiers</h2>'
                '<p class="note">本次审查没有适用罚款条款的处罚决定 (no penalty decisions).</p></section>')
    out = ['<section id="discretion"><h2>罚款裁量 Fines against the lawful band and tiers</h2>',
           '<p class="note">每个条款的处罚决定按罚款所处位置分类：在情节所对应的裁量阶次内，高于或低于阶次，'
           "或超出法定幅度。Each provision's decisions by where the fine sits.</p>",
           ch.div(charts.fine_positions(provs), "各条款处罚决定的罚款位置")]
    out.append('<p class="note">下列各图：灰条为法定幅度，绿条为情节所对应的裁量阶次幅度，菱形为决定的罚款'
               f"（已知罚款金额的案件 {stats.fines_known:,} 件；cases.jsonl 未记录罚款金额，"
               "没有罚款类问题的案件只画出幅度）。Grey: statutory band; green: the tiers the facts allow; "
               "diamond: the fine decided (known for cases with findings).</p>")
    for p in provs[:PROVISIONS_DRAWN]:
        more = (f"（共 {p.cases:,} 件，图中画出 {len(p.drawn)} 件，有问题的在前）" if p.cases > len(p.drawn) else "")
        out.append(f"<h3>{escape(p.provision)} {escape(p.citation)}{escape(more)}</h3>")
        out.append(ch.div(charts.provision_detail(p), f"{p.provision} 罚款位置"))
    if len(provs) > PROVISIONS_DRAWN:
        out.append(f'<p class="note">另有 {len(provs) - PROVISIONS_DRAWN} 个条款未单独作图（见上方汇总图）。</p>')
    out.append("</section>")
    return "".join(out)


def _deadlines(stats: ReportStats, ch: Charts) -> str:
    rows = stats.lateness
    if not rows:
        return ('<section id="deadlines"><h2>期限 Deadline lateness</h2>'
                '<p class="note">没有逾期问题 (no missed deadlines).</p></section>')
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r["name"], r["code"], r["unit"], r["limit"]), []).extend([r["late"]] * r["count"])
    summary_rows = []
    for (name, code, unit, limit), lates in groups.items():
        lates.sort()
        summary_rows.append([name, code, unit, "" if limit is None else limit, len(lates), lates[len(lates) // 2],
                      lates[-1]])
    return ('<section id="deadlines"><h2>期限 Deadline lateness</h2>'
            + ch.div(charts.lateness(rows), "逾期情况")
            + table("lateness", [("期限", "text"), ("问题代码", "text"), ("单位", "text"), ("法定期限", "num"),
                                  ("逾期件数", "num"), ("逾期中位数", "num"), ("最长逾期", "num")], summary_rows)
            + "</section>")


def _findings(stats: ReportStats) -> str:
    with_certainty = any(r["certainty"] for r in stats.table)
    heads = [("案件编号", "text"), ("执法部门", "text"), ("记录类型", "text"), ("问题", "text"), ("类别", "text"),
             ("严重程度", "text")] + ([("确定性", "text")] if with_certainty else []) + \
            [("日期", "text"), ("说明 explanation", "text"), ("法律依据 citation", "text")]
    rows = []
    for r in stats.table:
        explain = Raw(f'{escape(r["message_zh"])}<span class="en">{escape(r["message_en"])}</span>')
        problem = Raw(f'{escape(r["name"])}<span class="en">{escape(r["code"])}</span>')
        row = [r["case_id"], r["department"], r["kind"], (problem, r["code"]), r["category"],
               (r["severity"], r["severity_rank"], f"sev-{r['severity']}")]
        if with_certainty:
            row.append(r["certainty"])
        row += [r["date"], explain, r["citation"]]
        rows.append(row)
    note = ""
    if stats.table_total > len(rows):
        note = (f'<p class="note">共 {stats.table_total:,} 个问题，本页列出最严重的 {len(rows):,} 个；完整清单见 '
                f"findings.jsonl 或工作簿（zhunsheng report DIR --excel）。Only the {len(rows):,} most serious of "
                f"{stats.table_total:,} findings are listed here.</p>")
    return (f'<section id="findings"><h2>问题清单 Findings ({stats.table_total:,})</h2>{note}'
            + table("findings-table", heads, rows, search="搜索：案件编号、部门、问题、条文… (search)")
            + "</section>")


def _rejected(stats: ReportStats) -> str:
    if not stats.rejected_total:
        return '<section id="rejected"><h2>拒收记录 Rejected rows</h2><p class="note">没有拒收记录 (none).</p></section>'
    rows = []
    for r in stats.rejected:
        ident = r.get("case_id") or r.get("item_code") or r.get("power_code") or ""
        row = r.get("row")
        rows.append([r.get("_source", ""), r.get("file", ""), (row, int_or_none(row)), ident,
                     L.KIND_ZH.get(r.get("record_kind"), r.get("record_kind") or ""), r.get("reason", "")])
    note = ""
    if stats.rejected_total > len(rows):
        note = (f'<p class="note">共 {stats.rejected_total:,} 行，本页列出前 {len(rows):,} 行；完整清单见 rejected.csv。'
                f"Only the first {REJECTED_ROWS:,} are listed.</p>")
    return (f'<section id="rejected"><h2>拒收记录 Rejected rows ({stats.rejected_total:,})</h2>{note}'
            + table("rejected-table", [("来源", "text"), ("文件", "text"), ("原始行号", "num"), ("编号", "text"),
                                        ("记录类型", "text"), ("拒收原因", "text")], rows,
                     search="搜索拒收记录 (search)") + "</section>")


__all__ = ["write_review_html", "write_html_of", "TABLE_ROWS"]
