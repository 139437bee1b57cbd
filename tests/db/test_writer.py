"""A finished review folder written into each real database: read back, rerun, refused folders,
the schema's version, and a writer killed with SIGKILL half-way through."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from engine.cli_support import UserError
from engine.io.db import schema
from engine.io.db.writer import check_target, write_run_to_db
from engine.io.readers import read_table

from .helpers import PENALTIES, ROOT, review_to


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory):
    """A real review of the bundled records (every record kind the samples have)."""
    folder = tmp_path_factory.mktemp("run") / "out"
    from engine.review import read_inputs
    raw = read_inputs([PENALTIES, ROOT / "cases" / "approvals.csv", ROOT / "cases" / "disclosures.csv",
                       ROOT / "cases" / "complaints.csv"])
    review_to(raw, folder)
    return folder


def _lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _query(url, sql, **params):
    eng = sa.create_engine(url)
    try:
        with eng.connect() as cx:
            return [tuple(r) for r in cx.execute(sa.text(sql), params)]
    finally:
        eng.dispose()


def _count(url, table, run_id):
    return _query(url, f"SELECT COUNT(*) FROM {table} WHERE run_id = :r", r=run_id)[0][0]


def _json(v):
    return json.loads(v) if isinstance(v, str) else v


def test_round_trip_counts_and_values(db_url, run_folder):
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    got = write_run_to_db(run_folder, db_url)
    run_id = summary["run_id"]
    cases, findings = _lines(run_folder / "cases.jsonl"), _lines(run_folder / "findings.jsonl")
    rejected = read_table(run_folder / "rejected.csv")
    assert got["run_id"] == run_id
    assert (got["cases"], got["findings"], got["rejected"]) == (len(cases), len(findings), len(rejected))
    row = _query(db_url, "SELECT input_rows, evaluated, rejected, findings, as_of, summary FROM zs_runs "
                         "WHERE run_id = :r", r=run_id)
    assert len(row) == 1
    input_rows, evaluated, n_rejected, n_findings, as_of, stored = row[0]
    assert (input_rows, evaluated, n_rejected, n_findings) == (summary["input_rows"], summary["evaluated"],
                                                               summary["rejected"], summary["findings"])
    assert str(as_of)[:10] == summary["as_of"] and _json(stored) == summary
    assert _count(db_url, "zs_cases", run_id) == len(cases) == summary["input_rows"]
    assert _count(db_url, "zs_findings", run_id) == len(findings)
    assert _count(db_url, "zs_rejected", run_id) == len(rejected) == summary["rejected"]
    # a few values, line by line against the files
    for line in (1, 2, len(cases)):
        want = cases[line - 1]
        case_id, officers, event_date, extra, fmin, kind = _query(
            db_url, "SELECT case_id, officers, event_date, extra, lawful_fine_min, record_kind FROM zs_cases "
                    "WHERE run_id = :r AND line = :n", r=run_id, n=line)[0]
        assert (case_id, _json(officers), _json(extra), kind) == (want["case_id"], want["officers"],
                                                                   want["extra"], want["record_kind"])
        assert (None if event_date is None else str(event_date)[:10]) == want["event_date"]
        assert fmin == want["lawful_fine_min"]
    code, citations, message = _query(db_url, "SELECT code, citations, message_zh FROM zs_findings "
                                              "WHERE run_id = :r AND line = 1", r=run_id)[0]
    assert (code, _json(citations), message) == (findings[0]["code"], findings[0]["citations"],
                                                 findings[0]["message_zh"])
    reasons = _query(db_url, "SELECT row, reason, file FROM zs_rejected WHERE run_id = :r ORDER BY line", r=run_id)
    assert [(int(a), b, c) for a, b, c in reasons] == [
        (int(r), str(s), str(f)) for r, s, f in zip(rejected["row"], rejected["reason"], rejected["file"])]


def test_rerun_replaces_without_duplicates(db_url, run_folder):
    first = write_run_to_db(run_folder, db_url)
    again = write_run_to_db(run_folder, db_url)
    assert again["replaced"] is True and again["cases"] == first["cases"]
    run_id = first["run_id"]
    assert _count(db_url, "zs_runs", run_id) == 1
    assert _count(db_url, "zs_cases", run_id) == first["cases"]
    dup = _query(db_url, "SELECT line, COUNT(*) FROM zs_findings WHERE run_id = :r GROUP BY line "
                         "HAVING COUNT(*) > 1", r=run_id)
    assert dup == []


def test_unfinished_or_mixed_folder_refused(db_url, run_folder, tmp_path):
    unfinished = tmp_path / "unfinished"
    shutil.copytree(run_folder, unfinished)
    (unfinished / "summary.json").unlink()
    with pytest.raises(UserError, match="summary.json"):
        write_run_to_db(unfinished, db_url)
    mixed = tmp_path / "mixed"
    shutil.copytree(run_folder, mixed)
    with open(mixed / "cases.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"case_id": "from another run"}\n')
    with pytest.raises(UserError, match="混有不同运行") as e:
        write_run_to_db(mixed, db_url)
    assert str(e.value).startswith("不能写入数据库")
    assert _query(db_url, "SELECT COUNT(*) FROM zs_cases WHERE case_id = 'from another run'") == [(0,)]


def test_schema_versioned_and_newer_refused(db_url, run_folder):
    write_run_to_db(run_folder, db_url)
    assert _query(db_url, "SELECT version FROM zs_schema_version") == [(schema.LATEST,)]
    eng = sa.create_engine(db_url)
    try:
        with eng.begin() as cx:
            cx.execute(sa.text("UPDATE zs_schema_version SET version = :v"), {"v": schema.LATEST + 1})
        with pytest.raises(UserError, match="比本工具新"):
            write_run_to_db(run_folder, db_url)
    finally:
        with eng.begin() as cx:
            cx.execute(sa.text("UPDATE zs_schema_version SET version = :v"), {"v": schema.LATEST})
        eng.dispose()
    assert _query(db_url, "SELECT version FROM zs_schema_version") == [(schema.LATEST,)]


def test_check_target_prepares_the_tables_before_a_review(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert check_target(url) == 0                       # an empty database: migrated from nothing
    assert _query(url, "SELECT version FROM zs_schema_version") == [(schema.LATEST,)]
    assert check_target(url) == schema.LATEST           # the second time there is nothing to do
    assert _query(url, "SELECT COUNT(*) FROM zs_runs") == [(0,)]


# -- a writer killed half-way ----------------------------------------------------------------------

def _big_run(src, folder, copies: int):
    """A sealed folder holding ``copies`` times the cases and findings of a real run (a large run made
    fast: the writer verifies the seal, so it is sealed as the review seals it)."""
    from engine.io.outset import file_digest, run_id_of
    folder.mkdir()
    for name in ("cases.jsonl", "findings.jsonl"):
        data = (src / name).read_bytes()
        with open(folder / name, "wb") as fh:
            for _ in range(copies):
                fh.write(data)
    shutil.copy(src / "rejected.csv", folder / "rejected.csv")
    summary = json.loads((src / "summary.json").read_text(encoding="utf-8"))
    files = {n: file_digest(folder / n) for n in ("cases.jsonl", "findings.jsonl", "rejected.csv")}
    summary.update(input_rows=files["cases.jsonl"]["lines"], files=files, run_id=run_id_of(files))
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary["run_id"], files["cases.jsonl"]["lines"]


def _writing(url, db_file) -> bool:
    """Whether a writer's transaction is loading rows right now, as the server (or SQLite's journal) shows."""
    if url.startswith("sqlite"):
        journal = db_file.with_name(db_file.name + "-journal")
        return journal.exists() and journal.stat().st_size > 0
    if url.startswith("postgresql"):
        return _query(url, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND query LIKE 'COPY %' AND state = 'active'")[0][0] > 0
    trx = _query(url, "SELECT COALESCE(MAX(t.trx_rows_modified), 0) FROM information_schema.innodb_trx t "
                      "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                      "WHERE p.db = DATABASE()")[0][0]
    return trx > 1000 or _uncommitted_cases(url) > 1000


def _uncommitted_cases(url) -> int:
    """Rows of zs_cases a reader sees without waiting for commits (MariaDB: READ UNCOMMITTED), beyond the
    committed ones: the writer's open transaction at work (information_schema needs privileges CI may lack)."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as cx:
            cx.execute(sa.text("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED"))
            dirty = cx.execute(sa.text("SELECT COUNT(*) FROM zs_cases")).scalar()
        with eng.connect() as cx:
            cx.execute(sa.text("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"))
            clean = cx.execute(sa.text("SELECT COUNT(*) FROM zs_cases")).scalar()
        return int(dirty) - int(clean)
    except sa.exc.DBAPIError:        # the tables are not there yet
        return 0
    finally:
        eng.dispose()


