"""Citation texts → provisions: read the legal basis a decision cites as text (``《中华人民共和国食品安全法》
第一百二十四条第一款第（五）项``, ``第124条第1款第5项``, ``124条1款5项``) and find the rule set's provision.

Three steps, each usable alone:

- :func:`parse_citations` reads every citation in a basis text (a ``penalty_basis`` / 处罚依据 cell or a
  ``violation_code`` written as a citation): law name as written (full or short, with or without 《》 and
  中华人民共和国, simplified or traditional script), article, paragraph (款) and item (项) in Chinese or
  Arabic numerals, a version hint (``(2014)``, ``2014年修正``, ``2014年版``), the role the wording gives it
  (``违反…`` → ``violated``, ``依据…`` → ``penalty``) and whether it is a local discretion benchmark
  (``参照《…裁量基准》``) rather than a statute.
- :func:`resolve` matches one citation against the provisions of a loaded rule set: the provision's own
  citation, its versions' citations (an older text's article number, ``version: 2014年修正``) and its
  branches' citations.  An item resolves to a provision of that item if the rule set has one, else to the
  paragraph's or the article's provision.  A citation in an older text's numbering resolves through the
  version that carries it and returns that version's ``valid_from`` as a hint only: 从旧兼从轻 is still
  decided by the engine.  What does not resolve says why (Chinese first) and names the nearest provisions.
- :func:`resolve_basis` reads a whole basis text and returns the penalty provision(s) it names.

Pure functions: no I/O except the bundled statute texts, read once and only to tell an older number from
the current text's article and to place an item whose paragraph is not written.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

from engine.chinese import to_simplified
from engine.library.statutes import cn_number

__all__ = ["Citation", "Resolution", "BasisResolution", "parse_citations", "resolve", "resolve_basis",
           "normalize_law", "to_simplified"]

# ───────────────────────────── text normalisation ─────────────────────────────

_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"}
_FULLWIDTH.update({ord("（"): "(", ord("）"): ")", ord("［"): "[", ord("］"): "]", ord("，"): "，",
                   ord("＜"): "<", ord("＞"): ">", ord("〈"): "<", ord("〉"): ">", ord("﹙"): "(",
                   ord("﹚"): ")", ord("；"): "；", ord("、"): "、", ord("："): ":"})


def _clean(text: str) -> str:
    """Simplified script, half-width digits and brackets, no whitespace or Markdown emphasis."""
    text = to_simplified(str(text)).translate(_FULLWIDTH)
    return re.sub(r"[\s\u3000*_]+", "", text)


_PRC = "中华人民共和国"
_LAW_ALIASES = {
    "道交法": "道路交通安全法",
    "食安法": "食品安全法",
    "安法": "安全生产法",
    "价格违法行为处罚规定": "价格违法行为行政处罚规定",
}


def normalize_law(name: str) -> str:
    """A law name as a matching key: simplified, no 《》/<>, no 中华人民共和国, no version parenthetical."""
    s = _clean(name or "")
    s = re.sub(r"[《》<>\"“”]", "", s)
    s = re.sub(r"[(\[](?:\d{4}[^)\]]*|[^)\]]*(?:修正|修订|版)[^)\]]*)[)\]]$", "", s)
    s = s.replace(_PRC, "")
    return _LAW_ALIASES.get(s, s)


# ───────────────────────────── parsing ─────────────────────────────

_NUM = r"(?:\d+|[零〇一二三四五六七八九十百千两]+)"
_BENCHMARK = re.compile(r"裁量|基准|适用规则|指导意见")
_ROLE_WORDS = {"违反": "violated", "依据": "penalty", "根据": "penalty", "依照": "penalty", "按照": "penalty",
               "参照": "benchmark", "结合": "benchmark"}

_RE_ROLE = re.compile(r"违反了?|依据|根据|依照|按照|参照|结合|依(?=《)")
_RE_VERSION = re.compile(r"\((?P<y>\d{4})(?P<s>年?(?:[^()]{0,12}?)(?:修正|修订|版|本)?)\)"
                         r"|(?P<y2>\d{4})年(?P<s2>修正|修订|版|修正本|修订本)")
_RE_ARTICLE = re.compile(rf"(?P<di>第)?(?P<n>{_NUM})条(?:之(?P<sub>{_NUM}))?(?![例件文目])")
_RE_PARA = re.compile(rf"第?(?:(?P<n>{_NUM})|\((?P<b>{_NUM})\))款")
_RE_ITEMS = re.compile(rf"第?(?P<list>(?:\({_NUM}\)[、,，]?)+)项?|第?(?P<n>{_NUM})项")
_RE_LOOSE_LAW = re.compile(rf"[\u4e00-\u9fff]{{2,40}}?(?:法|条例|规定|办法|细则|规则|决定|基准)"
                           rf"(?=\(\d{{4}}|\d{{4}}年(?:修正|修订|版)|第|{_NUM}条)")
_RE_LEAD_ROLE = re.compile(r"^.*(违反了?|依据|根据|依照|按照|参照|结合)")


def _num(text: str) -> int:
    text = text.strip()
    if text[:1] in "百千":
        text = "一" + text
    return cn_number(text)


@dataclass(frozen=True)
class Citation:
    """One cited provision: ``law_text`` as written (simplified script, without 《》), the numbers, the
    version the citer named (``2014``, ``2014年修正``), the role the wording gives it, and its kind."""
    law_text: str | None
    article: int | None
    paragraph: int | None = None
    item: int | None = None
    version_hint: str | None = None
    role: str | None = None          # "violated" (违反…) | "penalty" (依据…) | None (the wording does not say)
    kind: str = "statute"            # "statute" | "benchmark" (a local discretion benchmark, 参照《…裁量基准》)
    current_only: bool = False       # decided after every older text encoded: the current numbering only

    @property
    def version_year(self) -> int | None:
        m = re.search(r"\d{4}", self.version_hint or "")
        return int(m.group()) if m else None

    def short(self) -> str:
        law = f"《{self.law_text}》" if self.law_text else "(法名未写明)"
        if self.version_hint:
            law += f"({self.version_hint})"
        if self.article is None:
            return law
        s = f"{law}第{self.article}条"
        if self.paragraph:
            s += f"第{self.paragraph}款"
        if self.item:
            s += f"第{self.item}项"
        return s


def _bracketed_law(text: str, i: int) -> tuple[str, int] | None:
    """The 《…》 starting at ``i`` (nesting allowed: 《浙江省实施《道路交通安全法》办法》)."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "《":
            depth += 1
        elif text[j] == "》":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
    return None


