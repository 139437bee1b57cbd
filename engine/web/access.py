"""Who may store files on the server: with a token configured (``--token`` / ``ZHUNSHENG_TOKEN``), only
a request that presents it (``Authorization: Bearer …``, or the upload form's 访问令牌 field).

Why only the endpoints that store files: the calculator and the library read and compute, nothing a
request sends is kept; an upload is kept for a while in the server's folder.  Compared in constant
time (``hmac.compare_digest``)."""
from __future__ import annotations

import datetime as dt
import hmac

from fastapi import HTTPException, Request


def presented(request: Request, form_token: str | None = None) -> str:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return (form_token or "").strip()


def require_token(request: Request, form_token: str | None = None) -> None:
    want = request.app.state.zs.settings.token
    if not want:
        return
    if not hmac.compare_digest(presented(request, form_token).encode(), want.encode()):
        raise HTTPException(401, "需要有效的访问令牌 (a valid access token is required): 请在“访问令牌”一栏填写，"
                                 "或在请求头中给出 Authorization: Bearer … (give it in the form or the header)",
                            headers={"WWW-Authenticate": "Bearer"})


def as_of_date(text: str | None) -> dt.date:
    """The date findings are judged at, today when blank.  Read as ``zhunsheng check --as-of`` reads
    it (the forms record cells take), so the calculator and the command line agree on what a date is."""
    from engine.records.values import Unreadable, read_date
    text = (text or "").strip()
    if not text:
        return dt.date.today()
    try:
        return read_date(text)
    except Unreadable as e:
        raise HTTPException(422, f"判断基准日不是日期 (as_of is not a date): {text[:40]!r} — {e.zh} ({e.en})；"
                                 "如 2024-12-31、2024年12月31日") from None
