"""The draw page: one ``zhunsheng draw run`` output folder (draw.json, 公示名单.csv/.xlsx, rejected.csv) as an
offline HTML file, built like the review report and the accountability page (engine.report.page).

Every number comes from draw.json, read strictly by ``engine.draw.document.load``; names of entities and
inspectors come from the 公示名单 the run wrote beside it (already masked there).  The page gives the
reader what is needed to check the draw without trusting it: the seed and its note, the commitment and
its time, the SHA-256 of every input and of draw.json itself, the algorithm, and the ``draw verify``
command.  Inspection results appear when ``draw results … --out DIR/results.jsonl`` (or ``.csv``) was
written into the folder.
"""
from __future__ import annotations

import hashlib
from html import escape
from pathlib import Path

from engine.errors import InputError
from engine.report.charts import COUNT_AXIS, spec_of
from engine.report.page import Charts, card, document, int_or_none, table

DRAW_JSON = "draw.json"
PUBLICATION = "公示名单"
RESULT_FILES = ("results.jsonl", "results.csv")
INPUT_ZH = {"plan": "抽查计划", "entities": "检查对象名录库", "inspectors": "执法检查人员名录库", "conflicts": "回避名单"}
EXCLUDED_ZH = {"status": "非存续状态", "filter": "不符合抽查条件", "frequency_cap": "频次上限"}
REGISTER_ZH = {"entities": "检查对象", "inspectors": "执法人员", "conflicts": "回避名单", "results": "检查结果"}
KIND_ZH = {"general": "一般检查事项", "key": "重点检查事项"}
TARGET_ROWS = 5000
OWN_FILES = (DRAW_JSON, "rejected.csv", f"{PUBLICATION}.csv", f"{PUBLICATION}.xlsx", *RESULT_FILES)


def is_draw_folder(folder: Path) -> bool:
    return (Path(folder) / DRAW_JSON).is_file()


def is_own_file(folder: Path, target: Path) -> bool:
    """Whether ``target`` would overwrite one of the draw folder's own files."""
    return Path(target).resolve().parent == Path(folder).resolve() and Path(target).name in OWN_FILES


def load_draw(folder: Path) -> tuple[dict, bytes]:
    """draw.json of a draw output folder, read as strictly as ``draw verify`` reads it."""
    from engine.draw.document import load
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 不是文件夹 (not a folder)")
    path = folder / DRAW_JSON
    if not path.is_file():
        raise InputError(f"{folder}: 不是抽查输出文件夹，没有 draw.json (not a draw output folder: no draw.json)")
    doc, raw, other = load(path)
    if other:
        raise InputError(f"{path}: 规范版本不同，无法生成页面 (another spec version): {other}")
    return doc, raw


def write_draw_html(folder: Path, target: Path) -> int:
    """Build the page from a finished draw folder; returns the size of the file in bytes."""
    from engine.io.atomic import write_text
    folder = Path(folder)
    doc, raw = load_draw(folder)
    if is_own_file(folder, Path(target)):
        raise InputError(f"{target}: 与抽查输出文件同名 (has the name of one of the draw's own files)")
    page = render(doc, raw, _publication(folder), _rejected(folder), _results(folder))
    write_text(Path(target), page)
    return len(page.encode("utf-8"))


# -- reading the files beside draw.json -------------------------------------------------------------

def _publication(folder: Path) -> dict[tuple, dict]:
    """The 公示名单 rows by (item, class, rank, entity): names of the entity and inspectors, item name."""
    import pandas as pd
    from engine.report.folder import read_csv_cells
    csv, xlsx = folder / f"{PUBLICATION}.csv", folder / f"{PUBLICATION}.xlsx"
    if csv.is_file():
        frame = read_csv_cells(csv)
    elif xlsx.is_file():
        frame = pd.read_excel(xlsx, dtype=str, header=1).fillna("")
        if "抽查事项编号" not in frame.columns:
            frame = pd.read_excel(xlsx, dtype=str).fillna("")
    else:
        return {}
    if not {"抽查事项编号", "信用风险分类", "抽取序位", "统一社会信用代码"} <= set(frame.columns):
        return {}
    out = {}
    for r in frame.to_dict("records"):
        key = (str(r["抽查事项编号"]), str(r["信用风险分类"]), str(r["抽取序位"]), str(r["统一社会信用代码"]))
        out[key] = {k: ("" if v is None else str(v)) for k, v in r.items()}
    return out


def _rejected(folder: Path) -> list[dict]:
    from engine.report.folder import read_csv_cells
    path = folder / "rejected.csv"
    return read_csv_cells(path).to_dict("records") if path.is_file() else []


