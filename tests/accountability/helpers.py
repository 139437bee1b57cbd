"""Hand-made review folders, rosters and exemption files for the accountability tests."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

ROSTER = [("A", "甲", "D1", "officer"), ("B", "乙", "D1", "officer"), ("C", "丙", "D1", "officer"),
          ("L1", "一局长", "D1", "leader"), ("X", "戊", "D2", "officer"), ("Y", "己", "D2", "officer"),
          ("L2", "二局长", "D2", "leader")]


def finding(case_id, code="penalty.outside_tier", category="leniency", severity="medium", department="D1",
            officers=("A",), event_date="2024-06-01", **extra):
    return {"case_id": case_id, "code": code, "category": category, "severity": severity,
            "message_zh": "…", "message_en": "…", "citations": [{"law": "中华人民共和国行政处罚法", "article": 76}],
            "facts": {"fine": 1}, "expected": {}, "actual": {}, "department": department,
            "officers": list(officers) if officers is not None else None, "event_date": event_date,
            "row": 2, **extra}


def case(case_id, department="D1", event_date="2024-06-01", status="evaluated"):
    return {"case_id": case_id, "status": status, "provision": "FSL-124-1", "provision_version": "2015-10-01",
            "tiers": [], "lawful_fine_min": None, "lawful_fine_max": None, "codes": [], "department": department,
            "officers": ["A"], "event_date": event_date, "row": 2, "reason": None, "extra": {}}


def write_review(folder: Path, findings, cases=None) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if cases is None:
        seen = {}
        for f in findings:
            seen.setdefault(f["case_id"], case(f["case_id"], f["department"], f["event_date"]))
        cases = list(seen.values())
    (folder / "findings.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in findings),
                                           encoding="utf-8")
    (folder / "cases.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases),
                                        encoding="utf-8")
    seal(folder)
    return folder


def seal(folder: Path, names=("cases.jsonl", "findings.jsonl")):
    """summary.json as `zhunsheng review` seals a folder (README: run_id = first 32 hex digits of the
    SHA-256 of "name<TAB>sha256" lines in name order), computed here independently of engine.io.outset."""
    import hashlib
    files = {}
    for name in sorted(names):
        data = (Path(folder) / name).read_bytes()
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "lines": data.count(b"\n")}
    listing = "\n".join(f"{n}\t{files[n]['sha256']}" for n in sorted(files))
    run_id = hashlib.sha256(listing.encode("utf-8")).hexdigest()[:32]
    (Path(folder) / "summary.json").write_text(json.dumps({"run_id": run_id, "files": files}), encoding="utf-8")


def write_csv(path: Path, header, rows, encoding="utf-8") -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    Path(path).write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return Path(path)


def roster_file(tmp: Path, rows=ROSTER, name="roster.csv") -> Path:
    return write_csv(tmp / name, ["person_id", "name", "department", "role"], rows)


def exemptions_file(tmp: Path, rows, name="exemptions.csv") -> Path:
    return write_csv(tmp / name, ["case_id", "code", "reason", "approved_by"], rows)


def run(tmp: Path, findings, cases=None, roster=ROSTER, exemptions=None, as_of="2024-12-31",
        rules_dir=None, folders=None):
    """Run the engine entry point; returns (summary, notices as dicts)."""
    from engine.accountability.run import accountability
    tmp = Path(tmp)
    if folders is None:
        folders = [write_review(tmp / "review", findings, cases)]
    ex = exemptions_file(tmp, exemptions) if exemptions is not None else None
    out = tmp / "out"
    summary = accountability(folders, roster_file(tmp, roster), dt.date.fromisoformat(as_of), out, ex,
                             rules_dir=rules_dir)
    notices = [json.loads(l) for l in (out / "notices.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, notices


def pick(notices, subject_type=None, subject_id=None, rule_id=None, department=None):
    return [n for n in notices if (subject_type is None or n["subject_type"] == subject_type)
            and (subject_id is None or n["subject_id"] == subject_id)
            and (rule_id is None or n["rule_id"] == rule_id)
            and (department is None or n["department"] == department)]