def _kill_mid_write(url, folder):
    """Start a writer of ``folder`` in another process and SIGKILL it while its transaction loads rows."""
    from pathlib import Path
    db_file = Path(sa.engine.make_url(url).database) if url.startswith("sqlite") else None
    code = ("import sys; from engine.io.db.writer import write_run_to_db; "
            "write_run_to_db(sys.argv[1], sys.argv[2])")
    child = subprocess.Popen([sys.executable, "-c", code, str(folder), url], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while not _writing(url, db_file):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the writer never started loading rows"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL          # killed mid-write, not finished


def test_killed_writer_leaves_the_previous_runs(db_url, run_folder, tmp_path):
    small = write_run_to_db(run_folder, db_url)
    big_id, big_lines = _big_run(run_folder, tmp_path / "big", copies=10000)
    assert big_lines > 100_000
    _kill_mid_write(db_url, tmp_path / "big")
    for table in ("zs_runs", "zs_cases", "zs_findings", "zs_rejected"):
        assert _count(db_url, table, big_id) == 0, table
    assert _count(db_url, "zs_runs", small["run_id"]) == 1
    assert _count(db_url, "zs_cases", small["run_id"]) == small["cases"]
    assert _count(db_url, "zs_findings", small["run_id"]) == small["findings"]


def test_killed_rerun_leaves_the_run_as_it_was(db_url, run_folder, tmp_path):
    big_id, big_lines = _big_run(run_folder, tmp_path / "big", copies=1500)
    first = write_run_to_db(tmp_path / "big", db_url)
    assert first["cases"] == big_lines
    _kill_mid_write(db_url, tmp_path / "big")
    assert _count(db_url, "zs_runs", big_id) == 1
    assert _count(db_url, "zs_cases", big_id) == big_lines
    assert _count(db_url, "zs_findings", big_id) == first["findings"]
    assert _count(db_url, "zs_rejected", big_id) == first["rejected"]