def _results(folder: Path) -> list[dict] | None:
    """Findings of ``draw results --out`` written into the folder, if any."""
    from engine.report.folder import iter_jsonl, read_csv_cells
    jsonl, csv = (folder / n for n in RESULT_FILES)
    try:
        if jsonl.is_file():
            return list(iter_jsonl(jsonl))
        if csv.is_file():
            return read_csv_cells(csv).to_dict("records")
    except (ValueError, OSError) as e:
        raise InputError(f"{folder}: 检查结果文件无法读取 (the results file cannot be read): {e}") from None
    return None


# -- the page -------------------------------------------------------------------------------------

def counts(doc: dict) -> dict:
    """The overview numbers, every one from draw.json."""
    strata = doc["strata"]
    return {"items": len({s["item_id"] for s in strata}), "strata": len(strata),
            "population": sum(s["population"] for s in strata), "eligible": sum(s["eligible"] for s in strata),
            "drawn": sum(s["n"] for s in strata), "selections": len(doc["selections"]),
            "assignments": len(doc["assignments"]), "unfilled": len(doc["unfilled"]),
            "inspectors_assigned": len({i for a in doc["assignments"] for i in a["inspectors"]}),
            "rejected": sum(v.get("rejected", 0) for v in doc["inputs"].values())}


def render(doc: dict, raw: bytes, publication: dict, rejected: list[dict], results: list[dict] | None) -> str:
    ch = Charts()
    items = _item_names(doc, publication)
    sections = [_overview(doc), _verify(doc, raw), _strata(doc, items, ch), _targets(doc, items, publication),
                _rejected_section(rejected)]
    nav = [("overview", "概况"), ("verify", "核验信息"), ("strata", "分层抽取"), ("targets", "抽中对象"),
           ("rejected", "拒收行")]
    if results is not None:
        sections.append(_results_section(doc, results))
        nav.append(("results", "检查结果公示"))
    subtitle = (f"{escape(str(doc['department']))} · 抽查计划 plan {escape(str(doc['plan_id']))} · "
                f"{escape(str(doc['year']))} 年度 · 抽查日期 draw date {escape(str(doc['draw_date']))}"
                f"<br>随机种子 seed <code>{escape(str(doc['seed']))}</code>（{escape(str(doc['seed_note']))}）")
    if doc.get("supersedes"):
        sup = doc["supersedes"]
        subtitle += (f"<br><strong>本次抽取取代了种子为 {escape(str(sup.get('seed', '')))} 的抽取</strong>"
                     f"（理由：{escape(str(sup.get('reason', '')))}） (supersedes an earlier draw)")
    return document("准绳 双随机抽查", "Zhunsheng double-random draw", subtitle, nav, sections, ch,
                    "由准绳 Zhunsheng 根据抽查输出文件（draw.json、公示名单、rejected.csv）生成；本页不联网。"
                    "任何人可用 zhunsheng draw verify 由输入文件和种子重新计算并核对。"
                    "Made from the draw output files; works offline; anyone can recompute the draw with "
                    "zhunsheng draw verify.")


def _item_names(doc: dict, publication: dict) -> dict[str, str]:
    names = {}
    for r in publication.values():
        names.setdefault(r.get("抽查事项编号", ""), r.get("抽查事项", ""))
    try:
        import yaml
        plan = yaml.safe_load(doc.get("plan_source") or "") or {}
        for it in plan.get("items") or []:
            if isinstance(it, dict) and it.get("item_id") is not None:
                names.setdefault(str(it["item_id"]), str(it.get("name") or ""))
    except Exception:   # the plan text is shown as it is; a name is only a label
        pass
    return names


def _overview(doc: dict) -> str:
    c = counts(doc)
    cards = [card("items", "抽查事项 items", c["items"]), card("strata", "分层（事项×信用分类）strata", c["strata"]),
             card("population", "各分层名录库对象合计 population over strata", c["population"]),
             card("eligible", "各分层可抽对象合计 eligible |E|", c["eligible"]),
             card("drawn", "抽取数 drawn n", c["drawn"]), card("assignments", "已选派检查 assigned", c["assignments"]),
             card("unfilled", "未能选派 unfilled", c["unfilled"]),
             card("inspectors_assigned", "选派执法人员 inspectors", c["inspectors_assigned"]),
             card("rejected", "拒收输入行 rejected rows", c["rejected"])]
    rows = [[f"{INPUT_ZH.get(k, k)} {k}", v.get("file", ""), v.get("rows", ""), v.get("used", ""), v.get("rejected", "")]
            for k, v in doc["inputs"].items()]
    inputs = table("inputs", [("输入", "text"), ("文件", "text"), ("行数", "num"), ("采用", "num"), ("拒收", "num")], rows)
    return (f'<section id="overview"><h2>概况 Overview</h2><div class="cards">{"".join(cards)}</div>'
            f"<h3>输入文件 inputs</h3>{inputs}</section>")


