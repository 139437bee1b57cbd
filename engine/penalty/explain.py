"""Human-readable rendering of a provision (``zhunsheng rules show``): what the rule file says,
in the words of the statute, so a legal officer can check it against the text."""
from __future__ import annotations

from decimal import Decimal

from engine.library.yielding import yielding_candidates
from engine.records.schema import SANCTION_ZH


def _fmt(x: Decimal) -> str:
    if x == x.to_integral_value():
        return f"{int(x):,}"
    return f"{x:,f}".rstrip("0").rstrip(".")


def _range(fine, a: Decimal, b: Decimal) -> str:
    if fine.uncapped:
        return f"{_fmt(a)} 元以上，法律未规定上限 (no statutory maximum)"
    if fine.per_day is not None:
        return (f"{_fmt(a)}–{_fmt(b)} × {fine.base} × 计罚日数 (days from the day after {fine.per_day.order} "
                f"to {fine.per_day.until})")
    if fine.is_multiple:
        return f"{_fmt(a)}–{_fmt(b)} × {fine.base}"
    return f"{_fmt(a)}–{_fmt(b)} 元"


def show_provision(rs, cp) -> str:
    m = cp.model
    light = Decimal(str(rs.value("tier_light_upto")))
    heavy = Decimal(str(rs.value("tier_heavy_from")))
    lines = [f"{m.id}  {m.title}" + (f"  ({m.title_en})" if m.title_en else ""),
             f"  依据 Citation: {m.citation.short()}",
             f"  违法行为编码 Codes: {', '.join([m.id, *m.violation_codes])}",
             f"  文件 File: {cp.file}"]
    flags = []
    if m.life_health:
        flags.append("涉及生命健康安全 (时效五年 if harm, 行政处罚法 Art. 36)")
    if m.financial_safety:
        flags.append("涉及金融安全")
    if m.samr_publication:
        flags.append(f"市场监管处罚信息公示 ({rs.value('publication_working_days')} working days)")
    if m.min_officers is not None:
        flags.append(f"执法人员 ≥ {m.min_officers} ({m.min_officers_citation.short()})")
    if flags:
        lines.append("  " + "; ".join(flags))
    if m.benchmark:
        lines.append(f"  裁量基准 Benchmark document: {m.benchmark}")
    if m.yields is not None:
        lines.append(f"  特别法优先 Yields: {m.yields.note} [{m.yields.citation.short()}]")
        others = yielding_candidates(rs, cp)
        if others:
            lines.append("    可能优先适用 May yield to: " + ", ".join(others))
    for cv in cp.versions:
        v = cv.model
        lines.append(f"  版本 Version {v.valid_from} – {v.valid_to or '今 (in force)'}: {v.source}")
        if v.requires:
            lines.append(f"    需要事实 Requires: {', '.join(v.requires)}")
        if v.confiscate_gain != "none":
            lines.append(f"    没收违法所得: {'应当 mandatory' if v.confiscate_gain == 'mandatory' else '可以 permitted'}")
        split = v.tier_split or m.tier_split
        a = split.light_upto if split else light
        b = split.heavy_from if split else heavy
        for br in cv.branches:
            fine = br.model.fine
            lines.append(f"    情形 Branch {br.model.id}: when {br.condition.source}   [{br.citation.short()}]")
            if br.model.refer is not None:
                lines.append(f"      依照 Refers to: {br.model.refer.provision}"
                             + (f" {br.model.refer.branch}" if br.model.refer.branch else ""))
            if fine is None:
                lines.append("      罚款 Fine: 不得罚款 (no fine lawful)")
            else:
                lo, hi = fine.lo, fine.hi
                alt = " 或者警告 (or a warning instead)" if fine.alternative else ""
                lines.append(f"      法定幅度 Statutory: {_range(fine, lo, hi)}{alt}")
                if fine.uncapped:
                    lines.append("        裁量阶次 Tiers: 无上限，不分阶次 (no maximum, no tiers)")
                else:
                    lines.extend(_tier_lines(fine, br.model.tiers, a, b))
            for s, (mode, cond) in br.sanctions.items():
                lines.append(f"      {SANCTION_ZH[s]} {s}: {'应当' if mode == 'mandatory' else '可以'}"
                             + (f" when {cond.source}" if cond else ""))
            if br.model.note:
                lines.append(f"      注 Note: {br.model.note}")
    return "\n".join(lines)


def _tier_lines(fine, tiers, a: Decimal, b: Decimal) -> list[str]:
    lo, hi = fine.lo, fine.hi
    span = hi - lo
    rows = {
        "减轻处罚": (Decimal(0), lo) if not tiers or not tiers.减轻处罚 else tiers.减轻处罚,
        "从轻处罚": (lo, lo + a * span) if not tiers else tiers.从轻处罚,
        "一般处罚": (lo + a * span, lo + b * span) if not tiers else tiers.一般处罚,
        "从重处罚": (lo + b * span, hi) if not tiers else tiers.从重处罚,
    }
    return [f"        {name}: {_range(fine, x, y)}" for name, (x, y) in rows.items()]

