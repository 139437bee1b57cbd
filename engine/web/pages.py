"""The pages: 裁量计算 (calculator), 法规库 (library), 批量审查 (batch review), rendered on the server.

Every page is a Jinja template with autoescape on, so no text from a request or a record becomes
markup; the two small scripts (``static/calc.js``, ``static/job.js``) only fetch server-rendered
fragments or job states and never build markup from data.  Static files are served from memory by
name, never looked up on disk from a request's path."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from engine.penalty.tiers import TIER_EN
from engine.web import calc, form, library
from engine.web.access import as_of_date, require_token
from engine.web.jobs import DOWNLOADS, KINDS
from engine.web.search import search

HERE = Path(__file__).resolve().parent
router = APIRouter(include_in_schema=False)
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
REPORT_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
              "img-src data:; font-src data:; sandbox allow-scripts")
KIND_ZH = {"penalty": "行政处罚 penalty", "approval": "行政许可 approval", "disclosure": "依申请公开 disclosure",
           "complaint": "投诉举报 complaint"}


def _money(x) -> str:
    if x is None:
        return "—"
    return f"{float(x):,.2f}"


@functools.lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                    lstrip_blocks=True)
    e.filters["money"] = _money
    e.globals.update(TIER_EN=TIER_EN, KIND_ZH=KIND_ZH)
    return e


def render(name: str, request: Request | None = None, **ctx) -> str:
    token = bool(request is not None and request.app.state.zs.settings.token)
    return env().get_template(name).render(needs_token=token, path=request.url.path if request else "", **ctx)


def page(name: str, request: Request, status: int = 200, **ctx) -> HTMLResponse:
    return HTMLResponse(render(name, request, **ctx), status_code=status)


@functools.lru_cache(maxsize=1)
def static_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (HERE / "static").iterdir() if p.suffix in STATIC_TYPES}


@router.get("/static/{name}")
def static(name: str):
    data = static_files().get(name)
    if data is None:
        raise HTTPException(404)
    return Response(data, media_type=STATIC_TYPES[Path(name).suffix],
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    zs = request.app.state.zs
    return page("index.html", request, provisions=len(zs.ruleset.provisions))


# -- 裁量计算 --------------------------------------------------------------------------------------
def _provision(request: Request, pid: str):
    rs = request.app.state.zs.ruleset
    cp = rs.provisions.get(rs.codes.get(pid, pid))
    if cp is None:
        raise HTTPException(404, f"没有这个条款 (no such provision): {pid[:60]}")
    return cp


@router.get("/calc", response_class=HTMLResponse)
def calc_search(request: Request, q: str | None = None):
    found, note = search(request.app.state.zs.ruleset, q, limit=10_000)
    return page("calc_search.html", request, q=q or "", found=found, note=note)


async def _form(request: Request):
    return await request.form(max_files=0, max_fields=300)


def _result(request: Request, cp, data) -> tuple[dict, dict, dt.date]:
    zs = request.app.state.zs
    as_of = as_of_date(data.get("as_of"))
    record = form.record_of(cp, data)
    result = calc.check(record, zs.ruleset, as_of, zs.calendar)
    return record, calc.view(result, zs.ruleset), as_of


def _form_page(request: Request, cp, data=None, status=200, **extra):
    return page("calc_form.html", request, status=status, cp=cp, groups=form.groups(cp),
                values=data, today=dt.date.today().isoformat(), detail=library.detail(request.app.state.zs.ruleset, cp),
                **extra)


@router.get("/calc/{pid}", response_class=HTMLResponse)
def calc_form(request: Request, pid: str):
    cp = _provision(request, pid)
    if cp.id != pid:
        return RedirectResponse(f"/calc/{cp.id}", status_code=307)
    return _form_page(request, cp)


@router.post("/calc/{pid}", response_class=HTMLResponse)
async def calc_submit(request: Request, pid: str):
    """Without script: the form posts here and the page comes back with the result under it."""
    cp = _provision(request, pid)
    data = await _form(request)
    _, v, _ = _result(request, cp, data)
    return _form_page(request, cp, data, **v, shown=True)


@router.post("/calc/{pid}/result", response_class=HTMLResponse)
async def calc_fragment(request: Request, pid: str):
    """With script: the result panel alone, fetched as facts are entered."""
    cp = _provision(request, pid)
    _, v, _ = _result(request, cp, await _form(request))
    return page("_result.html", request, cp=cp, **v)


@router.post("/calc/{pid}/opinion", response_class=HTMLResponse)
async def calc_opinion(request: Request, pid: str):
    """法制审核意见: a printable page of the facts, the applicable provision, the findings and the
    words of every article cited."""
    cp = _provision(request, pid)
    data = await _form(request)
    record, v, as_of = _result(request, cp, data)
    facts = []
    for f in form.all_fields(cp):
        value = record.get(f.name)
        if value is None:
            continue
        if isinstance(value, list):
            names = dict(f.choices)
            value = "、".join(names.get(x, x) for x in value)
        elif f.widget in ("choice",):
            value = dict(f.choices).get(value, value)
        elif f.widget == "bool":
            value = {"true": "是", "false": "否"}.get(value, value)
        elif f.widget == "money":
            value = f"{value} 元"
        facts.append((f.zh, value))
    blanks = [f.zh for f in form.all_fields(cp) if f.name not in record]
    cited = {}
    for c in [c for f in v["definite"] + v["possible"] for c in f.get("citations") or []]:
        words = _words(c)
        cited.setdefault(words["text"], words)
    own = library.detail(request.app.state.zs.ruleset, cp)["citation"]
    if not any(k.removeprefix("中华人民共和国").replace(" ", "") == own["text"].replace(" ", "") for k in cited):
        cited[own["text"]] = own
    return page("opinion.html", request, cp=cp, facts=facts, blanks=blanks, as_of=as_of,
                case_id=record["case_id"], cited=list(cited.values()),
                detail=library.detail(request.app.state.zs.ruleset, cp), **v)


def _words(c: dict) -> dict:
    from types import SimpleNamespace
    ns = SimpleNamespace(law=c.get("law", ""), article=c.get("article"), paragraph=c.get("paragraph"), item=None)
    view = library.citation_view(ns) if ns.article else {"text": c.get("law", ""), "link": None, "words": None}
    from engine.report.labels import citation_text
    return {**view, "text": citation_text([c])}


# -- 法规库 ----------------------------------------------------------------------------------------
@router.get("/library", response_class=HTMLResponse)
def library_list(request: Request, q: str | None = None):
    rs = request.app.state.zs.ruleset
    found, note = search(rs, q, limit=10_000)
    links = {r["id"]: library.link(rs.provisions[r["id"]].model.citation) for r in found}
    laws = sorted({s.short for s in library.statutes().values()})
    return page("library.html", request, q=q or "", found=found, note=note, links=links, laws=laws,
                total=len(rs.provisions))


@router.get("/library/{pid}", response_class=HTMLResponse)
def library_provision(request: Request, pid: str):
    cp = _provision(request, pid)
    return page("provision.html", request, d=library.detail(request.app.state.zs.ruleset, cp))


@router.get("/law/{short}", response_class=HTMLResponse)
def law_text(request: Request, short: str):
    st = library.statute_by_short(short)
    if st is None:
        raise HTTPException(404, f"未收录该法规文本 (no bundled text of): {short[:60]}")
    from engine.library.citations import normalize_law
    encoded = library.provisions_by_article(request.app.state.zs.ruleset)
    key = normalize_law(st.title)
    articles = [(a, encoded.get((key, n), [])) for n, a in sorted(st.articles.items())]
    return page("statute.html", request, st=st, articles=articles)


# -- 批量审查 --------------------------------------------------------------------------------------
@router.get("/review", response_class=HTMLResponse)
def review_form(request: Request):
    zs = request.app.state.zs
    return page("review.html", request, kinds=KINDS, settings=zs.settings, today=dt.date.today().isoformat())


@router.post("/review")
async def review_submit(request: Request):
    from engine.web.api import start_job
    from engine.web.jobs import Refused
    data = await request.form(max_files=1, max_fields=10)
    require_token(request, str(data.get("token") or ""))
    upload = data.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise Refused("请选择要上传的文件 (choose a file to upload)")
    kind = str(data.get("kind") or "") or None
    if kind is not None and kind not in KINDS:
        raise Refused(f"记录类型无效 (unknown record kind): {kind[:30]}")
    job = await start_job(request, upload, as_of_date(data.get("as_of")), kind)
    return RedirectResponse(f"/review/{job.id}", status_code=303)


def _job(request: Request, job_id: str):
    job = request.app.state.zs.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, "没有这个任务，或已过期删除 (no such job, or it expired and was removed)")
    return job


@router.get("/review/{job_id}", response_class=HTMLResponse)
def review_job(request: Request, job_id: str):
    job = _job(request, job_id)
    return page("job.html", request, job=job.view(request.app.state.zs.settings.keep_seconds))


@router.get("/review/{job_id}/files/{key}")
def review_file(request: Request, job_id: str, key: str):
    path = _job(request, job_id).files().get(key)
    if path is None:
        raise HTTPException(404, "没有这个文件 (no such file)")
    name = DOWNLOADS[key][0].rsplit("/", 1)[-1]
    return FileResponse(path, filename=name, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/review/{job_id}/report", response_class=HTMLResponse)
def review_report(request: Request, job_id: str):
    """The HTML report, viewed in place: sandboxed, so its own scripts run but reach nothing of ours."""
    path = _job(request, job_id).files().get("report")
    if path is None:
        raise HTTPException(404, "报告尚未生成 (the report is not ready)")
    return FileResponse(path, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": REPORT_CSP})
