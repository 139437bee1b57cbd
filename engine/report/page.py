"""The frame every Zhunsheng HTML page shares: one self-contained document (styles, the chart library,
the page script and the chart data all inside), a Content-Security-Policy that forbids any request
outside the file, and the escaped building blocks (cards, searchable sortable tables, chart slots).

Every text from input goes through ``html.escape``; chart data goes in as JSON inside
``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped, so no input becomes markup or code.
"""
from __future__ import annotations

import functools
import json
from html import escape
from pathlib import Path

STATIC = Path(__file__).with_name("static")
CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:")


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed as one script, from the vl-convert package (no download); the
    Vega-Lite version is the one altair writes its specifications for."""
    import vl_convert
    from altair import SCHEMA_VERSION
    version = "_".join(SCHEMA_VERSION.split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=version).replace("</script", "<\\/script")


def _json_script(ident: str, data) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{ident}">{text}</script>'


class Charts:
    def __init__(self):
        self.scripts: list[str] = []

    def div(self, spec: dict | None, label: str) -> str:
        if spec is None:
            return f'<p class="note">（无数据 no data）{escape(label)}</p>'
        ident = f"spec-{len(self.scripts)}"
        self.scripts.append(_json_script(ident, spec))
        return f'<div class="chart" role="img" aria-label="{escape(label)}" data-spec="{ident}"></div>'


def _n(v) -> str:
    return f"{v:,}" if isinstance(v, int) else escape(str(v))


def card(key: str, title: str, value) -> str:
    return (f'<div class="card"><div class="n" data-key="{escape(key)}">{_n(value)}</div>'
            f'<div class="t">{escape(title)}</div></div>')


def table(ident: str, headers: list[tuple[str, str]], rows: list[list], search: str | None = None) -> str:
    """``headers``: (title, type) with type ``text`` or ``num``; a cell is text or (text, sort value, class)."""
    out = []
    if search:
        out.append(f'<div class="tools"><input type="search" data-filter="{ident}" placeholder="{escape(search)}" '
                   f'aria-label="{escape(search)}"><span class="note" data-count="{ident}"></span></div>')
    out.append(f'<div class="scroll"><table id="{ident}" data-table="1"><thead><tr>')
    for title, kind in headers:
        cls = ' class="num"' if kind == "num" else ""
        out.append(f'<th data-sortable="1" data-type="{kind}"{cls}>{escape(title)}</th>')
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for (title, kind), cell in zip(headers, row):
            out.append(_td(cell, kind))
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _td(cell, kind) -> str:
    if isinstance(cell, tuple):
        text, sort, cls = (cell + (None, None))[:3]
    else:
        text, sort, cls = cell, None, None
    classes = " ".join(c for c in ("num" if kind == "num" else "", cls or "") if c)
    attrs = (f' class="{escape(classes)}"' if classes else "") + (f' data-v="{escape(str(sort))}"' if sort is not None else "")
    body = _n(text) if kind == "num" else text if isinstance(text, Raw) else escape("" if text is None else str(text))
    return f"<td{attrs}>{body}</td>"


class Raw(str):
    """Markup built here from escaped parts (never from raw input)."""


def int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def document(title_zh: str, title_en: str, subtitle: str, nav: list[tuple[str, str]], sections: list[str],
             charts: Charts, footer: str) -> str:
    """The whole page; ``subtitle`` and ``sections`` are markup built from escaped parts."""
    css = (STATIC / "page.css").read_text(encoding="utf-8")
    js = (STATIC / "page.js").read_text(encoding="utf-8")
    links = "".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t in nav)
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title_zh)} {escape(title_en)}</title><style>{css}</style></head><body>",
        f"<header><h1>{escape(title_zh)} <small>{escape(title_en)}</small></h1><p>{subtitle}</p></header>",
        f"<nav>{links}</nav><main>", *sections, "</main>",
        f'<footer class="note" style="padding:0 28px 20px">{escape(footer)}</footer>',
        *charts.scripts,
        f"<script>{vega_bundle()}</script>",
        f"<script>{js}</script>",
        "</body></html>\n"])
