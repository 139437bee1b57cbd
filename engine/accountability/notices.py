"""Write the notices: ``notices.jsonl``, ``summary.json``, ``exemptions.csv``, ``rejected.csv``, Excel.

``notices.jsonl`` is assembled column-wise with ``engine.io.jsonfrag``: each
finding's ``{"case_id":…,"code":…}`` is encoded once and gathered into the
notices' ``findings`` lists by Arrow list joins, so a million findings do not
become a million Python dicts.  Every file is written atomically
(``engine.io.reports`` / ``engine.io.atomic``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.accountability import RECOMMENDATION_EN, RECOMMENDATION_ZH
from engine.accountability.explain import SUBJECT_ZH
from engine.accountability.model import Source
from engine.accountability.triggers import Result
from engine.io import jsonfrag as jf
from engine.io.reports import write_chunks, write_csv

EXCEL_CELL = 32_000        # Excel holds at most 32,767 characters in a cell
NOTICE_HEADERS_ZH = {
    "subject_type": "对象类型", "subject_id": "对象编号", "subject_name": "姓名或名称", "department": "部门",
    "measure": "问责措施建议", "recommend": "同时建议", "rule_id": "规则编号", "window_start": "统计起日",
    "window_end": "统计止日", "count": "问题数", "findings": "问题清单（案件编号 问题代码）",
    "exemptions_applied": "已扣除的容错免责", "reason_zh": "理由说明", "reason_en": "Reason (English)",
    "citations": "依据", "basis": "依据性质（P 原文/C 评述/U 未核实）", "not_in_roster": "不在名册",
}


def _strings(values) -> pa.Array:
    s = pd.Series(values, dtype=object)
    return pa.array(s.where(s.notna(), None).tolist(), type=pa.large_string())


def _per_notice(variant: pd.Series, table: dict[str, str]) -> pa.Array:
    return pa.array(variant.map(table).tolist(), type=pa.large_string())


def _grouped(frags: pa.Array, notice: np.ndarray, n: int, sep: str, open_: str, close: str) -> pa.Array:
    """Join per-link fragments into one text per notice (links are sorted by notice)."""
    offsets = np.concatenate([[0], np.cumsum(np.bincount(notice, minlength=n))]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), frags.cast(pa.large_string()))
    joined = pc.binary_join(lists, pa.scalar(sep, pa.large_string()))
    return pc.binary_join_element_wise(pa.scalar(open_, pa.large_string()), joined,
                                       pa.scalar(close, pa.large_string()), pa.scalar("", pa.large_string()))


def _finding_objects(result: Result, findings: pd.DataFrame) -> pa.Array:
    idx = pa.array(result.links["finding"].to_numpy())
    case = _strings(findings["case_id"].to_numpy(dtype=object)).take(idx)
    code = _strings(findings["code"].to_numpy(dtype=object)).take(idx)
    return jf.obj([("case_id", jf.fragment(case)), ("code", jf.fragment(code))], len(idx))


def exemption_lists(result: Result, exemptions: pd.DataFrame) -> list[list[dict]]:
    out: list[list[dict]] = [[] for _ in range(len(result.notices))]
    rows = exemptions.to_dict("records")
    for notice, ex in zip(result.exemption_links["notice"].tolist(), result.exemption_links["exemption"].tolist()):
        r = rows[ex]
        out[notice].append({"case_id": r["case_id"], "code": r["code"], "reason": r["reason"],
                            "approved_by": r["approved_by"], "row": int(r["row"])})
    return out


def write_notices_jsonl(path: Path, result: Result, findings: pd.DataFrame, exemptions: pd.DataFrame) -> int:
    n = result.notices
    count = len(n)
    dump = lambda v: orjson.dumps(v).decode("utf-8")   # noqa: E731
    start, end = (d.isoformat() for d in result.window)
    variants = result.variants
    fields = [
        ("subject_type", jf.fragment(_strings(n["subject_type"]))),
        ("subject_id", jf.fragment(_strings(n["subject_id"]))),
        ("measure", jf.fragment(_strings(n["measure"]))),
        ("rule_id", jf.fragment(_strings(n["rule_id"]))),
        ("window_start", jf.constant(start)),
        ("window_end", jf.constant(end)),
        ("findings", _grouped(_finding_objects(result, findings), result.links["notice"].to_numpy(),
                              count, ",", "[", "]")),
        ("citations", _per_notice(n["variant"], {k: dump(v.citations) for k, v in variants.items()})),
        ("subject_name", jf.fragment(_strings(n["subject_name"]))),
        ("department", jf.fragment(_strings(n["department"]))),
        ("not_in_roster", jf.fragment(pa.array(n["not_in_roster"].astype(bool).to_numpy()))),
        ("count", jf.fragment(pa.array(n["count"].astype(np.int64).to_numpy()))),
        ("recommend", _per_notice(n["variant"], {k: dump(v.recommend) for k, v in variants.items()})),
        ("reason_zh", jf.fragment(_strings(n["reason_zh"]))),
        ("reason_en", jf.fragment(_strings(n["reason_en"]))),
        ("exemptions_applied", pa.array([dump(x) for x in exemption_lists(result, exemptions)],
                                        type=pa.large_string())),
        ("basis", _per_notice(n["variant"], {k: dump(v.basis) for k, v in variants.items()})),
        ("details", _strings(n["details"].where(n["details"].notna(), "null"))),
    ]
    write_chunks(path, [bytes(jf.lines(fields, count))] if count else [])
    return count


def _cell_lists(result: Result, findings: pd.DataFrame) -> list[str]:
    idx = pa.array(result.links["finding"].to_numpy())
    text = pc.binary_join_element_wise(_strings(findings["case_id"].to_numpy(dtype=object)).take(idx),
                                       _strings(findings["code"].to_numpy(dtype=object)).take(idx),
                                       pa.scalar(" ", pa.large_string()))
    cells = _grouped(text, result.links["notice"].to_numpy(), len(result.notices), "；", "", "").to_pylist()
    return [c if len(c) <= EXCEL_CELL else c[:EXCEL_CELL] + "……（过长，完整清单见 notices.jsonl）" for c in cells]


def _citation_text(cites: list[dict]) -> str:
    return "；".join(Source(**c).text() for c in cites)


def write_excel(path: Path, result: Result, findings: pd.DataFrame, exemptions: pd.DataFrame,
                rejected: pd.DataFrame, summary: dict):
    n = result.notices
    v = result.variants
    start, end = (d.isoformat() for d in result.window)
    rows = pd.DataFrame({
        "subject_type": n["subject_type"].map(lambda s: f"{SUBJECT_ZH[s]} ({s})"),
        "subject_id": n["subject_id"], "subject_name": n["subject_name"], "department": n["department"],
        "measure": n["measure"], "recommend": n["variant"].map(lambda k: "、".join(v[k].recommend)),
        "rule_id": n["rule_id"], "window_start": start, "window_end": end, "count": n["count"],
        "findings": _cell_lists(result, findings),
        "exemptions_applied": ["；".join(f"{e['case_id']} {e['code']}：{e['reason']}（{e['approved_by']}批准）"
                                        for e in lst) for lst in exemption_lists(result, exemptions)],
        "reason_zh": n["reason_zh"], "reason_en": n["reason_en"],
        "citations": n["variant"].map(lambda k: _citation_text(v[k].citations)),
        "basis": n["variant"].map(lambda k: "，".join(f"{a} {b}" for a, b in v[k].basis.items())),
        "not_in_roster": n["not_in_roster"].map(lambda b: "是" if b else ""),
    }, columns=list(NOTICE_HEADERS_ZH)).rename(columns=NOTICE_HEADERS_ZH)
    about = pd.DataFrame([
        ("说明", RECOMMENDATION_ZH), ("Note", RECOMMENDATION_EN),
        ("基准日 as-of", end), ("统计期间 window", f"{start} 至 {end}（含首尾，{summary['window_days']} 天）"),
        ("审查结果目录 review folders", "；".join(f["folder"] for f in summary["inputs"]["folders"])),
        ("读取问题 findings read", summary["inputs"]["findings_read"]),
        ("合并重复 duplicates merged", summary["inputs"]["duplicates_merged"]),
        ("问责建议 notices", summary["notices"]),
        ("容错免责 exemptions accepted / rejected",
         f"{summary['exemptions']['accepted']} / {summary['exemptions']['rejected']}"),
        ("名册外人员 ids not in roster", "、".join(summary["not_in_roster"]["officers"])),
    ], columns=["项目", "内容"])
    ex = exemptions.assign(findings_removed=result.exemption_use).rename(columns={
        "case_id": "案件编号", "code": "问题代码", "reason": "免责理由", "approved_by": "批准人", "row": "原始行号",
        "findings_removed": "免除问题数"})
    rej = rejected.rename(columns={"kind": "文件类型", "file": "文件", "row": "原始行号", "id": "编号", "reason": "拒收原因"})
    rank = result.ranking.rename(columns={"department": "部门", "evaluated_cases": "窗口期内已审查案件数",
                                          "findings": "计入问题数", "rate_per_100": "每百件问题数",
                                          "rank": "倒数名次", "selected": "列入后几名", "eligible": "参与排名"})
    from engine.report.labels import department
    from engine.report.xlsx import frame_sheet, write_book
    rows["部门"] = rows["部门"].map(department)
    rank["部门"] = rank["部门"].map(department)
    notice_kinds = {"统计起日": "date", "统计止日": "date", "问题数": "count"}
    notice_widths = {"问题清单（案件编号 问题代码）": 50, "已扣除的容错免责": 40, "理由说明": 50,
                     "Reason (English)": 50, "依据": 40}
    write_book(path, [
        frame_sheet("说明", about, widths={"项目": 30, "内容": 90}),
        frame_sheet("问责建议", rows, notice_kinds, banner=[RECOMMENDATION_ZH + "（" + RECOMMENDATION_EN + "）", ""],
                    widths=notice_widths),
        frame_sheet("容错免责", ex, {"原始行号": "int", "免除问题数": "count"}, widths={"免责理由": 40}),
        frame_sheet("拒收行", rej, {"原始行号": "int"}, widths={"拒收原因": 80}),
        frame_sheet("部门排名", rank, {"每百件问题数": "number", "倒数名次": "int"})])


OUTPUTS = ("notices.jsonl", "summary.json", "exemptions.csv", "rejected.csv")


def write_outputs(out, result: Result, findings: pd.DataFrame, exemptions: pd.DataFrame,
                  rejected: pd.DataFrame, summary: dict, excel: Path | None) -> dict:
    """Write every output under ``out`` (an open engine.io.outset.OutputSet) and seal them with
    summary.json; returns the summary as written."""
    write_notices_jsonl(out.path("notices.jsonl"), result, findings, exemptions)
    write_csv(out.path("exemptions.csv"), exemptions.assign(findings_removed=result.exemption_use)
              [["case_id", "code", "reason", "approved_by", "row", "findings_removed"]])
    write_csv(out.path("rejected.csv"), rejected)
    if excel is not None:
        write_excel(out.outside(Path(excel)), result, findings, exemptions, rejected, summary)
    return out.commit(summary)
