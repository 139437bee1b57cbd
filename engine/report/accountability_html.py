"""The accountability page: the 问责建议 of one ``zhunsheng accountability`` run as an offline HTML file,
read from its finished output folder (notices.jsonl, summary.json) like the review report.

The page says first, as the run does, that these are recommendations for the legal-affairs office to
review and never sanctions.  Charts: recommendations per department by measure, per rule, and the
department ranking; then every recommendation in a searchable, sortable table with its reason and basis.
"""
from __future__ import annotations

import contextlib
from html import escape
from pathlib import Path

from engine.errors import InputError
from engine.report import labels as L
from engine.report.charts import COUNT_AXIS, spec_of
from engine.report.folder import iter_jsonl
from engine.report.page import Charts, Raw, card, document, int_or_none, table

SUBJECT_ZH = {"officer": "执法人员", "department": "部门", "leader": "部门负责人"}
NOTICE_ROWS = 2000


@contextlib.contextmanager
def open_accountability(folder: Path):
    """The summary of a complete accountability run in ``folder``, held still while it is read."""
    from engine.io.outset import reading
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 不是文件夹 (not a folder)")
    with reading(folder, ("notices.jsonl",)) as summary:
        if "notices" not in summary:
            raise InputError(f"{folder}: 不是问责建议输出文件夹 (not an accountability output folder)")
        yield summary


def is_accountability_folder(summary: dict) -> bool:
    return "notices" in summary and "notices.jsonl" in (summary.get("files") or {})


def write_accountability_html(out_dir: Path, target: Path) -> int:
    """Build the page from a finished accountability folder; returns the size of the file in bytes."""
    from engine.io.atomic import write_text
    with open_accountability(out_dir) as summary:
        if Path(target).resolve().parent == Path(out_dir).resolve() and Path(target).name in summary["files"]:
            raise InputError(f"--html {target}: 与输出文件同名 (has the name of one of the run's own files)")
        page = render(summary, list(iter_jsonl(Path(out_dir) / "notices.jsonl")))
    write_text(Path(target), page)
    return len(page.encode("utf-8"))


def render(summary: dict, notices: list[dict]) -> str:
    ch = Charts()
    sections = [_overview(summary), _charts(summary, notices, ch), _notices(notices), _exemptions(summary)]
    subtitle = (f"<strong>{escape(summary.get('notice_zh', ''))}</strong> {escape(summary.get('notice_en', ''))}"
                f"<br>统计期间 window {escape(str(summary.get('window_start', '')))} 至 "
                f"{escape(str(summary.get('window_end', '')))} · 运行编号 run {escape(str(summary.get('run_id', '')))}")
    nav = [("overview", "概况"), ("charts", "分布"), ("notices", "问责建议"), ("exemptions", "容错免责与拒收")]
    return document("准绳 问责建议", "Zhunsheng accountability recommendations", subtitle, nav, sections, ch,
                    "由准绳 Zhunsheng 根据问责建议输出文件（notices.jsonl、summary.json）生成；本页不联网。"
                    "Made from the accountability output files; works offline.")


def _overview(s: dict) -> str:
    cards = [card("notices", "问责建议 recommendations", s.get("notices", 0)),
             card("findings_in_window", "期间内问题 findings in the window", s.get("findings_in_window", 0)),
             card("findings_exempted", "容错免责扣除 findings exempted", s.get("findings_exempted", 0))]
    cards += [card(f"by_subject_type.{k}", f"{SUBJECT_ZH.get(k, k)} {k}", n)
              for k, n in (s.get("by_subject_type") or {}).items()]
    measures = "".join(card(f"by_measure.{k}", k, n) for k, n in (s.get("by_measure") or {}).items())
    return (f'<section id="overview"><h2>概况 Overview</h2><div class="cards">{"".join(cards)}</div>'
            f'<h3>按措施 by measure</h3><div class="cards">{measures}</div></section>')


