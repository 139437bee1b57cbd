"""The provision library as a list: one row per provision, for `rules list`, the README table and the
library browser.  The README's provision table is generated from here (``python -m engine.library.listing
--markdown``) and a test keeps the two equal, so the table cannot drift from the rule files.
"""
from __future__ import annotations

import sys


def citation_text(c) -> str:
    law = str(c.law).removeprefix("中华人民共和国")
    s = f"{law} 第{c.article}条" if c.article else law
    if getattr(c, "paragraph", None):
        s += f"第{c.paragraph}款"
    if getattr(c, "item", None):
        s += f"第{c.item}项"
    return s


def rows(ruleset, law: str | None = None) -> list[dict]:
    """Every provision (those citing ``law``, by full or short title, when given), sorted by id."""
    from engine.library.citations import normalize_law
    want = normalize_law(law) if law else None
    out = []
    for pid in sorted(ruleset.provisions):
        m = ruleset.provisions[pid].model
        if want and normalize_law(str(m.citation.law)) != want:
            continue
        out.append({
            "id": pid, "title": m.title, "title_en": m.title_en,
            "law": str(m.citation.law), "citation": citation_text(m.citation),
            "versions": [{"valid_from": str(v.valid_from), "valid_to": str(v.valid_to) if v.valid_to else None,
                          "branches": len(v.branches)} for v in m.versions],
            "branches": sum(len(v.branches) for v in m.versions),
            "violation_codes": list(m.violation_codes),
        })
    return out


def render_text(items: list[dict]) -> str:
    lines = [f"{'编号 id':<12} {'条款 citation':<28} {'版本 versions':<26} {'分支 branches':>6}  名称 title"]
    for r in items:
        versions = "、".join(f"{v['valid_from']}起" + (f"至{v['valid_to']}" if v["valid_to"] else "")
                            for v in r["versions"])
        lines.append(f"{r['id']:<12} {r['citation']:<28} {versions:<26} {r['branches']:>6}  {r['title']} ({r['title_en']})")
    lines.append(f"共 {len(items)} 条 ({len(items)} provision(s))")
    return "\n".join(lines)


def render_markdown(items: list[dict]) -> str:
    lines = ["| id | 条款 citation | 名称 title | versions | branches |", "|---|---|---|---|---|"]
    for r in items:
        versions = ", ".join(f"{v['valid_from']}–{v['valid_to'] or ''}" for v in r["versions"])
        lines.append(f"| `{r['id']}` | {r['citation']} | {r['title']} ({r['title_en']}) | {versions} | {r['branches']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Print the README's provision table; with ``--readme``, write it into README.md between its markers."""
    from pathlib import Path

    from engine.ruleset.loader import load_rules
    table = render_markdown(rows(load_rules(None)))
    if not argv or argv[0] != "--readme":
        print(table)
        return 0
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split("keeps it equal -->\n", 1)
    _, tail = rest.split("<!-- /provisions -->", 1)
    readme.write_text(head + "keeps it equal -->\n" + table + "\n<!-- /provisions -->" + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
