"""The JSON API: the same engine calls as the pages and the commands, described by the OpenAPI schema.

``POST /api/check`` answers exactly what ``zhunsheng check --json`` prints for the same record and date;
``POST /api/review`` stores an upload and returns a job; ``GET /api/jobs/{id}`` follows it;
``GET /api/provisions`` lists (and searches) the library."""
from __future__ import annotations

import datetime as dt
import json
from typing import Literal, Optional, Union

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from engine.web import calc, library
from engine.web.access import as_of_date, require_token
from engine.web.search import search

router = APIRouter(prefix="/api", tags=["api"])
bearer = HTTPBearer(auto_error=False, description="访问令牌 (only when the server was started with --token)")

Cell = Union[str, int, float, bool, list[str], None]


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, Cell] = Field(description="一份处罚决定：键为规范字段名或中文列名，与 check --json 相同 "
                                                "(one penalty decision; keys are canonical or Chinese column names)",
                                    examples=[{"violation_code": "FSL-124-1", "goods_value": 8000, "fine": 30000}])
    as_of: Optional[str] = Field(None, description="判断基准日，默认今天；写法同记录中的日期，如 2024-12-31、"
                                                    "2024年12月31日 (date judged at; default today; any date form "
                                                    "a record cell takes)", examples=["2024-12-31"],
                                 json_schema_extra={"format": "date"})     # schema: ISO; the reader takes more


class ErrorBody(BaseModel):
    status: int
    title: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    case_id: str
    as_of: str
    status: Literal["evaluated", "rejected"]
    findings: list[dict]


class JobFile(BaseModel):
    key: str
    name: str
    title: str
    url: str


class JobView(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    stage: str
    stage_zh: str
    progress: float
    message: str
    file_name: str
    as_of: str
    kind: Optional[str]
    summary: Optional[dict]
    files: list[JobFile]
    report_url: Optional[str]
    expires: Optional[str]


class ProvisionRow(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    citation: str
    link: Optional[str]


ERRORS = {401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
          422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}}


@router.post("/check", response_model=CheckResult, responses={422: {"model": ErrorResponse}},
             summary="裁量计算 Check one penalty decision")
def api_check(body: CheckRequest, request: Request):
    """与 ``zhunsheng check --json`` 相同的结果：适用条款、分支、裁量阶次、合法幅度、处罚种类、确定和可能的问题及尚待查明的事实。
    The same answer as ``zhunsheng check --json``."""
    zs = request.app.state.zs
    result = calc.check(dict(body.record), zs.ruleset, as_of_date(body.as_of), zs.calendar)
    return Response(json.dumps(result, ensure_ascii=False, default=str), media_type="application/json")


@router.post("/review", status_code=202, response_model=JobView, responses=ERRORS,
             summary="批量审查 Start a batch review of an uploaded file")
async def api_review(request: Request, file: UploadFile = File(description="CSV/Excel/Parquet/JSON Lines"),
                     as_of: Optional[str] = Form(None, description="判断基准日，写法同记录中的日期 "
                                                             "(date judged at; any date form a record cell takes)",
                                                 json_schema_extra={"format": "date"}),
                     kind: Optional[Literal["penalty", "approval", "disclosure", "complaint"]] = Form(
                         None, description="未填记录类型的行按此类型审查 (kind of rows without record_kind)"),
                     _auth=Depends(bearer)):
    """上传一个文件，返回任务；用 ``GET /api/jobs/{id}`` 查看进度和下载。
    Upload one file; follow the returned job with ``GET /api/jobs/{id}``."""
    require_token(request)
    job = await start_job(request, file, as_of_date(as_of), kind)
    zs = request.app.state.zs
    return JSONResponse(job.view(zs.settings.keep_seconds), status_code=202,
                        headers={"Location": f"/api/jobs/{job.id}"})


async def start_job(request: Request, upload: UploadFile, as_of: dt.date, kind: str | None):
    """Copy the upload into a job folder (a name of the server's choosing) within the size limit."""
    from engine.web.jobs import Refused
    zs = request.app.state.zs
    job_id, folder, path = zs.jobs.new_input(upload.filename)
    size = 0
    try:
        with open(path, "xb") as fh:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > zs.settings.max_upload_bytes:
                    raise Refused(f"上传过大：上限 {zs.settings.max_upload_bytes / (1 << 20):.0f} MB "
                                  "(the upload is larger than the limit)", 413)
                fh.write(chunk)
        if size == 0:
            raise Refused("上传的文件是空的 (the uploaded file is empty)")
    except BaseException:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return zs.jobs.submit(job_id, folder, path, upload.filename or "", as_of, kind)


@router.get("/jobs/{job_id}", response_model=JobView, responses={404: {"model": ErrorResponse}},
            summary="任务进度 A review job's state")
def api_job(job_id: str, request: Request):
    zs = request.app.state.zs
    job = zs.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, "没有这个任务，或已过期删除 (no such job, or it expired and was removed)")
    return job.view(zs.settings.keep_seconds)


@router.get("/provisions", response_model=list[ProvisionRow], summary="法规库 The provisions")
def api_provisions(request: Request, q: Optional[str] = None):
    """每个处罚条款：编号、名称、条文、版本、分支数；``q`` 按编号、名称、条文或引用文字查找。
    Every provision; ``q`` searches by code, title words, article or citation text."""
    rs = request.app.state.zs.ruleset
    found, _ = search(rs, q, limit=10_000)
    return [{**r, "link": library.link(rs.provisions[r["id"]].model.citation)} for r in found]


@router.get("/provisions/{provision_id}", responses={404: {"model": ErrorResponse}},
            summary="条款详情 One provision with versions, branches, tiers and citations")
def api_provision(provision_id: str, request: Request) -> dict:
    rs = request.app.state.zs.ruleset
    pid = rs.codes.get(provision_id, provision_id)
    if pid not in rs.provisions:
        raise HTTPException(404, f"没有这个条款 (no such provision): {provision_id[:60]}")
    return library.detail(rs, rs.provisions[pid])
