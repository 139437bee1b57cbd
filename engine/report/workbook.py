"""The review workbook a legal-affairs office works in (``review --excel``, ``report --excel``).

Sheets: 问题清单 (every finding), 拒收记录 (every rejected row with its file, row and reason), 部门汇总,
问题分类 (with the codes' Chinese names) and 案件明细 (one row per record with its tiers and lawful range).
Facts, requirements and actual values read as Chinese text, never JSON; amounts and dates are numbers
and dates.  Fields that newer reviews add (a finding's ``certainty`` and ``depends_on``; a case's
``possible_codes``, ``undetermined``, ``decision_no``, ``lawful_fine_max_unbounded``) get their columns
when the folder has them, so the workbook reads old and new folders alike.
"""
from __future__ import annotations


from pathlib import Path

from engine.errors import InputError
from engine.findings import CODES
from engine.report import labels as L
from engine.report.folder import ReviewFiles, open_review
from engine.report.xlsx import Column, Sheet, write_book


def write_review_workbook(out_dir: Path, target: Path) -> dict[str, int]:
    """Build the workbook from a finished review folder; returns the rows written per sheet."""
    with open_review(out_dir) as files:
        refuse_own_name(files, Path(target), "--excel")
        return write_workbook_of(files, Path(target))


def refuse_own_name(files: ReviewFiles, target: Path, option: str) -> None:
    """A report must not overwrite one of the run's own files (it would break the folder's seal)."""
    if files.folder is None or target.resolve().parent != files.folder.resolve():
        return
    if target.name in files.summary.get("files", {}) or target.name in ("summary.json", ".zhunsheng.lock"):
        raise InputError(f"{option} {target}: 与审查结果文件同名 (has the name of one of the review's own files); "
                         "请换一个文件名 (choose another name)")


def write_workbook_of(files: ReviewFiles, target: Path) -> dict[str, int]:
    """The workbook from one run's files (sealed, or staged while ``review`` writes them)."""
    first_finding = files.first_finding()
    first_case = files.first_case()
    with_certainty = first_finding is not None and "certainty" in first_finding
    sheets = [_findings_sheet(files, first_finding),
              _rejected_sheet(files),
              _departments_sheet(files.summary),
              _codes_sheet(files, with_certainty),
              _cases_sheet(files, first_case)]
    return write_book(target, sheets)


def _findings_sheet(files: ReviewFiles, first: dict | None) -> Sheet:
    optional = first is not None and "certainty" in first
    depends = first is not None and "depends_on" in first
    # the columns a printed page shows come first (案件编号 … 法律依据); the rest is for working in
    cols = [Column("案件编号", width=20), Column("执法部门", width=18), Column("问题名称", "long", 22),
            Column("严重程度", width=8)]
    if optional:
        cols.append(Column("确定性", width=7))
    cols += [Column("事件日期", "date"), Column("问题说明", "long", 50), Column("法律依据", "long", 26)]
    printed = len(cols)
    cols += [Column("问题代码", width=26), Column("类别", width=10), Column("记录类型", width=10),
             Column("执法人员", width=14), Column("罚款金额（元）", "money"), Column("逾期天数", "count", 9)]
    if depends:
        cols.append(Column("取决于（待核实事实）", "long", 20))
    cols += [Column("所用事实", "long", 36), Column("法定要求", "long", 32), Column("实际情况", "long", 26),
             Column("原始行号", "int", 9), Column("Finding (English)", "long", 40)]

    def rows():
        for f in files.iter_findings():
            actual, facts = f.get("actual") or {}, f.get("facts") or {}
            fine = actual.get("fine", facts.get("fine"))
            late = actual.get("late", actual.get("days_late"))
            row = [f.get("case_id"), L.department(f.get("department")), L.code_name(f.get("code")),
                   L.SEVERITY_ZH.get(f.get("severity"), f.get("severity"))]
            if optional:
                row.append(L.CERTAINTY_ZH.get(f.get("certainty"), f.get("certainty")))
            row += [f.get("event_date"), f.get("message_zh"), L.citation_text(f.get("citations")),
                    f.get("code"), L.CATEGORY_ZH.get(f.get("category"), f.get("category")),
                    L.KIND_ZH.get(f.get("record_kind"), f.get("record_kind")), "、".join(f.get("officers") or []),
                    fine if isinstance(fine, (int, float)) and not isinstance(fine, bool) else None,
                    late if isinstance(late, int) else None]
            if depends:
                row.append("、".join(L.field_name(k) for k in f.get("depends_on") or []))
            row += [L.details_text(facts), L.details_text(f.get("expected")), L.details_text(actual, "actual"),
                    f.get("row"), f.get("message_en")]
            yield row
    return Sheet("问题清单", cols, rows(), overflow_note="完整清单见 findings.jsonl", print_columns=printed)


def _rejected_sheet(files: ReviewFiles) -> Sheet:
    cols = [Column("来源", width=10), Column("文件", width=28), Column("原始行号", "int", 9),
            Column("编号", width=22), Column("记录类型", width=10), Column("拒收原因", "long", 80)]
    inputs = files.summary.get("inputs") or {}

    def rows():
        frame = files.rejected_rows()
        for r in frame.to_dict("records"):
            output = r.get("_output")
            ref = {"catalog_rejected.csv": "catalog", "powers_rejected.csv": "powers"}.get(output)
            file = r.get("file") or ((inputs.get(ref) or {}).get("file") if ref else "") or ""
            ident = r.get("case_id") or r.get("item_code") or r.get("power_code") or r.get("id") or ""
            kind = L.KIND_ZH.get(r.get("record_kind"), r.get("record_kind") or "")
            yield [r.get("_source"), file, _int(r.get("row")), ident, kind, r.get("reason")]
    return Sheet("拒收记录", cols, rows(), overflow_note="完整清单见 rejected.csv")


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v or None