def _split_version(name: str) -> tuple[str, str | None]:
    m = re.search(r"\((\d{4}[^()]*)\)$|(\d{4}年(?:修正|修订|版))$", name)
    if not m:
        return name, None
    return name[:m.start()], (m.group(1) or m.group(2))


def parse_citations(text: str | None) -> list[Citation]:
    """Every citation in a basis text, in order of appearance (see the module docstring)."""
    if text is None:
        return []
    s = _clean(text)
    if not s:
        return []
    # Quoted article text (“违反本法规定，…”) sits between numbers; part labels 【…】 follow benchmarks.
    s = re.sub(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|‘[^’]*’|【[^】]*】", "", s)

    out: list[Citation] = []
    law: str | None = None
    version: str | None = None
    kind = "statute"
    role: str | None = None
    clause_role: str | None = None     # 参照/结合 make the next law a benchmark
    law_pending = False                # a law named, no article yet
    cur: Citation | None = None        # the citation being read

    def flush():
        nonlocal cur, law_pending
        if cur is not None:
            out.append(cur)
            cur = None
        elif law_pending and law is not None:
            out.append(Citation(law, None, version_hint=version, role=role, kind=kind))
        law_pending = False

    def set_law(name: str):
        nonlocal law, version, kind, law_pending, clause_role
        flush()
        name, hint = _split_version(name)
        if name.endswith("本法") or name in ("该法", "本条例", "本规定", "本办法"):
            law_pending = False
            return                      # 本法: the law already named
        law, version = name, hint
        kind = "benchmark" if (_BENCHMARK.search(name) or clause_role == "benchmark") else "statute"
        clause_role = None
        law_pending = True

    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "《":
            got = _bracketed_law(s, i)
            if got:
                set_law(got[0])
                i = got[1]
                continue
        if ch in "。":
            flush()
            role = clause_role = None
            i += 1
            continue
        m = _RE_ROLE.match(s, i)
        if m:
            word = m.group().rstrip("了")
            r = _ROLE_WORDS.get(word, "penalty")
            if r == "benchmark":
                clause_role = "benchmark"
            else:
                role, clause_role = r, None
            i = m.end()
            continue
        m = _RE_VERSION.match(s, i)
        if m:
            y, suffix = (m.group("y"), m.group("s")) if m.group("y") else (m.group("y2"), "年" + m.group("s2"))
            version = (y + suffix) if suffix else y
            if cur is not None:
                cur = replace(cur, version_hint=version)
            i = m.end()
            continue
        m = _RE_ARTICLE.match(s, i)
        if m:
            law_pending = False
            flush()
            cur = Citation(law, _num(m.group("n")), version_hint=version, role=role, kind=kind)
            i = m.end()
            continue
        m = _RE_PARA.match(s, i)
        if m:
            if m.group("b"):                         # 第(四)款: an item written as 款
                items = [_num(m.group("b"))]
            else:
                items = None
                p = _num(m.group("n"))
                if cur is not None and cur.paragraph is None and cur.item is None:
                    cur = replace(cur, paragraph=p)
                elif cur is not None:                # 第一款、第二款: the article's next paragraph
                    art = cur
                    flush()
                    cur = Citation(art.law_text, art.article, p, None, art.version_hint, role, art.kind)
            if items is None:
                i = m.end()
                continue
        else:
            items = None
            m = _RE_ITEMS.match(s, i)
            if m:
                if m.group("list"):
                    items = [_num(x) for x in re.findall(_NUM, m.group("list"))]
                else:
                    items = [_num(m.group("n"))]
        if items is not None:
            if cur is not None:
                base = cur
                for k, it in enumerate(items):
                    if k == 0 and cur.item is None:
                        cur = replace(cur, item=it)
                    else:
                        flush()
                        cur = replace(base, item=it)
            i = m.end()
            continue
        m = _RE_LOOSE_LAW.match(s, i)
        if m:
            name = m.group()
            lead = _RE_LEAD_ROLE.match(name)
            if lead:
                r = _ROLE_WORDS.get(lead.group(1).rstrip("了"), "penalty")
                if r == "benchmark":
                    clause_role = "benchmark"
                else:
                    role = r
                name = name[lead.end():]
            if _PRC in name:
                name = name[name.index(_PRC):]
            name = re.sub(r"^(?:了|的|和|及|以及|与|并|均|按)+", "", name)
            if len(name) >= 2:
                set_law(name)
            i = m.end()
            continue
        i += 1
    flush()
    return out


# ───────────────────────────── the rule set's citations ─────────────────────────────

@dataclass(frozen=True)
class _Entry:
    provision: str
    law: str                       # the rule set's law title
    key: str                       # normalize_law(law)
    article: int
    paragraph: int | None
    item: int | None
    tag: str | None                # the citation's ``version`` (an older text's numbering)
    versions: tuple                # the provision's Version models this numbering applies to
    branch: str | None             # a branch's own citation
    shown: str                     # as the rule set writes it

    @property
    def depth(self) -> int:
        return 1 + (self.paragraph is not None) + (self.item is not None)


@dataclass
class _Index:
    entries: list[_Entry]
    laws: dict[str, str]           # key -> title
    provisions: dict[str, object]  # id -> Provision model


_CACHE: dict[int, tuple[object, _Index]] = {}


def _index(ruleset) -> _Index:
    hit = _CACHE.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    entries: list[_Entry] = []
    laws: dict[str, str] = {}
    models = {}
    for pid, cp in ruleset.provisions.items():
        model = getattr(cp, "model", cp)
        models[pid] = model

        def add(cit, versions, branch=None):
            if cit is None or cit.article is None:
                return
            key = normalize_law(cit.law)
            laws.setdefault(key, cit.law)
            entries.append(_Entry(pid, cit.law, key, cit.article, cit.paragraph, cit.item, cit.version,
                                  tuple(versions), branch, cit.short()))

        add(model.citation, [v for v in model.versions if v.citation is None])
        for v in model.versions:
            if v.citation is not None:
                add(v.citation, [v])
            for b in v.branches:
                if b.citation is not None:
                    add(b.citation, [v], b.id)
    idx = _Index(entries, laws, models)
    _CACHE[id(ruleset)] = (ruleset, idx)
    return idx


_LIBRARY: dict | None = None


def _statute(law_title: str):
    """The bundled current text of a law, or None."""
    global _LIBRARY
    if _LIBRARY is None:
        try:
            from engine.library.statutes import read_library
            _LIBRARY = {normalize_law(t): s for t, s in read_library().items()}
        except Exception:            # the texts are a help, never a requirement
            _LIBRARY = {}
    return _LIBRARY.get(normalize_law(law_title))


# ───────────────────────────── resolving ─────────────────────────────

@dataclass(frozen=True)
class Resolution:
    """What one citation names in the rule set.  ``provision`` is None when nothing (or more than one
    provision) matches; ``reason`` then says why and ``nearest`` lists at most five provision ids."""
    citation: Citation
    provision: str | None
    version: dt.date | None = None   # valid_from of the version whose numbering the citation uses (a hint)
    branches: tuple[str, ...] = ()   # branches whose own citation is the cited paragraph/item
    law: str | None = None           # the rule set's title of the cited law
    via: str | None = None           # the rule set's citation that matched
    reason: str = ""
    nearest: tuple[str, ...] = ()
    candidates: tuple[str, ...] = () # several provisions matched (ambiguous)
    older_only: bool = False         # matched only an older text's numbering, and the citer named no version
    by_branch: bool = False          # matched only a branch's own citation (e.g. a rule several articles share)

    @property
    def ok(self) -> bool:
        return self.provision is not None


def _law_keys(idx: _Index, law_text: str | None) -> list[str]:
    if not law_text:
        return list(idx.laws)
    key = normalize_law(law_text)
    if key in idx.laws:
        return [key]
    # A law written loosely with words before it: 当事人食品安全法 → 食品安全法 (never a local
    # law: 山东省食品安全条例 is not the Act).
    ends = [k for k in idx.laws if key.endswith(k) and not re.search(r"省|市|县|自治|区|实施", key[:-len(k)])]
    return sorted(ends, key=len, reverse=True)[:1]


def _version_matches(v, year: int) -> bool:
    return bool((v.citation is not None and v.citation.version and str(year) in v.citation.version)
                or str(year) in v.source)


def _allowed_versions(model, year: int) -> set[int]:
    """The versions of a provision that a version hint names: by the text's name, else by date."""
    named = {id(v) for v in model.versions if _version_matches(v, year)}
    if named:
        return named
    return {id(v) for v in model.versions
            if v.valid_from.year <= year <= (v.valid_to.year if v.valid_to else 9999)}


def _compatible(e: _Entry, c: Citation) -> bool:
    return (e.article == c.article
            and (e.paragraph is None or c.paragraph is None or e.paragraph == c.paragraph)
            and (e.item is None or c.item is None or e.item == c.item))


def _covers(e: _Entry, c: Citation) -> bool:
    """The entry is the citation or an ancestor of it (article ⊇ paragraph ⊇ item)."""
    return (e.article == c.article
            and (e.paragraph is None or e.paragraph == c.paragraph)
            and (e.item is None or e.item == c.item))


def _infer_paragraph(law: str, c: Citation) -> int | None:
    """第125条第(四)项 without 款: the paragraph of the current text that has that many items, if one."""
    st = _statute(law)
    if st is None or c.article not in st.articles or c.item is None:
        return None
    paras = [k + 1 for k, p in enumerate(st.articles[c.article].paragraphs) if len(p.items) >= c.item]
    return paras[0] if len(paras) == 1 else None


def _nearest(idx: _Index, c: Citation, keys: list[str]) -> tuple[str, ...]:
    """At most five provision ids: of the same law (or, with no law written, of any law) by article
    distance; for a law the rule set lacks, of the laws whose names are most alike."""
    if keys:
        dist: dict[str, int] = {}
        for e in idx.entries:
            if e.key in keys:
                d = abs(e.article - c.article) if c.article is not None else e.article
                dist[e.provision] = min(d, dist.get(e.provision, d))
        return tuple(sorted(dist, key=lambda p: (dist[p], p))[:5])
    key = normalize_law(c.law_text or "")
    if not key:
        return ()
    sim = {k: difflib.SequenceMatcher(None, key, k).ratio() for k in idx.laws}
    close = sorted((k for k in sim if sim[k] >= 0.5), key=lambda k: -sim[k])
    out: list[str] = []
    for k in close:
        for e in sorted((e for e in idx.entries if e.key == k),
                        key=lambda e: abs(e.article - (c.article or e.article))):
            if e.provision not in out:
                out.append(e.provision)
    return tuple(out[:5])


def _unresolved(c: Citation, reason: str, nearest: Iterable[str] = (), law: str | None = None,
                candidates: Iterable[str] = ()) -> Resolution:
    return Resolution(c, None, law=law, reason=reason, nearest=tuple(nearest)[:5],
                      candidates=tuple(candidates))


def resolve(citation: Citation | str, ruleset) -> Resolution:
    """The rule set's provision for one citation (see the module docstring)."""
    if isinstance(citation, str):
        found = parse_citations(citation)
        if not found:
            return _unresolved(Citation(None, None), f"未识别到条款引用 (no citation found in) {citation!r}")
        citation = found[0]
    c = citation
    idx = _index(ruleset)
    shown = c.short()
    if c.kind == "benchmark":
        return _unresolved(c, f"裁量基准，非法律条款 (a discretion benchmark, not a statute provision): {shown}")
    keys = _law_keys(idx, c.law_text)
    law_title = idx.laws[keys[0]] if len(keys) == 1 else None
    if c.article is None:
        return _unresolved(c, f"未写明条号 (no article cited): {shown}", _nearest(idx, c, keys), law_title)
    if not keys:
        return _unresolved(c, f"规则集未收录该法规 (no provisions of this law in the rule set): {shown}",
                           _nearest(idx, c, keys))

    pool = [e for e in idx.entries if e.key in keys and _compatible(e, c)]
    year = c.version_year
    older_note = ""
    if year is not None:
        kept = []
        for e in pool:
            allowed = _allowed_versions(idx.provisions[e.provision], year)
            vs = tuple(v for v in e.versions if id(v) in allowed)
            if vs:
                kept.append(replace(e, versions=vs))
        if pool and not kept:
            return _unresolved(c, f"规则集中没有该版本的对应条款 (no provision in that text's version for) {shown}",
                               _nearest(idx, c, keys), law_title)
        pool = kept
    else:
        current = [e for e in pool if e.tag is None]
        older = {e.provision for e in pool if e.tag is not None} - {e.provision for e in current}
        if current and older and not c.current_only:   # the number means different articles in different texts
            ids = sorted({e.provision for e in current} | older)
            return _unresolved(c, f"{shown} 在现行文本与旧文本中是不同条款，请注明版本，如“(2014年修正)” (the number "
                                  f"names different articles in the current and an older text: name the version): "
                                  f"{', '.join(ids)}", tuple(ids), law_title, tuple(ids))
        if current or not pool:
            pool = current
        else:                                        # only an older text's numbering matches
            tags = sorted({e.tag for e in pool})
            older_note = f"按{'、'.join(tags)}文本的条号 (numbered as in the {'/'.join(tags)} text)"
            law0 = pool[0].law
            st = _statute(law0)
            if st is not None and c.article in st.articles:
                older_note += (f"；现行文本第{c.article}条是另一条款，若指现行文本则无对应条款 "
                               f"(in the current text Art. {c.article} is a different article)")
    if not pool:
        return _unresolved(c, f"未找到对应条款 (no provision for) {shown}", _nearest(idx, c, keys), law_title)

    notes: list[str] = []
    covering = [e for e in pool if _covers(e, c)]
    if covering:
        top = max(e.depth for e in covering)
        chosen = [e for e in covering if e.depth == top]
    else:
        chosen = pool
        if c.paragraph is None and c.item is not None and len({e.provision for e in pool}) > 1:
            para = _infer_paragraph(pool[0].law, c)
            if para is not None:
                narrowed = [e for e in pool if e.paragraph in (None, para)]
                if narrowed:
                    chosen = narrowed
                    notes.append(f"款由现行条文推定为第{para}款 (paragraph {para} inferred from the text)")
        if len({e.provision for e in chosen}) == 1 and not notes:
            missing = "款" if c.paragraph is None else "项"
            notes.append(f"未写明{missing}，该条仅此一项规则 (the {'paragraph' if missing == '款' else 'item'} "
                         f"is not stated; the only provision encoded for the article)")
    ids = list(dict.fromkeys(e.provision for e in chosen))
    if len(ids) > 1:
        return _unresolved(c, f"引用不明确，对应多个条款 (ambiguous: several provisions match) {shown}: "
                              f"{', '.join(ids)}", ids, law_title, ids)
    pid = ids[0]
    mine = [e for e in chosen if e.provision == pid]
    via = next((e for e in mine if e.branch is None), mine[0])
    version = None
    if year is not None or older_note:
        starts = sorted({v.valid_from for e in mine for v in e.versions})
        version = starts[0] if starts else None
    vset = {id(v) for e in mine for v in e.versions}
    branches = tuple(dict.fromkeys(
        e.branch for e in pool
        if e.provision == pid and e.branch and any(id(v) in vset for v in e.versions)
        and (c.item is not None or (c.paragraph is not None and e.paragraph == c.paragraph))))
    if older_note:
        notes.insert(0, older_note)
    reason = f"{shown} → {pid} ({via.shown})"
    if notes:
        reason += "；" + "；".join(notes)
    return Resolution(c, pid, version, branches, via.law, via.shown, reason,
                      older_only=bool(older_note) and year is None,
                      by_branch=all(e.branch is not None for e in mine))


# ───────────────────────────── a whole basis text ─────────────────────────────

@dataclass
class BasisResolution:
    """The penalty provision(s) a basis text names.  ``provisions`` empty: the row is rejected, and
    ``reasons`` say what could not be matched; several: a multi-violation decision."""
    text: str | None
    citations: list[Citation]
    provisions: list[str]
    resolutions: list[Resolution] = field(default_factory=list)   # of the chosen provisions
    unresolved: list[Resolution] = field(default_factory=list)    # the other statute citations
    reasons: list[str] = field(default_factory=list)
    nearest: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.provisions)

    @property
    def multi(self) -> bool:
        return len(self.provisions) > 1

    def resolution_of(self, provision: str) -> Resolution | None:
        return next((r for r in self.resolutions if r.provision == provision), None)


