"""What the HTML report shows, gathered in one pass over findings and one over cases, kept small.

Every chart is fed aggregates (counts per department, per code, per fine position, per lateness), never
one mark per record, and the findings table keeps a bounded number of rows (the most serious first),
so a review of a hundred thousand findings still makes a page a browser opens at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.report import labels as L
from engine.report.folder import ReviewFiles

TABLE_ROWS = 2000          # findings listed in the page's table
REJECTED_ROWS = 1000       # rejected rows listed
CASES_PER_PROVISION = 40   # cases drawn one by one in a provision's chart
PROVISIONS_DRAWN = 30      # provisions with a chart of their own (most cases first)

POSITIONS = ("低于法定最低额", "低于裁量阶次", "在裁量阶次内", "高于裁量阶次", "超过法定最高额", "依法不予处罚却处罚")
_FINE_CODES = {"penalty.above_statutory_max", "penalty.below_statutory_min", "penalty.outside_tier",
               "penalty.should_not_punish"}


@dataclass
class ProvisionStats:
    provision: str
    citation: str = ""
    cases: int = 0
    positions: dict = field(default_factory=dict)
    drawn: list = field(default_factory=list)         # one dict per case drawn
    drawn_plain: list = field(default_factory=list)   # cases without findings, drawn if room is left


@dataclass
class ReportStats:
    summary: dict
    table: list            # finding rows for the table (dicts of display text)
    table_total: int
    certainty: dict        # certainty -> count (empty when the run does not say)
    provisions: list       # ProvisionStats, most cases first
    lateness: list         # {code, name, unit, limit, late, count}
    rejected: list         # rejected rows (dicts)
    rejected_total: int
    fines_known: int


def gather(files: ReviewFiles) -> ReportStats:
    per_case: dict[str, dict] = {}
    late: dict[tuple, int] = {}
    certainty: dict[str, int] = {}
    buckets: dict[int, list] = {0: [], 1: [], 2: [], 3: []}
    total = 0
    for i, f in enumerate(files.iter_findings()):
        total += 1
        code = f.get("code") or ""
        if f.get("certainty"):
            certainty[f["certainty"]] = certainty.get(f["certainty"], 0) + 1
        sev = L.SEVERITY_ORDER.get(f.get("severity"), 3)
        if sum(len(b) for s, b in buckets.items() if s <= sev) < TABLE_ROWS:
            buckets[sev].append(_table_row(f))
        facts, expected, actual = f.get("facts") or {}, f.get("expected") or {}, f.get("actual") or {}
        if code.startswith("penalty.") or "fine" in facts:
            info = per_case.setdefault(f.get("case_id"), {"codes": set()})
            info["codes"].add(code)
            fine = actual.get("fine", facts.get("fine"))
            if _number(fine):
                info["fine"] = fine
            for k in ("statutory_min", "statutory_max"):
                if _number(expected.get(k)):
                    info[k] = expected[k]
            if code in _FINE_CODES and f.get("citations"):
                info.setdefault("citation", L.citation_text(f["citations"][:1]))
        n_late, unit = _lateness(expected, actual)
        if n_late is not None:
            key = (code, unit, _limit(expected), n_late)
            late[key] = late.get(key, 0) + 1
    table = [r for s in sorted(buckets) for r in buckets[s]][:TABLE_ROWS]
    provisions, fines_known = _provisions(files, per_case)
    lateness = [{"code": c, "name": L.code_name(c), "unit": u, "limit": lim, "late": n, "count": k}
                for (c, u, lim, n), k in sorted(late.items(), key=lambda kv: (kv[0][0], kv[0][3]))]
    rejected = files.rejected_rows()
    return ReportStats(files.summary, table, total, certainty, provisions, lateness,
                       rejected.head(REJECTED_ROWS).to_dict("records"), len(rejected), fines_known)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _lateness(expected: dict, actual: dict):
    """Days late and their unit: working days where the deadline counts them, else calendar days."""
    if isinstance(actual.get("late"), int):
        unit = expected.get("unit", "working_days")
        return actual["late"], "工作日" if unit == "working_days" else "日"
    if isinstance(actual.get("days_late"), int):
        return actual["days_late"], "日"
    return None, None


def _limit(expected: dict):
    for k in ("period", "days", "working_days"):
        if isinstance(expected.get(k), int):
            return expected[k]
    return None


def _table_row(f: dict) -> dict:
    return {"case_id": f.get("case_id") or "", "department": L.department(f.get("department")),
            "code": f.get("code") or "", "name": L.code_name(f.get("code") or ""),
            "category": L.CATEGORY_ZH.get(f.get("category"), f.get("category") or ""),
            "severity": L.SEVERITY_ZH.get(f.get("severity"), f.get("severity") or ""),
            "severity_rank": L.SEVERITY_ORDER.get(f.get("severity"), 3),
            "certainty": L.CERTAINTY_ZH.get(f.get("certainty"), f.get("certainty") or ""),
            "date": f.get("event_date") or "", "message_zh": f.get("message_zh") or "",
            "message_en": f.get("message_en") or "", "citation": L.citation_text(f.get("citations")),
            "kind": L.KIND_ZH.get(f.get("record_kind"), f.get("record_kind") or "")}


def position(codes: set, fine, low, high) -> str:
    """Where a decided fine sits against the statutory band and the tiers the facts allow."""
    if "penalty.should_not_punish" in codes:
        return POSITIONS[5]
    if "penalty.above_statutory_max" in codes:
        return POSITIONS[4]
    if "penalty.below_statutory_min" in codes:
        return POSITIONS[0]
    if "penalty.outside_tier" in codes:
        if _number(fine) and _number(low) and fine < low:
            return POSITIONS[1]
        return POSITIONS[3]
    return POSITIONS[2]


def _provisions(files: ReviewFiles, per_case: dict):
    by: dict[str, ProvisionStats] = {}
    fines_known = 0
    for c in files.iter_cases():
        prov = c.get("provision")
        if c.get("status") != "evaluated" or not prov:
            continue
        p = by.get(prov) or by.setdefault(prov, ProvisionStats(prov))
        p.cases += 1
        info = per_case.get(c.get("case_id"), {})
        fine = c.get("fine", info.get("fine"))
        fines_known += _number(fine)
        low, high = c.get("lawful_fine_min"), c.get("lawful_fine_max")
        pos = position(info.get("codes", set()), fine, low, high)
        p.positions[pos] = p.positions.get(pos, 0) + 1
        if info.get("citation") and not p.citation:
            p.citation = info["citation"]
        target = p.drawn if pos != POSITIONS[2] else p.drawn_plain
        if len(target) < CASES_PER_PROVISION:
            target.append({"case": c.get("case_id"), "department": L.department(c.get("department")),
                           "fine": fine if _number(fine) else None,
                           "tier_min": low, "tier_max": high, "tiers": "、".join(c.get("tiers") or []),
                           "stat_min": info.get("statutory_min"), "stat_max": info.get("statutory_max"),
                           "position": pos})
    out = sorted(by.values(), key=lambda p: (-p.cases, p.provision))
    for p in out:
        p.drawn = (p.drawn + p.drawn_plain)[:CASES_PER_PROVISION]
        p.drawn_plain = []
    return out, fines_known
