"""``rules draft``: an article of a statute text → a draft provision and a skeleton of its cases.

Why a draft and never a rule: the reader (``draft_parse``) knows the formulas penalty articles are written
in, not the law.  What it drafts is marked ``draft: true`` (``rules lint`` refuses it), says under
``# 未能解析`` every part of the text it did not encode, and comes with cases whose expected results are
left for a person to work by hand — the draft never supplies its own answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError
from engine.library.coverage import PENALTY_WORDS, SCOPE
from engine.library.draft_parse import FineRange, Level, Note, Reader, parts
from engine.library.statutes import Article, Statute, cn_number, read_library


@dataclass
class DraftBranch:
    when: str
    fine: FineRange | None


@dataclass
class Draft:
    id: str
    statute: Statute
    article: Article
    paragraph: int | None
    paragraphs: list[int]                  # the paragraphs read (an escalating paragraph joins the first)
    sentence: int | None
    branches: list[DraftBranch]
    levels: list[Level]
    notes: list[Note] = field(default_factory=list)

    @property
    def range_notes(self) -> list[Note]:
        """Notes that bear on the fine ranges or their conditions."""
        return [n for n in self.notes if n.kind == "range"]


# ───────────────────────────── finding the text ─────────────────────────────

def find_statute(law: str, library: dict[str, Statute]) -> Statute:
    """A law by full title, short name (食品安全法, with or without 中华人民共和国/《》) or id prefix (FSL)."""
    from engine.library.citations import normalize_law
    key = normalize_law(law)
    for title, s in library.items():
        if law in (title, s.short) or key in (normalize_law(title), normalize_law(s.short)):
            return s
    by_prefix = {p.upper(): t for t, p in SCOPE.items()}
    title = by_prefix.get(law.strip().upper())
    if title and title in library:
        return library[title]
    names = "、".join(sorted(s.short for s in library.values()))
    raise InputError(f"法规文本中没有“{law}” (no statute text named {law!r}); 可用 (available): {names}")


def article_number(text: str) -> int:
    """``124``, ``一百二十四``, ``第一百二十四条``."""
    t = re.sub(r"^第|条$", "", str(text).strip())
    try:
        return cn_number(t)
    except InputError:
        raise InputError(f"条号应为数字 (article must be a number, Arabic or Chinese): {text!r}") from None


def _has_penalty(text: str) -> bool:
    return bool(PENALTY_WORDS.search(text)) or "处以罚款" in text


# ───────────────────────────── drafting ─────────────────────────────

def draft(law: str, article: str | int, paragraph: int | None = None, law_dir: Path | None = None,
          sentence: int | None = None,
          provision_id: str | None = None, library: dict[str, Statute] | None = None) -> Draft:
    """``library``: statutes already read (the test drafts every shipped provision from one reading)."""
    statute = find_statute(law, library if library is not None else read_library(law_dir))
    number = article_number(str(article))
    art = statute.article(number)
    reader = Reader()
    if paragraph is not None:
        if not 1 <= paragraph <= len(art.paragraphs):
            raise InputError(f"{statute.title}第{number}条没有第{paragraph}款，共{len(art.paragraphs)}款 "
                             f"(article {number} has no paragraph {paragraph}; it has {len(art.paragraphs)})")
        chosen = [paragraph]
    else:
        chosen = _paragraphs(art, reader)
    for k, i in enumerate(chosen):
        _read_paragraph(reader, art.paragraphs[i - 1], sentence if k == 0 else None, i)
    prefix = SCOPE.get(statute.title) or statute.short
    pid = provision_id or (f"{prefix}-{number}" + (f"-{paragraph}" if paragraph else "")
                           + (f"-s{sentence}" if sentence else ""))
    reading = reader.finish()
    branches = assemble(reading.levels)
    if not any(b.fine for b in branches) and not any(lv.sanctions or lv.gain for lv in reader.levels) \
            and not reader.notes:
        reader.note("range", "条文中未找到处罚 (no penalty found in the text)")
    return Draft(pid, statute, art, paragraph, chosen, sentence, branches, reader.levels, reader.notes)


def _paragraphs(art: Article, reader: Reader) -> list[int]:
    """Without ``--paragraph``: the first paragraph that penalises, with a later one that only raises its
    amounts ("按照前款罚款数额的二倍以上五倍以下", 安全生产法 Art. 114 ¶2); any other penalising paragraph is
    named in a note, to be drafted on its own."""
    penal = [i for i, p in enumerate(art.paragraphs, 1) if _has_penalty(p.full_text)]
    if not penal:
        return [1]
    chosen = [penal[0]]
    for i in penal[1:]:
        text = art.paragraphs[i - 1].full_text
        if "前款罚款数额" in text:
            chosen.append(i)
        else:
            reader.note("paragraph", f"第{i}款另设处罚，可用 --paragraph {i} 另行起草 "
                                     f"(paragraph {i} sets penalties of its own: draft it with --paragraph {i})")
    return chosen


def _read_paragraph(reader: Reader, para, sentence: int | None, number: int):
    """One part of the paragraph (``sentence``; the first by default, naming the others in notes), with
    its items where they follow that part."""
    ps = parts(para.text)
    if sentence is not None and not 1 <= sentence <= len(ps):
        raise InputError(f"第{number}款没有第{sentence}句（另设违法行为的部分），共{len(ps)}句 "
                         f"(paragraph {number} has no part {sentence}; it has {len(ps)})")
    chosen = sentence or 1
    reader.read_clauses(ps[chosen - 1])
    if sentence is None:
        for k in range(2, len(ps) + 1):
            reader.note("range", f"第{number}款第{k}句以未能解析的条件开头（另一违法行为或加重情形），未编入本草稿，"
                                 f"可用 --sentence {k} 另行起草 (part {k} of paragraph {number} opens with a "
                                 f"condition not parsed — another violation or an aggravation — and is not in "
                                 f"this draft: draft it with --sentence {k})")
    if chosen == len(ps):
        for item in para.items:           # an item that imposes something, not one that describes a violation
            if _has_penalty(item) and re.search(r"罚款|处以|给予|[，,](?:并)?处", item):
                reader.read(item)


# ───────────────────────────── branches ─────────────────────────────

def negate(expr: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_]*", expr):
        return f"not {expr}"
    return f"not ({expr})"


def conj(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return "true"
    return " and ".join(f"({p})" if " or " in p and len(parts) > 1 else p for p in parts)


def assemble(levels: list[Level]) -> list[DraftBranch]:
    """Levels → branches that cover every record once: a later level with a fine replaces the fines of
    the levels before it; inside a level, a fine without a partition takes what the others leave."""
    fined = [lv for lv in levels if lv.fines or lv.derived]
    if not fined:
        return [DraftBranch("true", None)]
    prev_fines: list[tuple[str | None, FineRange]] = []
    out: list[DraftBranch] = []
    for i, lv in enumerate(levels):
        if i > 0 and lv not in fined:
            continue
        fines = list(lv.fines)
        if lv.derived and not fines:
            lo, hi = lv.derived
            fines = [(p, FineRange(f.lo * lo, f.hi * hi)) for p, f in prev_fines if f.base is None]
        later = [negate(m.when) for m in levels[i + 1:] if m in fined]
        head = [lv.when] if lv.when else []
        if not fines:
            out.append(DraftBranch(conj(head + later), None))
            continue
        explicit = [p for p, _ in fines if p]
        for p, f in fines:
            part = p if p else (conj([negate(e) for e in explicit]) if explicit else None)
            out.extend(_optional(conj(head + later + ([part] if part else [])), f))
        prev_fines = fines
    return out


def _optional(when: str, fine: FineRange) -> list[DraftBranch]:
    """可以处 with a minimum above 0 (大气污染防治法 Art. 119 ¶1 "可以处五百元以上二千元以下"): no fine is lawful
    too, so a record without a fine takes a branch of its own."""
    if not fine.optional or fine.lo == 0:
        return [DraftBranch(when, fine)]
    pre = "" if when == "true" else f"{when} and "
    return [DraftBranch(f"{pre}coalesce(fine, 0) == 0", None), DraftBranch(f"{pre}coalesce(fine, 0) > 0", fine)]
