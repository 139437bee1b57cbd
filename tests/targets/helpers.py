"""Small registers and related-record files for the targets tests, and a way to run the command.

Entity codes are real GB 32100-2015 codes (check character computed by the formula in
engine/draw/registers.py's docstring), so the register loader accepts them."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from engine.draw.registers import check_char

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases" / "targets"


def code(n: int) -> str:
    body = f"91440100MA{n:07d}"
    return body + check_char(body)


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def register(path: Path, entities) -> Path:
    """entities: dicts with n, and optionally industry, status, credit_class, established."""
    rows = [[code(e["n"]), e.get("name", f"示例企业{e['n']}"), "有限责任公司", "东城", e.get("industry", "零售"),
             e.get("credit_class", "B"), e.get("status", "存续"), e.get("established", "2018-01-01")]
            for e in entities]
    return write_csv(path, ["统一社会信用代码", "名称", "类型", "区域", "行业", "信用风险分类", "登记状态", "成立日期"], rows)


def review_folder(path: Path, cases: list[dict], findings: list[dict] | None = None) -> Path:
    """A review output folder written the way review writes one (through OutputSet, sealed)."""
    from engine.io.outset import OutputSet
    findings = findings or []
    with OutputSet(path, ("cases.jsonl", "findings.jsonl", "summary.json")) as outs:
        for name, rows in (("cases.jsonl", cases), ("findings.jsonl", findings)):
            with open(outs.path(name), "w", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        outs.commit({"input_rows": len(cases)})
    return path


def penalty_case(case_id: str, party: str, date: str, fine=None, sanctions=None) -> dict:
    c = {"case_id": case_id, "status": "evaluated", "record_kind": "penalty", "event_date": date,
         "provision": "FSL-124-1", "department": "示例区市场监督管理局", "row": 2, "extra": {}}
    c["party_id"] = party
    if fine is not None:
        c["fine"] = fine
    if sanctions is not None:
        c["sanctions"] = sanctions
    return c


def entities_of(out_dir: Path) -> dict:
    return {d["entity_id"]: d for d in map(json.loads, (out_dir / "entities.jsonl").read_text("utf-8").splitlines())}


def csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
