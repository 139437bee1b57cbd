"""review --db / --to-db through the command itself (real processes, SQLite)."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd

from conftest import ROOT

BIN = Path(sys.executable).parent / "zhunsheng"


def _run(*args):
    p = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in p.stdout + p.stderr
    return p


def _codes(folder: Path) -> dict:
    lines = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return {c["case_id"]: (c["status"], c["codes"], c["possible_codes"]) for c in map(json.loads, lines)}


def test_review_from_a_table_and_into_tables(tmp_path):
    db = tmp_path / "cases.db"
    frame = pd.read_csv(ROOT / "cases/penalties.csv", dtype=str, keep_default_na=False)
    with sqlite3.connect(db) as con:
        frame.replace({"": None}).to_sql("penalties", con, index=False)
    from_file, from_db = tmp_path / "file", tmp_path / "db"
    assert _run("review", ROOT / "cases/penalties.csv", "--out", from_file, "--as-of", "2024-12-31").returncode == 0
    p = _run("review", "--db", f"sqlite:///{db}", "--table", "penalties", "--out", from_db, "--as-of", "2024-12-31",
             "--to-db", f"sqlite:///{tmp_path / 'runs.db'}")
    assert p.returncode == 0, p.stderr
    assert _codes(from_db) == _codes(from_file)
    assert "已写入数据库" in p.stdout
    summary = json.loads((from_db / "summary.json").read_text(encoding="utf-8"))
    with sqlite3.connect(tmp_path / "runs.db") as con:
        (run_id, ), = con.execute("SELECT run_id FROM zs_runs").fetchall()
        (cases, ), = con.execute("SELECT count(*) FROM zs_cases WHERE run_id = ?", (run_id,)).fetchall()
    assert run_id == summary["run_id"] and cases == summary["input_rows"]


def test_db_options_are_checked_before_any_work(tmp_path):
    p = _run("review", "--table", "t", "--out", tmp_path / "o")
    assert p.returncode == 2 and "--table/--query 须与 --db 同用" in p.stderr
    p = _run("review", "--db", "sqlite:///x.db", "--out", tmp_path / "o")
    assert p.returncode == 2 and "须与 --table 或 --query 之一同用" in p.stderr
    assert not (tmp_path / "o").exists()