def _verify(doc: dict, raw: bytes) -> str:
    from engine.draw.document import RECORD, unsealed
    file_sha = hashlib.sha256(raw).hexdigest()
    record = doc.get(RECORD)
    if record is None:
        seal = "（无，本文件由较早版本写出 none: written before the seal existed）"
    elif hashlib.sha256(unsealed(doc)).hexdigest() == record:
        seal = f"{record}（与其余字段一致 matches the other fields）"
    else:
        seal = f"{record}（与其余字段不一致，文件可能被改动 does NOT match: the file may have been edited）"
    c = doc["commitment"]
    rows = [("随机种子 seed", doc["seed"]), ("种子说明 seed note", doc["seed_note"]),
            ("抽查日期 draw date", doc["draw_date"]),
            ("承诺登记时间 committed at", c.get("committed_at", "")),
            ("承诺摘要 commitment sha256（应与抽取前公布的一致）", c.get("sha256", ""))]
    rows += [(f"{INPUT_ZH.get(k, k)} {k} SHA-256（{v.get('file', '')}）", v.get("sha256", ""))
             for k, v in doc["inputs"].items()]
    rows += [("draw.json SHA-256（应与 draw run 输出、公布的一致）", file_sha),
             ("封存摘要 record_sha256", seal), ("规范版本 spec_version", doc["spec_version"]),
             ("算法 algorithm", doc["algorithm"])]
    body = "".join(f'<tr><th scope="row">{escape(k)}</th><td data-verify="{i}"><code>{escape(str(v))}</code></td></tr>'
                   for i, (k, v) in enumerate(rows))
    files = {k: v.get("file", k) for k, v in doc["inputs"].items()}
    command = (f"zhunsheng draw verify draw.json --entities {files.get('entities', 'entities.csv')} "
               f"--inspectors {files.get('inspectors', 'inspectors.csv')} "
               f"--conflicts {files.get('conflicts', 'conflicts.csv')}")
    return ('<section id="verify"><h2>核验信息 What a reader needs to check the draw</h2>'
            '<p class="note">抽中谁由公开的随机种子和抽取前已登记的输入文件摘要决定。任何人取得输入文件后，'
            "可用下列命令重新计算并逐项核对；将承诺摘要与抽取前公布的核对，将 draw.json 的 SHA-256 与公布的核对。"
            "Anyone with the input files can recompute the draw; compare the two digests with those published.</p>"
            f'<div class="scroll"><table id="verify-table"><tbody>{body}</tbody></table></div>'
            f"<h3>核验命令 verify command</h3><pre><code>{escape(command)}</code></pre>"
            "<h3>抽票方法 ticket</h3><pre><code>ticket(S, id) = \"0.\" + reverse(zfill64(decimal(int(SHA-256("
            "hex(SHA-256(S)) + id)))))\n检查对象 entities:  S = {seed}|E|{item_id}|{credit_class}\n"
            "执法人员 inspectors: S = {seed}|I|{item_id}|{entity_id}</code></pre></section>")


def _strata(doc: dict, items: dict, ch: Charts) -> str:
    import altair as alt
    data, rows = [], []
    for s in doc["strata"]:
        label = f"{s['item_id']} {items.get(s['item_id'], '')} · {s['credit_class']}类".replace("  ", " ")
        for measure, n in (("名录库对象", s["population"]), ("可抽对象", s["eligible"]), ("抽取数", s["n"])):
            data.append({"分层": label, "口径": measure, "数量": n})
        ex = s["excluded"]
        rows.append([s["item_id"], items.get(s["item_id"], ""), s["credit_class"], s["rate"], s["population"],
                     ex.get("status", 0), ex.get("filter", 0), ex.get("frequency_cap", 0), s["eligible"], s["n"]])
    spec = None
    if data:
        order = ["名录库对象", "可抽对象", "抽取数"]
        spec = spec_of(alt.Chart(alt.Data(values=data)).mark_bar().encode(
            y=alt.Y("分层:N", sort=None, title=None),
            yOffset=alt.YOffset("口径:N", sort=order),
            x=alt.X("数量:Q", title="对象数", axis=COUNT_AXIS()),
            color=alt.Color("口径:N", sort=order, scale=alt.Scale(domain=order, range=["#bdc3c7", "#5dade2", "#c0392b"]),
                            title="口径"),
            tooltip=["分层:N", "口径:N", "数量:Q"],
        ).properties(width="container", height=max(80, 36 * len(doc["strata"])),
                     title="各分层名录库对象数、可抽对象数与抽取数"))
    heads = [("事项编号", "text"), ("抽查事项", "text"), ("信用风险分类", "text"), ("抽取比例", "num"),
             ("名录库对象", "num"), ("排除：非存续", "num"), ("排除：不符合条件", "num"), ("排除：频次上限", "num"),
             ("可抽 |E|", "num"), ("抽取 n", "num")]
    return ('<section id="strata"><h2>分层抽取 Strata: population, eligible and drawn</h2>'
            '<p class="note">每个抽查事项按信用风险分类分层；可抽对象 = 名录库对象 − 各项排除；抽取数 n = ⌈比例 × |E|⌉。'
            "Population minus exclusions is the eligible set; n = ceil(rate × |E|).</p>"
            + ch.div(spec, "各分层抽取情况") + table("strata-table", heads, rows) + "</section>")


