"""Which penalty articles of the bundled statutes the rules encode, which are excluded and why, which are missing.

An article is a *penalty article* when its text names a sanction of 行政处罚法 Art. 9 being imposed
(罚款, 警告, 没收违法所得, 吊销 …).  It is *encoded* when a provision cites it (any paragraph or item;
dated versions under an older number count for the text they cite, not for today's article), and
*excluded* when ``rules/coverage.yaml`` lists it with a reason (only 处分 of officials, a pure
cross-reference, a penalty only a court imposes …).  Everything else is *missing*.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from engine.errors import InputError
from engine.library.statutes import Statute, read_library

# The laws the penalty library covers, with their provision-id prefixes (issue 12).
SCOPE = {
    "中华人民共和国食品安全法": "FSL", "中华人民共和国食品安全法实施条例": "FSLR", "中华人民共和国广告法": "ADL",
    "中华人民共和国安全生产法": "WSL", "中华人民共和国产品质量法": "PQL", "中华人民共和国消费者权益保护法": "CPL",
    "中华人民共和国反不正当竞争法": "AUCL", "中华人民共和国价格法": "PRL", "价格违法行为行政处罚规定": "PVR",
    "明码标价和禁止价格欺诈规定": "MBP", "中华人民共和国药品管理法": "DAL", "中华人民共和国大气污染防治法": "APL",
    "中华人民共和国环境保护法": "EPL", "中华人民共和国道路交通安全法": "RTSL",
    "中华人民共和国道路交通安全法实施条例": "RTSR", "中华人民共和国市场主体登记管理条例": "MER",
    "企业信息公示暂行条例": "EIPR", "中华人民共和国个人信息保护法": "PIPL",
}
# 行政处罚法 Art. 9: the kinds of administrative penalty, as statutes word them.
PENALTY_WORDS = re.compile(r"罚款|警告|通报批评|没收违法所得|没收非法财物|没收|暂扣|降低资质等级|吊销|"
                           r"限制开展生产经营活动|责令停产停业|责令停业|责令关闭|限制从业|拘留")


@dataclass
class LawCoverage:
    title: str
    prefix: str
    penalty_articles: list[int]
    encoded: dict[int, list[str]] = field(default_factory=dict)      # article -> provision ids
    excluded: dict[int, str] = field(default_factory=dict)           # article -> reason
    missing: list[int] = field(default_factory=list)

    def row(self) -> dict:
        return {"law": self.title, "prefix": self.prefix, "articles": len(self.penalty_articles),
                "encoded": len(self.encoded), "excluded": len(self.excluded), "missing": len(self.missing),
                "missing_articles": self.missing}


def penalty_articles(statute: Statute) -> list[int]:
    return [n for n, a in sorted(statute.articles.items()) if PENALTY_WORDS.search(a.text)]


def cited_articles(ruleset) -> dict[tuple[str, int], list[str]]:
    """(law, article) -> provision ids citing it in a version of the current text."""
    out: dict[tuple[str, int], list[str]] = {}
    for pid, prov in ruleset.provisions.items():
        for law, article in _citations(prov):
            out.setdefault((law, article), [])
            if pid not in out[(law, article)]:
                out[(law, article)].append(pid)
    return out


def _citations(prov):
    """Every (law, article) a provision cites for the current text (citations marked with an older
    ``version`` cite that text's numbering and are left out)."""
    found = []

    def walk(obj):
        if isinstance(obj, dict):
            if "law" in obj and "article" in obj and not obj.get("version"):
                try:
                    found.append((str(obj["law"]), int(obj["article"])))
                except (TypeError, ValueError):
                    pass
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)
    model = getattr(prov, "model", prov)
    walk(model.model_dump() if hasattr(model, "model_dump") else model)
    return found


def read_exclusions(path: Path) -> dict[tuple[str, int], str]:
    if not Path(path).is_file():
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: 无法读取 (cannot read): {e}") from None
    out = {}
    for i, entry in enumerate(data.get("excluded", []) or [], start=1):
        try:
            out[(str(entry["law"]), int(entry["article"]))] = str(entry["reason"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path}: excluded 第{i}项缺少 law/article/reason "
                             f"(entry {i} needs law, article and reason)") from None
    return out


def coverage(ruleset, law_dir: Path | None = None, exclusions: Path | None = None) -> list[LawCoverage]:
    library = read_library(law_dir)
    cited = cited_articles(ruleset)
    excluded = read_exclusions(exclusions if exclusions is not None else Path(ruleset.root) / "coverage.yaml")
    result = []
    for title, prefix in SCOPE.items():
        statute = library.get(title)
        if statute is None:
            continue
        lc = LawCoverage(title, prefix, penalty_articles(statute))
        for n in lc.penalty_articles:
            if (title, n) in cited:
                lc.encoded[n] = cited[(title, n)]
            elif (title, n) in excluded:
                lc.excluded[n] = excluded[(title, n)]
            else:
                lc.missing.append(n)
        result.append(lc)
    return result


def render(rows: list[LawCoverage], show_missing: bool = False) -> str:
    head = f"{'法律 law':<24} {'处罚条文 articles':>8} {'已编码 encoded':>8} {'已排除 excluded':>8} {'缺少 missing':>8}"
    lines = [head]
    total = [0, 0, 0, 0]
    for lc in rows:
        r = lc.row()
        lines.append(f"{lc.title:<24} {r['articles']:>8} {r['encoded']:>8} {r['excluded']:>8} {r['missing']:>8}")
        for i, k in enumerate(("articles", "encoded", "excluded", "missing")):
            total[i] += r[k]
        if show_missing and lc.missing:
            lines.append("    缺少 missing: " + "、".join(f"第{n}条" for n in lc.missing))
    lines.append(f"{'合计 total':<24} {total[0]:>8} {total[1]:>8} {total[2]:>8} {total[3]:>8}")
    return "\n".join(lines)
