"""End to end on the bundled samples, in real processes: review → targets → draw.

Every expected value is worked by hand from cases/targets/ (as of 2026-07-15; the 2025 annual report
was due by 2026-06-30, 企业信息公示暂行条例 Art. 8):

- 93440112RW11B6K55R filed 2025 on 2026-07-01: listed 2026-07-01, removed 2026-07-01 (Art. 17 ¶2);
- 924401126M9MQ6WCPJ and 9244011200MJB3N9YU never filed 2025: listed 2026-07-01, class C;
- 9344010560L3F46ABD never filed 2022: listed 2023-07-01, 满3年 ended 2026-07-01 → class D;
- 92440104UE6DUBQ6D8 one verified complaint (FOOD-01) → B, targeted for FOOD-01;
- 934401053FM698Y1XD three verified complaints → C, targeted for every item;
- 9344010454TFBYJJ4K an inspection found a problem → B;
- 93440103HWXBUJFUA7 fined 120,000 on 2024-07-15, exactly 2 years before → C;
- 93440112W9C7H9MT0X penalised in the window → B;
- 92440105598FF8WYBT penalised in the window with 吊销营业执照 (示市监罚〔2025〕104号, 2025-10-10, within
  penalty_window_years = 2) → TGT-D-REVOKED → D (worst wins over B);
- 914401123QQ66YLBW3 penalised 2024-07-14, outside the window → A;
- 9244011200MJB3N9YU 食品生产 → key (优化营商环境条例 Art. 54 ¶2); its name holds an identity number,
  masked in abnormal.csv.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engine.io.outset import verify_folder

from .helpers import CASES, ROOT, csv_rows

BIN = Path(sys.executable).parent / "zhunsheng"
EXPECTED = {
    "914401123QQ66YLBW3": ("A", []), "93440112RW11B6K55R": ("A", []), "91440105679TL2PBLY": ("A", []),
    "924401039861W76PUK": ("A", []), "924401126M9MQ6WCPJ": ("C", ["abnormal"]),
    "9344010560L3F46ABD": ("D", ["abnormal"]), "92440104UE6DUBQ6D8": ("B", ["targeted"]),
    "934401053FM698Y1XD": ("C", ["targeted"]), "93440103U80WYCBC87": ("A", []),
    "91440103WUWK71J2BB": ("A", []), "9344010454TFBYJJ4K": ("B", []), "9344011241XKUFG16A": ("A", []),
    "93440103HWXBUJFUA7": ("C", []), "93440112W9C7H9MT0X": ("B", []), "92440105598FF8WYBT": ("D", []),
    "91440103DQXGPUM5WR": ("A", []), "93440103BTRT87JQK4": ("A", []), "914401036H1A3T37GK": ("A", []),
    "91440105UC1FPGU7BW": ("A", []), "9244011200MJB3N9YU": ("C", ["key", "abnormal"]),
}


def _run(*args, cwd=None):
    env = {**os.environ, "ZHUNSHENG_LOG_DIR": str(cwd)}
    p = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert "Traceback" not in p.stderr + p.stdout
    return p


def test_review_targets_draw_on_the_samples(tmp_path):
    rv = tmp_path / "review"
    p = _run("review", CASES / "penalties.csv", "--out", rv, "--as-of", "2026-07-15", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "targets"
    xlsx = tmp_path / "分类.xlsx"
    p = _run("targets", CASES / "entities.csv", "--as-of", "2026-07-15", "--out", out, "--reviews", rv,
             "--complaints", CASES / "complaints.csv", "--results", CASES / "results.csv",
             "--reports", CASES / "reports.csv", "--excel", xlsx, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("分类完成")

    summary = verify_folder(out, ("entities.jsonl", "register.csv", "abnormal.csv", "rejected.csv"))
    assert summary["by_class"] == {"A": 11, "B": 3, "C": 4, "D": 2}
    assert summary["by_flag"] == {"key": 1, "targeted": 2, "abnormal": 3}
    assert summary["abnormal_listings"] == 4 and summary["abnormal_removed"] == 1
    assert summary["review_not_joined"]["penalties"] == {"records": 4, "joined": 4, "not_joined": 0}
    assert summary["skipped_rules"] == []
    assert summary["inputs"]["complaints"] == {"rows": 7, "used": 7, "rejected": 0}

    lines = [json.loads(x) for x in (out / "entities.jsonl").read_text("utf-8").splitlines()]
    got = {d["entity_id"]: (d["class"], d["flags"]) for d in lines}
    assert got == EXPECTED
    by_id = {d["entity_id"]: d for d in lines}
    assert by_id["92440104UE6DUBQ6D8"]["targeted_items"] == ["FOOD-01"]
    assert by_id["934401053FM698Y1XD"]["targeted_items"] == ["*"]
    fine = [r for r in by_id["93440103HWXBUJFUA7"]["rules"] if r["rule"] == "TGT-C-LARGE-FINE"][0]
    assert [(r["case_id"], r["date"], r["fine"]) for r in fine["records"]] == [("示市监罚〔2024〕101号", "2024-07-15", 120000)]

    reg = csv_rows(out / "register.csv")
    assert [r["entity_id"] for r in reg] == list(EXPECTED)            # input order, every used row
    assert {r["entity_id"]: r["credit_class"] for r in reg} == {k: v[0] for k, v in EXPECTED.items()}
    assert {r["entity_id"] for r in reg if r["flag_targeted"] == "是"} == {"92440104UE6DUBQ6D8", "934401053FM698Y1XD"}

    ab = csv_rows(out / "abnormal.csv")
    assert [(r["entity_id"], r["report_year"], r["listed_on"], r["removed_on"]) for r in ab] == [
        ("93440112RW11B6K55R", "2025", "2026-07-01", "2026-07-01"),
        ("924401126M9MQ6WCPJ", "2025", "2026-07-01", ""),
        ("9344010560L3F46ABD", "2022", "2023-07-01", ""),
        ("9244011200MJB3N9YU", "2025", "2026-07-01", "")]
    masked = ab[-1]["name"]
    assert "11010519491231002X" not in (out / "abnormal.csv").read_text("utf-8-sig")
    assert masked == "示例区张某某便利店（经营者身份证号110105********002X）"
    assert csv_rows(out / "rejected.csv") == []

    import openpyxl
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["检查对象分类", "经营异常名录", "分类与标记统计", "参数", "拒收行"]
    assert wb["经营异常名录"].max_row == 5
    assert "11010519491231002X" not in str([c.value for row in wb["经营异常名录"].iter_rows() for c in row])

    # the register is ready for the draw, and a plan mixing flags and sampling follows the new classes
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    inputs = ["--entities", out / "register.csv", "--inspectors", ROOT / "cases/draw/inspectors.csv",
              "--conflicts", ROOT / "cases/draw/conflicts.csv", "--db", db]
    p = _run("draw", "prepare", CASES / "plan.yaml", *inputs, cwd=tmp_path)
    assert p.returncode == 0, p.stderr + p.stdout
    p = _run("draw", "run", CASES / "plan.yaml", *inputs, "--seed", "31415", "--seed-note", "test",
             "--out", tmp_path / "draw", cwd=tmp_path)
    assert p.returncode == 0, p.stderr + p.stdout
    doc = json.loads((tmp_path / "draw" / "draw.json").read_text("utf-8"))
    eligible = {(s["item_id"], s["credit_class"]): s["eligible"] for s in doc["strata"]}
    # PUB-01 samples the active entities by their new class (3 closed or moved entities excluded, all A;
    # 92440105598FF8WYBT moved from B to D)
    assert [eligible[("PUB-01", c)] for c in "ABCD"] == [8, 3, 4, 2]
    picked = {(s["item_id"], s["entity_id"]) for s in doc["selections"] if s["item_id"] != "PUB-01"}
    assert picked == {("KEY-01", "9244011200MJB3N9YU"), ("FOOD-01", "92440104UE6DUBQ6D8"),
                      ("FOOD-01", "934401053FM698Y1XD")}