def _departments_sheet(summary: dict) -> Sheet:
    cats = list(L.CATEGORY_ZH)
    depts = summary.get("by_department") or {}
    certainty = sorted({k for s in depts.values() for k in (s.get("by_certainty") or {})},
                       key=lambda k: list(L.CERTAINTY_ZH).index(k) if k in L.CERTAINTY_ZH else 9)
    cols = [Column("执法部门", width=24), Column("已审查案件", "count"), Column("拒收记录", "count"),
            Column("问题数", "count"), Column("有问题案件数", "count"), Column("有问题案件占比", "percent")]
    cols += [Column(f"{L.CERTAINTY_ZH.get(k, k)}问题", "count") for k in certainty]
    cols += [Column(L.CATEGORY_ZH[c], "count") for c in cats]

    def rows():
        for name, s in depts.items():
            ev = s.get("evaluated", 0)
            row = [L.department(name), ev, s.get("rejected", 0), s.get("findings", 0),
                   s.get("cases_with_findings", 0), (s.get("cases_with_findings", 0) / ev) if ev else None]
            row += [(s.get("by_certainty") or {}).get(k, 0) for k in certainty]
            row += [(s.get("by_category") or {}).get(c, 0) for c in cats]
            yield row
    return Sheet("部门汇总", cols, rows())


def _codes_sheet(files: ReviewFiles, with_certainty: bool) -> Sheet:
    """Counts per code.  Where findings carry a certainty, definite and possible findings are counted
    apart (summary.json counts ``by_code`` definite and ``possible_by_code`` possible)."""
    cols = [Column("问题代码", width=34), Column("问题名称", width=40), Column("类别", width=10),
            Column("严重程度", width=8)]
    cols += [Column("确定问题数", "count"), Column("可能问题数", "count")] if with_certainty else [Column("问题数", "count")]

    def rows():
        summary = files.summary
        split: dict[str, dict[str, int]] = {}
        if with_certainty:
            for f in files.iter_findings():
                per = split.setdefault(f.get("code"), {})
                per[f.get("certainty")] = per.get(f.get("certainty"), 0) + 1
        codes = sorted(set(summary.get("by_code") or {}) | set(summary.get("possible_by_code") or {}) | set(split))
        for code in codes:
            c = CODES.get(code)
            row = [code, L.code_name(code), L.CATEGORY_ZH.get(c.category, c.category) if c else "",
                   L.SEVERITY_ZH.get(c.severity, c.severity) if c else ""]
            if with_certainty:
                row += [split.get(code, {}).get("definite", 0), split.get(code, {}).get("possible", 0)]
            else:
                row.append((summary.get("by_code") or {}).get(code, 0))
            yield row
    return Sheet("问题分类", cols, rows())


_OPTIONAL_CASE = (("decision_no", Column("决定书文号", width=22)),
                  ("possible_codes", Column("可能存在的问题", "long", 30)),
                  ("undetermined", Column("待核实事项", "long", 24)))


def _cases_sheet(files: ReviewFiles, first: dict | None) -> Sheet:
    present = [(k, c) for k, c in _OPTIONAL_CASE if first is not None and k in first]
    # printed: 案件编号 … 问题; the rest is for working in
    cols = [Column("案件编号", width=20), Column("执法部门", width=18), Column("事件日期", "date"),
            Column("适用条款", width=11), Column("裁量阶次", width=14), Column("合法罚款幅度", width=24),
            Column("问题", "long", 40)]
    printed = len(cols)
    cols += [Column("记录类型", width=10), Column("状态", width=8), Column("执法人员", width=14),
             Column("条款版本", "date"), Column("阶次最低罚款（元）", "money", 14),
             Column("阶次最高罚款（元）", "money", 14)]
    cols += [c for _, c in present]
    cols += [Column("问题数", "count", 8), Column("期限情况", "long", 40), Column("原始行号", "int", 9),
             Column("拒收原因", "long", 40), Column("其他信息", "long", 30)]

    def rows():
        for c in files.iter_cases():
            lo, hi = c.get("lawful_fine_min"), c.get("lawful_fine_max")
            penalty = c.get("provision") is not None
            codes = c.get("codes") or []
            row = [c.get("case_id"), L.department(c.get("department")), c.get("event_date"), c.get("provision"),
                   "、".join(c.get("tiers") or []),
                   L.fine_range(lo, hi, bool(c.get("lawful_fine_max_unbounded"))) if penalty else None,
                   "、".join(L.code_name(x) for x in codes),
                   L.KIND_ZH.get(c.get("record_kind"), c.get("record_kind")),
                   L.STATUS_ZH.get(c.get("status"), c.get("status")), "、".join(c.get("officers") or []),
                   c.get("provision_version"), lo, hi]
            for key, _ in present:
                v = c.get(key)
                row.append("、".join(L.code_name(x) if key == "possible_codes" else L.field_name(x) for x in v)
                           if isinstance(v, list) else v)
            extra = c.get("extra") or {}
            row += [len(codes), L.deadlines_text(c.get("deadlines")), c.get("row"), c.get("reason"),
                    "；".join(f"{k}：{v}" for k, v in extra.items() if v not in (None, ""))]
            yield row
    return Sheet("案件明细", cols, rows(), overflow_note="完整清单见 cases.jsonl", print_columns=printed)



