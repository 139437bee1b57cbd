"""Statute texts as data: a law's articles, their paragraphs (款) and items (项), read from the bundled
Markdown files (``rules/texts/``) or a department's own folder of texts in the same form.

Why here and not in the rules: the texts are what the rules cite.  ``rules coverage`` lists the articles
that impose penalties and says which are encoded; the drafter and the library browser read an article's
words from here.  Files are named ``<short name>(<version date>).md``; the first ``# `` line is the
law's full title; articles are lines beginning ``第N条``; a line beginning ``（一）`` is an item of the
paragraph before it.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError

BUNDLED = Path(__file__).resolve().parents[2] / "rules" / "texts"
_FILE = re.compile(r"^(?P<short>.+?)[(（](?P<date>\d{4}-\d{2}-\d{2})[)）]\.md$")
_ARTICLE = re.compile(r"^第(?P<num>[零〇一二三四五六七八九十百千\d]+)条(?:之(?P<sub>[一二三四五六七八九十]+))?[\s　]*(?P<rest>.*)$")
_ITEM = re.compile(r"^[（(](?P<num>[零〇一二三四五六七八九十百\d]+)[)）]\s*(?P<rest>.*)$")


def cn_number(text: str) -> int:
    """A Chinese (or Arabic) numeral as an int, through the maintained ``cn2an`` converter."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if _PLAIN_NUMERAL.match(text):          # 第一百二十三条: the way statutes number, read without loading cn2an
        total = digit = 0
        for ch in text:
            if ch in _UNITS:
                total += (digit or 1) * _UNITS[ch]
                digit = 0
            else:
                digit = _DIGITS[ch]
        return total + digit
    return _cn_numeral(text)


# the statutes' own numerals below ten thousand (一千零五十、二百一十、十五); 大写, 万 and the rest go to cn2an,
# whose import alone takes 0.4 s of a review that reads a citation
_PLAIN_NUMERAL = re.compile(r"^(?=.)(?:[一二三四五六七八九]千)?[零〇]?(?:[一二三四五六七八九]百)?[零〇]?"
                            r"(?:[一二三四五六七八九]?十)?[一二三四五六七八九]?$")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}
_UNITS = {"十": 10, "百": 100, "千": 1000}


@functools.lru_cache(maxsize=8192)
def _cn_numeral(text: str) -> int:
    """Cached: a statute folder numbers two thousand articles and items with a few hundred numerals, and the
    converter takes a third of a millisecond a call."""
    import cn2an
    try:
        return int(cn2an.cn2an(text.replace("〇", "零"), "smart"))
    except (ValueError, KeyError, TypeError):
        raise InputError(f"不是中文数字 (not a Chinese numeral): {text!r}") from None


@dataclass
class Paragraph:
    text: str
    items: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *self.items])


@dataclass
class Article:
    number: int
    paragraphs: list[Paragraph]
    chapter: str = ""

    @property
    def text(self) -> str:
        return "\n".join(p.full_text for p in self.paragraphs)


@dataclass
class Statute:
    title: str             # the full title, as provisions cite it: 中华人民共和国广告法
    short: str             # the file's short name: 广告法
    version: dt.date       # the date in the file name: the text's version
    path: Path
    articles: dict[int, Article]

    def article(self, number: int) -> Article:
        if number not in self.articles:
            raise InputError(f"{self.title}没有第{number}条 (no article {number} in {self.title})")
        return self.articles[number]


def read_statute(path: Path) -> Statute:
    path = Path(path)
    m = _FILE.match(path.name)
    if not m:
        raise InputError(f"{path}: 文件名应为 名称(YYYY-MM-DD).md (file name must be NAME(YYYY-MM-DD).md)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: 无法读取 (cannot read): {e}") from None
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), m.group("short"))
    articles: dict[int, Article] = {}
    current: Article | None = None
    chapter = ""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("<!--"):
            continue
        if line.startswith("#"):
            if line.startswith("## "):
                chapter = line[3:].strip()
            current = None                   # a heading ends the article before it
            continue
        am = _ARTICLE.match(line)
        if am and not am.group("sub"):
            number = cn_number(am.group("num"))
            current = Article(number, [Paragraph(am.group("rest").strip())], chapter)
            articles.setdefault(number, current)
            continue
        if current is None:
            continue
        if _ITEM.match(line):
            current.paragraphs[-1].items.append(line)
        else:
            current.paragraphs.append(Paragraph(line))
    return Statute(title, m.group("short"), dt.date.fromisoformat(m.group("date")), path, articles)


def read_library(folder: Path | None = None) -> dict[str, Statute]:
    """Every statute in ``folder`` (default: the bundled texts), by full title."""
    folder = Path(folder) if folder is not None else BUNDLED
    if not folder.is_dir():
        raise InputError(f"没有法规文本文件夹 (no folder of statute texts): {folder}")
    out: dict[str, Statute] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.upper() == "README.MD":
            continue
        s = read_statute(path)
        out[s.title] = s
    return out