_ROLE_ORDER = ("penalty", None, "violated")


def resolve_basis(text: str | None, ruleset) -> BasisResolution:
    """Read a basis text (or a ``violation_code`` written as a citation) and name its penalty provision(s):
    citations the wording marks as the penalty basis (依据…) first, then unmarked ones, then those cited
    as violated (违反…, which some decisions write for the penalty article too)."""
    raw = "" if text is None else str(text).strip()
    code = getattr(ruleset, "codes", {}).get(raw) if raw else None
    if code:
        return BasisResolution(text, [], [code], reasons=[f"{raw} 为规则集编码 (a rule-set code) → {code}"])
    cits = parse_citations(raw)
    if not cits:
        why = "未填写处罚依据 (no basis given)" if not raw else f"未识别到条款引用 (no citation found in) {raw!r}"
        return BasisResolution(text, [], [], reasons=[why])
    results = [resolve(c, ruleset) for c in cits if c.kind == "statute"]
    for role in _ROLE_ORDER:
        group = [r for r in results if r.citation.role == role]
        hits = [r for r in group if r.ok]
        if hits:
            provisions = list(dict.fromkeys(r.provision for r in hits))
            chosen = [next(r for r in hits if r.provision == p) for p in provisions]
            others = [r for r in results if not r.ok]
            reasons = [r.reason for r in chosen]
            if role == "violated":
                reasons.append("按违反条款引用读取处罚条款 (read from a citation worded as the violated article)")
            return BasisResolution(text, cits, provisions, chosen, others, reasons)
    unresolved = [r for r in results if not r.ok]
    nearest: list[str] = []
    for r in unresolved:
        for p in r.nearest:
            if p not in nearest:
                nearest.append(p)
    reasons = [f"未找到处罚条款 (no provision for the basis): {raw}"] + [r.reason for r in unresolved]
    if not results:
        reasons.append("只引用了裁量基准 (only discretion benchmarks are cited)")
    return BasisResolution(text, cits, [], [], unresolved, reasons, tuple(nearest[:5]))


