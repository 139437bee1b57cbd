"""Errors as an officer should see them: Chinese first, English after, never a traceback.

An API path gets ``{"error": {"status", "message"}}``; a page gets the error page.  A bug is logged
with its traceback on the server and shown as one line (the command line keeps the same rule:
``engine.cli_support.log_internal_error``)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import ZhunshengError
from engine.web.jobs import Refused

log = logging.getLogger("zhunsheng.web")

STATUS_ZH = {400: "请求有误 bad request", 401: "需要访问令牌 token required", 403: "禁止访问 forbidden",
             404: "未找到 not found", 405: "不支持此方法 method not allowed", 413: "上传过大 upload too large",
             422: "输入无法处理 input cannot be processed", 429: "服务器正忙 busy",
             500: "内部错误 internal error"}


def _field(loc) -> str:
    from engine.records.schema import ZH
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(f"{ZH[p]} ({p})" if p in ZH else p for p in parts) or "请求 request"


def validation_text(exc: RequestValidationError) -> str:
    msgs = [f"{_field(e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()[:5]]
    return "输入不符合要求 (invalid input): " + "；".join(msgs)


def respond(request: Request, status: int, message: str, headers: dict | None = None):
    title = STATUS_ZH.get(status, f"错误 error {status}")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": {"status": status, "title": title, "message": message}},
                            status_code=status, headers=headers)
    from engine.web.pages import render
    return HTMLResponse(render("error.html", request=request, status=status, title=title, message=message),
                        status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed") \
            else STATUS_ZH.get(exc.status_code, "")
        return respond(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return respond(request, 422, validation_text(exc))

    @app.exception_handler(ZhunshengError)
    async def engine_error(request: Request, exc: ZhunshengError):
        return respond(request, 422, str(exc))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return respond(request, exc.status, str(exc))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return respond(request, 500, "内部错误，详情见服务器日志 (internal error: the details are in the server log)")
