"""The library browser's data: each provision as its rule file states it (versions, branches, the
statutory range and the tiers, sanctions, citations) beside the words of the article it encodes.

Why structured here rather than parsed from ``rules show``: a page needs the parts (to link a citation
to its article, to lay tiers out as a table), and the words come from the bundled texts that
``engine.library.statutes`` reads.  The tier bounds follow ``engine.penalty.explain.show_provision``:
the rule's own tiers if it states them, else the shares of the statutory span set in the parameters.
"""
from __future__ import annotations

import functools
from decimal import Decimal

from engine.library.citations import normalize_law
from engine.library.listing import citation_text
from engine.records.schema import SANCTION_ZH

TIERS = ("减轻处罚", "从轻处罚", "一般处罚", "从重处罚")


@functools.lru_cache(maxsize=1)
def statutes() -> dict:
    """The bundled statute texts by matching key (normalize_law), read once."""
    from engine.library.statutes import read_library
    try:
        return {normalize_law(title): s for title, s in read_library().items()}
    except Exception:                  # the texts are a help: a page without them still works
        return {}


def statute_by_short(short: str):
    """The statute whose file short name is ``short`` (a request's word, used only as a dict key)."""
    return next((s for s in statutes().values() if s.short == short), None)


def article_of(citation):
    """(statute, article) for a rule set citation, either None when the text is not bundled."""
    st = statutes().get(normalize_law(str(citation.law)))
    if st is None or not citation.article:
        return st, None
    return st, st.articles.get(int(citation.article))


def link(citation) -> str | None:
    st, art = article_of(citation)
    if st is None:
        return None
    return f"/law/{st.short}" + (f"#art-{art.number}" if art else "")


def citation_view(citation) -> dict:
    st, art = article_of(citation)
    text = None
    if art is not None:
        para = getattr(citation, "paragraph", None)
        if para and 0 < para <= len(art.paragraphs):
            text = art.paragraphs[para - 1].full_text
        else:
            text = art.text
    return {"text": citation_text(citation), "link": link(citation), "words": text}


def _num(x: Decimal) -> str:
    x = Decimal(x)
    if x == x.to_integral_value():
        return f"{int(x):,}"
    return f"{x:,f}".rstrip("0").rstrip(".")


def _range(fine, a, b) -> str:
    return f"{_num(a)}–{_num(b)} × {fine.base}" if fine.is_multiple else f"{_num(a)}–{_num(b)} 元"


def _tiers(rs, model, version, branch) -> list[tuple[str, str]]:
    fine = branch.model.fine
    lo, hi = fine.lo, fine.hi
    split = version.model.tier_split or model.tier_split
    a = split.light_upto if split else Decimal(str(rs.value("tier_light_upto")))
    b = split.heavy_from if split else Decimal(str(rs.value("tier_heavy_from")))
    span = hi - lo
    own = branch.model.tiers
    bounds = {"减轻处罚": (Decimal(0), lo) if not own or not own.减轻处罚 else own.减轻处罚,
              "从轻处罚": (lo, lo + a * span) if not own else own.从轻处罚,
              "一般处罚": (lo + a * span, lo + b * span) if not own else own.一般处罚,
              "从重处罚": (lo + b * span, hi) if not own else own.从重处罚}
    return [(name, _range(fine, *bounds[name])) for name in TIERS]


def detail(rs, cp) -> dict:
    m = cp.model
    versions = []
    for v in cp.versions:
        branches = []
        for b in v.branches:
            fine = b.model.fine
            branches.append({
                "id": b.model.id, "when": b.condition.source, "citation": citation_view(b.citation),
                "statutory": None if fine is None else _range(fine, fine.lo, fine.hi)
                + (" 或者警告 (or a warning instead)" if fine.alternative else ""),
                "tiers": [] if fine is None else _tiers(rs, m, v, b),
                "sanctions": [{"zh": SANCTION_ZH[s], "code": s, "mode": mode,
                               "when": cond.source if cond else None} for s, (mode, cond) in b.sanctions.items()],
                "note": b.model.note})
        versions.append({"from": str(v.valid_from), "to": str(v.valid_to) if v.valid_to else None,
                         "source": v.model.source, "requires": list(v.model.requires),
                         "confiscate_gain": v.model.confiscate_gain,
                         "citation": citation_view(v.citation) if v.citation is not None else None,
                         "branches": branches})
    flags = []
    if m.life_health:
        flags.append("涉及公民生命健康安全：有危害后果的，追责时效为五年（行政处罚法第36条） "
                     "life or health: five-year limitation where harm followed (Art. 36)")
    if m.financial_safety:
        flags.append("涉及金融安全 financial safety")
    if m.samr_publication:
        flags.append(f"市场监管处罚信息公示：{rs.value('publication_working_days')}个工作日内 "
                     f"publication within {rs.value('publication_working_days')} working days")
    if m.min_officers is not None:
        flags.append(f"执法人员不少于{m.min_officers}人 at least {m.min_officers} officers "
                     f"({m.min_officers_citation.short()})")
    return {"id": m.id, "title": m.title, "title_en": m.title_en, "citation": citation_view(m.citation),
            "codes": [m.id, *m.violation_codes], "flags": flags, "benchmark": m.benchmark,
            "versions": versions}


_BY_ARTICLE: dict[int, tuple] = {}


def provisions_by_article(rs) -> dict:
    """(law key, article) → provision ids encoding it (current numbering), for the statute page."""
    hit = _BY_ARTICLE.get(id(rs))
    if hit is not None and hit[0] is rs:
        return hit[1]
    out: dict = {}
    for pid, cp in sorted(rs.provisions.items()):
        for c in [cp.model.citation] + [v.citation for v in cp.versions if v.citation is not None]:
            if c.article and not getattr(c, "version", None):
                ids = out.setdefault((normalize_law(str(c.law)), int(c.article)), [])
                if pid not in ids:
                    ids.append(pid)
    _BY_ARTICLE[id(rs)] = (rs, out)
    return out