def _charts(s: dict, notices: list[dict], ch: Charts) -> str:
    import altair as alt
    counts: dict[tuple, int] = {}
    for n in notices:
        key = (L.department(n.get("department")), n.get("measure") or "")
        counts[key] = counts.get(key, 0) + 1
    rows = [{"部门": d, "措施": m, "建议数": k} for (d, m), k in counts.items()]
    by_dept = None
    if rows:
        by_dept = spec_of(alt.Chart(alt.Data(values=rows)).mark_bar().encode(
            y=alt.Y("部门:N", sort="-x", title=None), x=alt.X("sum(建议数):Q", title="建议数", axis=COUNT_AXIS()),
            color=alt.Color("措施:N", title="措施"),
            tooltip=["部门:N", "措施:N", alt.Tooltip("sum(建议数):Q", title="建议数")],
        ).properties(width="container", height=max(60, 26 * len({r["部门"] for r in rows})),
                     title="各部门问责建议（按措施）"))
    ranking = [{"部门": L.department(r.get("department")), "每百件问题数": r.get("rate_per_100"),
                "列入后几名": "是" if r.get("selected") else "否"}
               for r in s.get("ranking") or [] if r.get("eligible") and r.get("rate_per_100") is not None]
    rank = None
    if ranking:
        rank = spec_of(alt.Chart(alt.Data(values=ranking)).mark_bar().encode(
            y=alt.Y("部门:N", sort="-x", title=None), x=alt.X("每百件问题数:Q", title="每百件已审查案件的问题数"),
            color=alt.Color("列入后几名:N", scale=alt.Scale(domain=["是", "否"], range=["#c0392b", "#95a5a6"]),
                            title="列入后几名"),
            tooltip=["部门:N", "每百件问题数:Q", "列入后几名:N"],
        ).properties(width="container", height=max(60, 26 * len(ranking)), title="部门排名（参与排名的部门）"))
    return ('<section id="charts"><h2>分布 Recommendations by department and ranking</h2>'
            f'<div class="grid"><div>{ch.div(by_dept, "各部门问责建议")}</div>'
            f'<div>{ch.div(rank, "部门排名")}</div></div></section>')


def _notices(notices: list[dict]) -> str:
    heads = [("对象类型", "text"), ("编号", "text"), ("姓名或名称", "text"), ("部门", "text"), ("问责措施建议", "text"),
             ("同时建议", "text"), ("规则", "text"), ("问题数", "num"), ("理由 reason", "text"), ("依据 basis", "text"),
             ("问题 findings", "text")]
    rows = []
    for n in notices[:NOTICE_ROWS]:
        reason = Raw(f'{escape(n.get("reason_zh") or "")}<span class="en">{escape(n.get("reason_en") or "")}</span>')
        found = n.get("findings") or []
        listed = "；".join(f"{f.get('case_id')} {L.code_name(f.get('code') or '')}" for f in found[:20])
        if len(found) > 20:
            listed += f"……（共 {len(found)} 个）"
        rows.append([SUBJECT_ZH.get(n.get("subject_type"), n.get("subject_type") or ""), n.get("subject_id") or "",
                     n.get("subject_name") or "", L.department(n.get("department")), n.get("measure") or "",
                     "、".join(n.get("recommend") or []), n.get("rule_id") or "", n.get("count", 0), reason,
                     L.citation_text(n.get("citations")), listed])
    note = ""
    if len(notices) > NOTICE_ROWS:
        note = f'<p class="note">共 {len(notices):,} 条，本页列出前 {NOTICE_ROWS:,} 条；完整清单见 notices.jsonl。</p>'
    return (f'<section id="notices"><h2>问责建议 Recommendations ({len(notices):,})</h2>{note}'
            + table("notices-table", heads, rows, search="搜索：姓名、部门、措施、案件编号… (search)") + "</section>")


def _exemptions(s: dict) -> str:
    ex = (s.get("exemptions") or {}).get("list") or []
    ex_rows = [[e.get("case_id", ""), L.code_name(e.get("code") or ""), e.get("reason", ""), e.get("approved_by", ""),
                e.get("findings_removed", 0)] for e in ex]
    rej = s.get("rejected_rows") or []
    rej_rows = [[r.get("kind", ""), r.get("file", ""), (r.get("row"), int_or_none(r.get("row"))), r.get("id", ""),
                 r.get("reason", "")] for r in rej]
    return ('<section id="exemptions"><h2>容错免责与拒收 Exemptions and rejected rows</h2><h3>已采纳的容错免责</h3>'
            + (table("exemptions-table", [("案件编号", "text"), ("问题", "text"), ("免责理由", "text"),
                                          ("批准人", "text"), ("免除问题数", "num")], ex_rows)
               if ex_rows else '<p class="note">无 (none)</p>')
            + "<h3>拒收行</h3>"
            + (table("rejected-table", [("文件类型", "text"), ("文件", "text"), ("原始行号", "num"), ("编号", "text"),
                                        ("拒收原因", "text")], rej_rows, search="搜索拒收行 (search)")
               if rej_rows else '<p class="note">无 (none)</p>')
            + "</section>")
