"""Find a provision the way an officer names it: its code (FSL-124-1 or a department's own violation
code), words of its title, its article (``第124条``, ``124条1款``) or the citation as a decision writes
it (``《中华人民共和国食品安全法》第一百二十四条第一款``).

Why two passes: a full citation is read by the same resolver the review uses
(``engine.library.citations``), so what the calculator finds is what a batch would judge by; a few
words are matched against the library listing, every word having to appear."""
from __future__ import annotations

import re

from engine.library.listing import rows

MAX_QUERY = 200


def _haystack(row: dict) -> str:
    parts = [row["id"], row["title"], row["title_en"] or "", row["law"], row["citation"],
             *row["violation_codes"]]
    return " ".join(parts).lower()


def _article_words(word: str) -> str:
    """``124条1款`` / ``第124条`` as the listing writes citations (``第124条第1款``)."""
    m = re.fullmatch(r"第?(\d+)条(?:第?(\d+)款)?", word)
    if not m:
        return word
    return f"第{m.group(1)}条" + (f"第{m.group(2)}款" if m.group(2) else "")


def search(ruleset, query: str | None, limit: int = 50) -> tuple[list[dict], str | None]:
    """Matching provisions (listing rows, best first) and, when the query reads as a citation that
    names no single provision, the resolver's reason (Chinese first)."""
    q = (query or "").strip()[:MAX_QUERY]
    listing = rows(ruleset)
    if not q:
        return listing[:limit], None
    by_id = {r["id"]: r for r in listing}
    first: list[str] = []
    pid = ruleset.codes.get(q) or ruleset.codes.get(q.upper())
    if pid is None and q.upper() in ruleset.provisions:
        pid = q.upper()
    if pid:
        first.append(pid)
    note = None
    if not first and ("条" in q or "《" in q):
        from engine.library.citations import judged_provision
        found, why = judged_provision(q, ruleset)
        if found:
            first.append(found)
        else:
            note = why
    words = [_article_words(w.lower()) for w in q.split()]
    rest = [r["id"] for r in listing if r["id"] not in first and all(w in _haystack(r) for w in words)]
    out = [by_id[p] for p in first + rest if p in by_id]
    return out[:limit], (note if not out else None)