# ───────────────────────────── judging a record by its citation ─────────────────────────────

_PROCEDURE_LAW = "行政处罚法"
_SUB_ARTICLE = re.compile(r"条之[一二三四五六七八九十\d]")


def judged_provision(text: str, ruleset, on=None) -> tuple[str | None, str]:
    """The one provision a record's citation names, strictly enough to judge the record by it, or the
    reason it cannot be used.  A resolution that is a good *hint* is not enough to judge by: the engine
    would evaluate the record under another article's ranges and report findings the decision does not
    deserve.  So every citation of the basis (the 依据 ones if the wording marks them, else all) must
    name a law, exist in the text as cited (paragraph, item), match the current numbering or name the
    older text's version, match the provision itself rather than a rule that several articles share, and
    all must name the same provision.

    ``on``: (act date, decision date), either None.  A citation without a version, decided while an older
    text of the law was in force (安全生产法第一百零九条 in a 2019 decision), is read in that text's
    numbering: the decision could only cite a text then in force.  Decided under the current text, it is
    read in the current numbering only if the act too fell under it: a decision on an older act may cite
    the older text it applies (行政处罚法 Art. 37, 从旧兼从轻), and then the number is ambiguous."""
    raw = str(text).strip()
    if _SUB_ARTICLE.search(raw.translate(_FULLWIDTH)):
        return None, f"引用了“条之N”，规则集未收录 (cites an 'article N-bis', not encoded): {raw}"
    cits = [c for c in parse_citations(raw)
            if c.kind == "statute" and c.article is not None and _PROCEDURE_LAW not in (c.law_text or "")]
    if not cits:
        return None, f"未识别到条款引用 (no citation found): {raw}"
    for role in _ROLE_ORDER:
        group = [c for c in cits if c.role == role]
        if group:
            break
    ids = []
    for c in group:
        if on is not None and c.version_hint is None:
            c = _in_force_text(c, ruleset, *on)
        why = _unusable(c, ruleset)
        if why:
            return None, why
        r = resolve(c, ruleset)
        if not r.ok:
            return None, r.reason + (f"；最接近的条款 (nearest): {', '.join(r.nearest)}" if r.nearest else "")
        if r.older_only:
            return None, (f"{c.short()} 按旧文本条号才有对应条款，请注明版本，如“(2014年修正)” (matches only an "
                          f"older text's numbering: name the version, e.g. (2014年修正)): {r.provision}")
        older = set() if c.current_only else _older_readings(c, ruleset) - {r.provision}
        if older:
            return None, (f"{c.short()} 在现行文本中是 {r.provision}，在旧文本中是 {', '.join(sorted(older))}，请注明版本 "
                          f"(is {r.provision} in the current text and {', '.join(sorted(older))} in an older one: "
                          f"name the version, e.g. (2014年修正))")
        if r.by_branch and not _own_part(c, r.provision, ruleset):
            return None, (f"{c.short()} 是多个条款共用的规定，请引用违法行为所在的条款 (a rule several articles "
                          f"share: cite the article of the violation)")
        ids.append(r.provision)
    ids = list(dict.fromkeys(ids))
    if len(ids) > 1:
        return None, (f"引用了多个条款 {', '.join(ids)}，请每个违法行为一行 (cites several provisions; give one "
                      f"row per violation): {raw}")
    return ids[0], ""