def _targets(doc: dict, items: dict, publication: dict) -> str:
    teams = {}
    for a in doc["assignments"]:
        teams.setdefault((a["item_id"], a["entity_id"]), []).append(a)
    unfilled = {}
    for u in doc["unfilled"]:
        unfilled.setdefault((u["item_id"], u["entity_id"]), []).append(u)
    rows = []
    for s in doc["selections"][:TARGET_ROWS]:
        pub = publication.get((s["item_id"], s["credit_class"], str(s["rank"]), s["entity_id"]), {})
        team = teams.get((s["item_id"], s["entity_id"]), [])
        ids = "、".join(team[0]["inspectors"]) if team else ""
        note = pub.get("备注") or "；".join(u["reason"] for u in unfilled.get((s["item_id"], s["entity_id"]), []))
        rows.append([s["item_id"], items.get(s["item_id"], ""), s["credit_class"], s["rank"], s["entity_id"],
                     pub.get("主体名称", ""), pub.get("所在区域", ""), s["ticket"],
                     pub.get("执法检查人员", ""), pub.get("执法证号") or ids,
                     ("未能选派 " + note, None, "sev-high") if not team else note])
    heads = [("事项编号", "text"), ("抽查事项", "text"), ("信用风险分类", "text"), ("抽取序位", "num"),
             ("统一社会信用代码", "text"), ("主体名称", "text"), ("所在区域", "text"), ("随机数（前18位）", "text"),
             ("执法检查人员", "text"), ("执法证号", "text"), ("备注", "text")]
    total = len(doc["selections"])
    note = ""
    if total > TARGET_ROWS:
        note = (f'<p class="note">共 {total:,} 个，本页列出前 {TARGET_ROWS:,} 个；完整名单见 公示名单.csv。'
                f"Only the first {TARGET_ROWS:,} of {total:,} are listed.</p>")
    return (f'<section id="targets"><h2>抽中对象 Drawn entities ({total:,})</h2>{note}'
            + table("targets-table", heads, rows, search="搜索：主体名称、信用代码、事项、执法人员… (search)")
            + "</section>")


def _rejected_section(rejected: list[dict]) -> str:
    if not rejected:
        return '<section id="rejected"><h2>拒收行 Rejected input rows</h2><p class="note">没有拒收行 (none).</p></section>'
    rows = [[REGISTER_ZH.get(r.get("名录", ""), r.get("名录", "")), r.get("文件", ""),
             (r.get("行号", ""), int_or_none(r.get("行号"))), r.get("编号", ""), r.get("原因", "")] for r in rejected]
    return (f'<section id="rejected"><h2>拒收行 Rejected input rows ({len(rows):,})</h2>'
            + table("rejected-table", [("名录", "text"), ("文件", "text"), ("行号", "num"), ("编号", "text"),
                                        ("原因", "text")], rows, search="搜索拒收行 (search)") + "</section>")


def _results_section(doc: dict, results: list[dict]) -> str:
    drawn = {(s["item_id"], s["entity_id"]) for s in doc["selections"]}
    rows = []
    for f in results:
        late = f.get("working_days_late")
        rows.append([f.get("entity_id", ""), f.get("item_id", ""),
                     "是" if (str(f.get("item_id", "")), str(f.get("entity_id", ""))) in drawn else "否",
                     f.get("result", ""), f.get("date", ""), f.get("deadline", ""), f.get("publicized") or "未公示",
                     (late if late not in (None, "") else "", int_or_none(late)), f.get("message", "")])
    heads = [("统一社会信用代码", "text"), ("事项编号", "text"), ("本次抽中", "text"), ("检查结果", "text"),
             ("检查日期", "text"), ("公示期限", "text"), ("公示日期", "text"), ("逾期工作日", "num"), ("说明", "text")]
    body = (table("results-table", heads, rows, search="搜索检查结果问题 (search)") if rows
            else '<p class="note">检查结果均按期公示 (every result was published in time).</p>')
    return (f'<section id="results"><h2>检查结果公示 Results not published in time ({len(rows):,})</h2>'
            '<p class="note">检查结果应自产生之日起20个工作日内公示（企业信息公示暂行条例第六条第二款）；'
            "下列为 zhunsheng draw results 发现的逾期公示 (inaction.results_not_publicized)。</p>"
            + body + "</section>")


__all__ = ["write_draw_html", "is_draw_folder", "load_draw", "counts", "render"]
