"""The report's charts as Vega-Lite specifications, built with altair from the aggregates of ``stats``.

Vega-Lite (rendered in the page by the inlined vega-embed bundle) rather than hand-drawn SVG: axes,
scales, legends and tooltips come from a maintained library, and the specification is data, so nothing
from input is ever code.  Labels are Chinese; the font list names the CJK fonts Windows, macOS and
Linux desktops have, since the page embeds no font.
"""
from __future__ import annotations

from engine.report import labels as L
from engine.report.stats import POSITIONS, ProvisionStats

FONT = ('"Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC", '
        '"WenQuanYi Micro Hei", "SimHei", sans-serif')
CATEGORY_COLORS = {"乱作为": "#c0392b", "不作为": "#e67e22", "罚人情款": "#8e44ad", "程序违法": "#2980b9"}
POSITION_COLORS = ("#8e44ad", "#c39bd3", "#27ae60", "#f0b27a", "#c0392b", "#7f8c8d")


def COUNT_AXIS():
    """Counts and days are whole numbers: no 0.5 on their axes."""
    import altair as alt
    return alt.Axis(format="d", tickMinStep=1)


def _alt():
    import altair as alt
    return alt


def _config(chart):
    return (chart.configure(font=FONT)
            .configure_axis(labelFont=FONT, titleFont=FONT, labelLimit=320)
            .configure_legend(labelFont=FONT, titleFont=FONT, orient="bottom")
            .configure_title(font=FONT, anchor="start", fontSize=14)
            .configure_view(stroke=None))


def spec_of(chart) -> dict:
    """The Vega-Lite specification of a chart with the report's fonts and look."""
    return _config(chart).to_dict(validate=True)


_spec = spec_of


def by_department(summary: dict) -> dict | None:
    alt = _alt()
    rows = [{"部门": L.department(d), "类别": L.CATEGORY_ZH.get(c, c), "问题数": n}
            for d, s in (summary.get("by_department") or {}).items()
            for c, n in (s.get("by_category") or {}).items() if n]
    if not rows:
        return None
    order = sorted({r["部门"] for r in rows}, key=lambda d: -sum(r["问题数"] for r in rows if r["部门"] == d))
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("部门:N", sort=order, title=None),
        x=alt.X("sum(问题数):Q", title="问题数", axis=COUNT_AXIS()),
        color=alt.Color("类别:N", scale=alt.Scale(domain=list(CATEGORY_COLORS), range=list(CATEGORY_COLORS.values())),
                        title="类别"),
        tooltip=[alt.Tooltip("部门:N"), alt.Tooltip("类别:N"), alt.Tooltip("sum(问题数):Q", title="问题数")],
    ).properties(width="container", height=max(60, 26 * len(order)), title="各部门问题数（按类别）")
    return _spec(chart)


def by_code(summary: dict) -> dict | None:
    alt = _alt()
    from engine.findings import CODES
    rows = []
    for code, n in (summary.get("by_code") or {}).items():
        c = CODES.get(code)
        rows.append({"问题": L.code_name(code), "代码": code, "问题数": n,
                     "类别": L.CATEGORY_ZH.get(c.category, c.category) if c else "其他"})
    if not rows:
        return None
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("问题:N", sort="-x", title=None),
        x=alt.X("问题数:Q", title="问题数", axis=COUNT_AXIS()),
        color=alt.Color("类别:N", scale=alt.Scale(domain=list(CATEGORY_COLORS), range=list(CATEGORY_COLORS.values())),
                        title="类别"),
        tooltip=["问题:N", "代码:N", "类别:N", "问题数:Q"],
    ).properties(width="container", height=max(60, 22 * len(rows)), title="各类问题数（确定问题）")
    return _spec(chart)


def fine_positions(provisions: list[ProvisionStats]) -> dict | None:
    """Every provision's decisions by where the fine sits: the picture of discretion at a glance."""
    alt = _alt()
    rows = [{"条款": p.provision, "位置": pos, "序": POSITIONS.index(pos), "案件数": n}
            for p in provisions for pos, n in p.positions.items()]
    if not rows:
        return None
    order = [p.provision for p in provisions]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("条款:N", sort=order, title=None),
        x=alt.X("案件数:Q", stack="normalize", title="案件占比", axis=alt.Axis(format="%")),
        color=alt.Color("位置:N", scale=alt.Scale(domain=list(POSITIONS), range=list(POSITION_COLORS)), title="罚款位置"),
        order=alt.Order("序:Q"),
        tooltip=["条款:N", "位置:N", "案件数:Q"],
    ).properties(width="container", height=max(60, 26 * len(order)), title="各条款处罚决定的罚款位置")
    return _spec(chart)