def has_older_texts(text: str, ruleset) -> bool:
    """Whether a citation names a law of which the rule set encodes an older text's numbering (then only
    the dates can tell which text it is read in)."""
    idx = _index(ruleset)
    for c in parse_citations(str(text)):
        if c.kind != "statute" or not c.law_text or c.version_hint:
            continue
        keys = set(_law_keys(idx, c.law_text))
        if any(e.key in keys and e.tag for e in idx.entries):
            return True
    return False


def _own_part(c: Citation, pid: str, ruleset) -> bool:
    """A paragraph or item of the provision's own article (安全生产法第114条第1款第(二)项 is WSL-114's
    较大事故 branch), not a rule another article shares."""
    cp = ruleset.provisions[pid]
    cits = [cp.model.citation] + [v.citation for v in cp.model.versions if v.citation is not None]
    return any(x.article == c.article for x in cits)


def _in_force_text(c: Citation, ruleset, act, decided) -> Citation:
    """The citation in the numbering of the text in force when decided, where that is an older text the
    rule set encodes (a version tagged ``2014年修正``); in the current numbering where both the act and the
    decision came after every older text; else unchanged."""
    if decided is None:
        return c
    day = decided
    idx = _index(ruleset)
    keys = set(_law_keys(idx, c.law_text)) if c.law_text else set()
    ends = []
    for e in idx.entries:
        if e.key not in keys or not e.tag:
            continue
        for v in e.versions:
            if v.valid_from <= day and (v.valid_to is None or day <= v.valid_to):
                return replace(c, version_hint=e.tag)
            ends.append(v.valid_to)
    if ends and act is not None and all(end is not None and end < act for end in ends):
        return replace(c, current_only=True)
    return c


