"""The application: engine state, limits and the protections every response gets, then the routes.

Why here: ``create_app`` is the one place that decides what is on by default, so a test and
``zhunsheng serve`` get the same server.  No CORS middleware (a page of another origin cannot read
an answer); the OpenAPI schema at ``/api/openapi.json`` but no interactive docs page (it would load
its scripts from a CDN, and government intranets have none); a Content-Security-Policy that lets a
page load only this server's own script and style; a body limit enforced while the request is read."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from engine.web import api, errors, pages
from engine.web.jobs import JobStore
from engine.web.settings import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
FORM_OVERHEAD = 64 * 1024           # multipart boundaries and the small fields beside the file


@dataclass
class Server:
    ruleset: object
    calendar: object
    settings: Settings
    jobs: JobStore


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a request body above the upload limit (413) by its Content-Length, or while it streams."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await self._refuse(scope, send)
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        async def tracked(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)
        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope, send):
        import json
        mb = self.limit / (1 << 20)
        text = f"上传过大：上限约 {mb:.0f} MB (the upload is larger than the limit of about {mb:.0f} MB)"
        api_path = scope.get("path", "").startswith("/api/")
        body = (json.dumps({"error": {"status": 413, "title": "上传过大 upload too large", "message": text}},
                           ensure_ascii=False) if api_path else f"<!doctype html><meta charset=utf-8><p>{text}</p>")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json" if api_path else b"text/html; charset=utf-8"),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body.encode("utf-8")})


def create_app(ruleset, calendar, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    jobs = JobStore(settings, ruleset, calendar)

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            jobs.close()

    app = FastAPI(title="准绳 Zhunsheng 执法助手 API", version="1",
                  description="裁量计算、法规库和批量审查的 JSON 接口（中文在前，英文在后）。"
                              "The penalty calculator, the provision library and batch review as JSON.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.zs = Server(ruleset, calendar, settings, jobs)
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def headers(request, call_next):
        allowed = settings.allowed_hosts
        if allowed is not None and request.headers.get("host", "") not in allowed:
            response = errors.respond(request, 400, "主机名不符，请用 http://127.0.0.1 访问 (unexpected Host header: "
                                                    "open the pages at http://127.0.0.1)")
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + FORM_OVERHEAD)
    return app