def provision_detail(p: ProvisionStats) -> dict | None:
    """One provision: for each case its statutory band (grey), the tier range its facts allow (green)
    and the decided fine (a dot coloured by where it sits)."""
    alt = _alt()
    rows = []
    for d in p.drawn:
        rows.append({"案件": d["case"], "部门": d["department"], "罚款": d["fine"],
                     "阶次下限": d["tier_min"], "阶次上限": d["tier_max"], "阶次": d["tiers"] or "—",
                     "法定下限": d["stat_min"], "法定上限": d["stat_max"], "位置": d["position"],
                     "法定幅度": L.fine_range(d["stat_min"], d["stat_max"]) if d["stat_max"] is not None else "（未记录）",
                     "阶次幅度": L.fine_range(d["tier_min"], d["tier_max"]),
                     "决定罚款": L.money(d["fine"]) if d["fine"] is not None else "（未记录）"})
    if not rows:
        return None
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("案件:N", sort=None, title=None),
        tooltip=["案件:N", "部门:N", "阶次:N", "阶次幅度:N", "法定幅度:N", "决定罚款:N", "位置:N"])
    band = base.transform_filter("isValid(datum['法定上限'])").mark_bar(color="#d5d8dc", height=14).encode(
        x=alt.X("法定下限:Q", title="金额（元）", axis=alt.Axis(format=",.0f")), x2="法定上限:Q")
    tier = base.transform_filter("isValid(datum['阶次上限'])").mark_bar(color="#82e0aa", height=8).encode(
        x=alt.X("阶次下限:Q", title="金额（元）", axis=alt.Axis(format=",.0f")), x2="阶次上限:Q")
    dots = base.transform_filter("isValid(datum['罚款'])").mark_point(filled=True, size=70).encode(
        x=alt.X("罚款:Q", title="金额（元）", axis=alt.Axis(format=",.0f")),
        color=alt.Color("位置:N", scale=alt.Scale(domain=list(POSITIONS), range=list(POSITION_COLORS)), title="罚款位置"),
        shape=alt.value("diamond"))
    layers = [layer for layer, field in ((band, "法定上限"), (tier, "阶次上限"), (dots, "罚款"))
              if any(r[field] is not None for r in rows)]
    if not layers:
        return None
    chart = alt.layer(*layers).properties(width="container", height=max(40, 20 * len(rows)))
    return _spec(chart)


def lateness(rows: list[dict]) -> dict | None:
    """Days late per kind of deadline against its limit: a tick at the limit, a dot (sized by how many
    records) at the time actually taken."""
    alt = _alt()
    data = [{"期限": f"{r['name']}（{r['unit']}）", "法定期限": r["limit"], "逾期": r["late"],
             "实际用时": (r["limit"] or 0) + r["late"], "件数": r["count"], "单位": r["unit"]}
            for r in rows]
    if not data:
        return None
    base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y("期限:N", title=None))
    limit = base.transform_filter("isValid(datum['法定期限'])").mark_tick(
        color="#2c3e50", thickness=3, size=22).encode(
        x=alt.X("法定期限:Q", title="天数（自起算日，工作日或日见括号）", axis=COUNT_AXIS()),
        tooltip=["期限:N", alt.Tooltip("法定期限:Q", title="法定期限")])
    dots = base.mark_circle(color="#c0392b", opacity=0.7).encode(
        x=alt.X("实际用时:Q", title="天数（自起算日，工作日或日见括号）", axis=COUNT_AXIS()),
        size=alt.Size("件数:Q", title="件数", scale=alt.Scale(range=[40, 600], zero=False),
                      legend=alt.Legend(format="d", tickMinStep=1)),
        tooltip=["期限:N", "法定期限:Q", alt.Tooltip("逾期:Q", title="逾期天数"), "件数:Q"])
    kinds = len({d["期限"] for d in data})
    layers = [limit, dots] if any(d["法定期限"] is not None for d in data) else [dots]
    chart = alt.layer(*layers).properties(width="container", height=max(60, 34 * kinds),
                                               title="逾期情况：竖线为法定期限，圆点为实际用时")
    return _spec(chart)