def _older_readings(c: Citation, ruleset) -> set[str]:
    """Provisions the same law and article number name in an older text's numbering (a citation without
    a version could mean either: 安全生产法第109条 is today's insurance article and the 2014 accident fines)."""
    if c.version_year is not None or not c.law_text:
        return set()
    idx = _index(ruleset)
    keys = set(_law_keys(idx, c.law_text))
    return {e.provision for e in idx.entries if e.key in keys and e.tag and e.article == c.article}


def _unusable(c: Citation, ruleset) -> str:
    """Why a citation cannot be judged by: no law named, or a paragraph/item the text does not have."""
    if not c.law_text:
        return f"未写明法律名称 (no law named): {c.short()}"
    if c.version_year is not None:
        return ""                                   # an older text: the bundled current one cannot check it
    st = _statute(c.law_text)
    if st is None or c.article not in st.articles:
        return ""
    art = st.articles[c.article]
    if c.paragraph is not None and c.paragraph > len(art.paragraphs):
        return f"{c.short()}：该条只有{len(art.paragraphs)}款 (the article has {len(art.paragraphs)} paragraph(s))"
    if c.item is not None:
        paras = [art.paragraphs[c.paragraph - 1]] if c.paragraph else art.paragraphs
        if c.item > max(len(p.items) for p in paras):
            return f"{c.short()}：没有第{c.item}项 (no item {c.item} there)"
    return ""
