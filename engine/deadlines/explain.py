"""Human-readable rendering of a deadline rule (``zhunsheng rules show``): what starts and closes it,
its dated periods, extensions and consequences, so a legal officer can check it against the text."""
from __future__ import annotations


def show_deadline(cd) -> str:
    """One deadline rule: what starts and closes it, its dated periods, extensions and consequences."""
    m = cd.model
    lines = [f"{m.id}  {m.title}" + (f"  ({m.title_en})" if m.title_en else ""),
             f"  记录类型 Record kind: {m.record_kind};  问题代码 Code: {m.code}",
             f"  文件 File: {cd.file}"]
    if m.applies_when:
        lines.append(f"  适用条件 Applies when: {m.applies_when}")
    if m.start:
        lines.append(f"  起算 Starts: the day after {m.start}")
    if m.deemed_start:
        lines.append(f"  视为起算 Deemed start: {m.deemed_start.field} when {m.deemed_start.when} "
                     f"({m.deemed_start.citation.short()})")
    if m.after_deadlines:
        lines.append(f"  届满 Due: when the last of {', '.join(m.after_deadlines)} falls due")
    lines.append(f"  终止 Closed by: the earliest of {', '.join(m.closed_by)}"
                 + ("; reported only while still open" if m.open_only else ""))
    if m.unless_overdue:
        lines.append(f"  不重复 Not reported where {m.unless_overdue} is missed too")
    for v in cd.versions:
        vm = v.model
        span = f"{vm.valid_from}–{vm.valid_to or '…'}"
        period = (f"{vm.working_days} 个工作日" if vm.working_days is not None else
                  f"{vm.days} 日" if vm.days is not None else "—")
        if vm.limit_field:
            period += f" (or the record's {vm.limit_field})"
        lines.append(f"  版本 Version {span}: {period}  — {vm.citation.short()} [{vm.basis}]")
        lines.append(f"    来源 Source: {vm.source}")
        for e, _ in v.extensions:
            what = f"+{e.working_days} 个工作日 when {e.when}" if e.field is None else f"+ the working days in {e.field}"
            lines.append(f"    延长 Extension: {what} ({e.citation.short()})")
        for c, _ in v.consequences:
            lines.append(f"    后果 Consequence when {c.when}: {c.zh}")
    return "\n".join(lines)
