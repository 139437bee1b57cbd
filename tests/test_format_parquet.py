"""``review --format parquet``: cases.parquet, findings.parquet and rejected.parquet hold, row for row and
field for field, what cases.jsonl, findings.jsonl and rejected.csv hold; the folder is one sealed run;
the streamed review writes the same Parquet content as the whole-batch review; the workbook, the HTML
report and ``--to-db`` read a Parquet run as they read a JSON Lines run.

Every comparison is between two outputs the command writes independently (a JSON Lines run and a
Parquet run of the same input), read with pyarrow/pandas and ``json``."""
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT

BIN = Path(sys.executable).parent / "zhunsheng"
SAMPLE = [ROOT / "cases" / n for n in ("penalties.csv", "approvals.csv", "disclosures.csv", "complaints.csv")]
REFS = ["--catalog", ROOT / "cases/catalog.csv", "--powers", ROOT / "cases/powers.csv", "--as-of", "2024-12-31"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _run(*args, ok=True):
    p = subprocess.run([str(BIN), "review", *map(str, args)], capture_output=True, text=True, timeout=600,
                       cwd=ROOT)
    assert "Traceback" not in p.stdout + p.stderr
    if ok:
        assert p.returncode == 0, p.stderr
    return p


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _json_columns(table: pa.Table) -> set:
    return {f.name for f in table.schema if (f.metadata or {}).get(b"json") == b"text"}


def _parquet_rows(path: Path) -> tuple[pa.Table, list[dict]]:
    """The file's rows as dicts, its JSON-text cells parsed (``json.loads``) as a user would."""
    table = pq.read_table(path)
    texts = _json_columns(table)
    rows = [{k: json.loads(v) if k in texts and v is not None else v for k, v in r.items()}
            for r in table.to_pylist()]
    return table, rows


def _json_type(value) -> str:
    """The JSON type of a value (an amount is a number whether its JSON text is 65000 or 65000.5)."""
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _assert_same_rows(jsonl: Path, parquet: Path) -> pa.Table:
    """Every Parquet row equals its JSON line: same count and order, same field names, each field's value
    (null where the line has null or lacks the field)."""
    lines = _json_lines(jsonl)
    table, rows = _parquet_rows(parquet)
    assert len(rows) == len(lines) > 0
    keys = list(dict.fromkeys(k for line in lines for k in line))
    assert sorted(table.column_names) == sorted(keys)
    for i, (line, row) in enumerate(zip(lines, rows)):
        for name in table.column_names:
            assert row[name] == line.get(name), (parquet.name, i, name, row[name], line.get(name))
            if row[name] is not None:       # same JSON type, not only an equal value ("1" vs 1, 1 vs true)
                assert _json_type(row[name]) == _json_type(line[name]), (parquet.name, i, name)
    return table


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample reviewed twice: the default (JSON Lines) and --format parquet, with the workbook,
    the HTML report and --to-db (SQLite) each time."""
    base = tmp_path_factory.mktemp("sample")
    out = {}
    for fmt in ("jsonl", "parquet"):
        folder = base / fmt
        _run(*SAMPLE, *REFS, "--out", folder, "--format", fmt, "--excel", base / f"{fmt}.xlsx",
             "--report", base / f"{fmt}.html", "--to-db", f"sqlite:///{base / (fmt + '.db')}")
        out[fmt] = folder
    out["base"] = base
    return out


def test_cases_and_findings_are_the_json_lines_as_columns(sample):
    cases = _assert_same_rows(sample["jsonl"] / "cases.jsonl", sample["parquet"] / "cases.parquet")
    findings = _assert_same_rows(sample["jsonl"] / "findings.jsonl", sample["parquet"] / "findings.parquet")
    # the sample mixes kinds: both penalty-only and deadline-only fields are there, null where absent
    lines = _json_lines(sample["jsonl"] / "cases.jsonl")
    assert any("deadlines" not in c for c in lines) and any("deadlines" in c for c in lines)
    assert any(f["facts"] for f in _json_lines(sample["jsonl"] / "findings.jsonl"))
    # real Arrow types, text where the JSON has text (dates stay ISO text)
    t = cases.schema
    assert t.field("row").type == pa.int64() and t.field("lawful_fine_max").type == pa.float64()
    assert t.field("lawful_fine_max_unbounded").type == pa.bool_()
    assert t.field("codes").type == pa.list_(pa.string()) and t.field("officers").type == pa.list_(pa.string())
    assert t.field("event_date").type == pa.string() and t.field("provision_version").type == pa.string()
    assert {"deadlines", "extra"} <= _json_columns(cases)
    assert {"citations", "facts", "expected", "actual"} <= _json_columns(findings)
    assert findings.schema.field("depends_on").type == pa.list_(pa.string())
    assert not any(pa.types.is_dictionary(f.type) or pa.types.is_large_string(f.type)
                   for f in (*cases.schema, *findings.schema))


def test_pandas_reads_the_same_rows(sample):
    frame = pd.read_parquet(sample["parquet"] / "findings.parquet")
    lines = _json_lines(sample["jsonl"] / "findings.jsonl")
    assert frame["case_id"].tolist() == [f["case_id"] for f in lines]
    assert frame["code"].tolist() == [f["code"] for f in lines]
    assert [json.loads(x) for x in frame["expected"]] == [f["expected"] for f in lines]


def test_rejected_parquet_is_rejected_csv_without_the_guard(sample):
    csv = pd.read_csv(sample["parquet"] / "rejected.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (sample["parquet"] / "rejected.csv").read_bytes() == (sample["jsonl"] / "rejected.csv").read_bytes()
    table = pq.read_table(sample["parquet"] / "rejected.parquet")
    assert table.column_names == list(csv.columns)
    assert table.schema.field("row").type == pa.int64()
    rows = table.to_pylist()
    assert len(rows) == len(csv) > 0
    for row, (_, cells) in zip(rows, csv.iterrows()):
        for name in table.column_names:
            value = "" if row[name] is None else str(row[name])
            guarded = "'" + value if value.startswith(FORMULA_START) else value
            assert cells[name] == guarded, (name, row[name], cells[name])


def test_the_parquet_folder_is_one_sealed_run(sample):
    from engine.errors import InputError
    from engine.io.outset import verify_folder
    folder = sample["parquet"]
    summary = verify_folder(folder, required=("cases.parquet", "findings.parquet", "rejected.parquet",
                                              "rejected.csv"))
    assert not (folder / "cases.jsonl").exists() and not (folder / "findings.jsonl").exists()
    assert "cases.jsonl" not in summary["files"]
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    # the counts are those of the JSON Lines run; only the files (and so the run id) differ
    other = json.loads((sample["jsonl"] / "summary.json").read_text(encoding="utf-8"))
    drop = ("run_id", "files")
    assert {k: v for k, v in summary.items() if k not in drop} == {k: v for k, v in other.items() if k not in drop}
    assert summary["run_id"] != other["run_id"]
    # a Parquet file of another run is caught like a JSON Lines file
    copy = sample["base"] / "tampered"
    copy.mkdir()
    for p in folder.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    (copy / "findings.parquet").write_bytes((copy / "findings.parquet").read_bytes() + b"\0")
    with pytest.raises(InputError, match="findings.parquet"):
        verify_folder(copy)


def test_the_default_writes_no_parquet_and_a_run_replaces_the_other_format(sample, tmp_path):
    assert not list(sample["jsonl"].glob("*.parquet"))
    folder = tmp_path / "out"
    _run(*SAMPLE, *REFS, "--out", folder, "--format", "parquet")
    _run(*SAMPLE, *REFS, "--out", folder)          # the default again, into the same folder
    assert not list(folder.glob("*.parquet"))     # no Parquet file of the earlier run is left beside it
    for name in ("cases.jsonl", "findings.jsonl", "rejected.csv", "summary.json"):
        assert (folder / name).read_bytes() == (sample["jsonl"] / name).read_bytes(), name


def test_workbook_report_and_database_read_the_parquet_run(sample):
    import openpyxl
    base = sample["base"]
    books = [openpyxl.load_workbook(base / f"{fmt}.xlsx", read_only=True) for fmt in ("jsonl", "parquet")]
    assert books[0].sheetnames == books[1].sheetnames
    for name in books[0].sheetnames:
        a = list(books[0][name].iter_rows(values_only=True))
        b = list(books[1][name].iter_rows(values_only=True))
        assert a == b, name
    assert len(list(books[1]["案件明细"].iter_rows())) > 40
    # the report's findings and rejected rows (its charts order departments of equal counts as they
    # come, run by run, whatever the format: they are not compared)
    sections = [_findings_section((base / f"{fmt}.html").read_text(encoding="utf-8")) for fmt in ("jsonl", "parquet")]
    assert sections[0] == sections[1] and sections[0].count("<tr") > 30
    _same_tables([base / "jsonl.db", base / "parquet.db"])


def _findings_section(page: str) -> str:
    start = page.index('id="findings"')
    return page[start:page.index("</section>", page.index('id="rejected"', start))]


def _same_tables(dbs):
    for table in ("zs_cases", "zs_findings", "zs_rejected"):
        got = []
        for db in dbs:
            with sqlite3.connect(db) as con:
                cur = con.execute(f"SELECT * FROM {table} ORDER BY line")
                cols = [d[0] for d in cur.description]
                got.append([{k: v for k, v in zip(cols, r) if k != "run_id"} for r in cur.fetchall()])
        assert got[0] == got[1] and len(got[0]) > 0, table


def test_to_db_postgresql_reads_the_parquet_run(sample, pg_url, tmp_path):
    import sqlalchemy as sa
    from engine.io.db.writer import write_run_to_db
    counts = {}
    for fmt in ("jsonl", "parquet"):
        done = write_run_to_db(sample[fmt], pg_url)
        counts[fmt] = (done["cases"], done["findings"], done["rejected"])
    assert counts["jsonl"] == counts["parquet"]
    eng = sa.create_engine(pg_url)
    try:
        with eng.connect() as cx:
            ids = [json.loads((sample[f] / "summary.json").read_text(encoding="utf-8"))["run_id"]
                   for f in ("jsonl", "parquet")]
            for table in ("zs_cases", "zs_findings"):
                rows = [[{k: v for k, v in r._mapping.items() if k != "run_id"} for r in
                         cx.execute(sa.text(f"SELECT * FROM {table} WHERE run_id = :r ORDER BY line"), {"r": i})]
                        for i in ids]
                assert rows[0] == rows[1] and rows[0], table
    finally:
        eng.dispose()


# -- the streamed review ---------------------------------------------------------------------------

def _big_input(folder: Path, own_parties: bool) -> Path:
    """The sample penalties twelve times over (324 rows, every column text) as one Parquet file; copies
    get their own case numbers, and with ``own_parties`` every row its own party (no act fined twice)."""
    frame = pd.read_csv(ROOT / "cases/penalties.csv", dtype=str, keep_default_na=False)
    copies = []
    for k in range(12):
        c = frame.copy()
        if k:
            c["案件编号"] = c["案件编号"] + f"-{k}"
        copies.append(c)
    frame = pd.concat(copies, ignore_index=True)
    if own_parties:
        frame["当事人证件号"] = [f"{v}-{i}" for i, v in enumerate(frame["当事人证件号"])]
    path = folder / ("own_parties.parquet" if own_parties else "penalties.parquet")
    pq.write_table(pa.table({c: pa.array([v if v != "" else None for v in frame[c]], type=pa.string())
                             for c in frame.columns}), path, row_group_size=100)
    return path


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    return _big_input(tmp_path_factory.mktemp("big"), own_parties=True)


def test_streamed_parquet_equals_the_whole_batch_parquet(big_input, tmp_path):
    whole_jsonl, whole, streamed = tmp_path / "jsonl", tmp_path / "whole", tmp_path / "streamed"
    _run(big_input, "--out", whole_jsonl, "--as-of", "2024-12-31")
    _run(big_input, "--out", whole, "--as-of", "2024-12-31", "--format", "parquet")
    _run(big_input, "--out", streamed, "--as-of", "2024-12-31", "--format", "parquet", "--batch-rows", "37",
         "--threads", "2", "--excel", tmp_path / "streamed.xlsx")
    for name in ("cases", "findings"):
        _assert_same_rows(whole_jsonl / f"{name}.jsonl", whole / f"{name}.parquet")
        a, b = pq.read_table(whole / f"{name}.parquet"), pq.read_table(streamed / f"{name}.parquet")
        assert a.schema.equals(b.schema, check_metadata=True), name
        assert a.equals(b), name
    assert pq.ParquetFile(streamed / "cases.parquet").metadata.num_row_groups >= 324 // 37   # a batch at a time
    assert pq.ParquetFile(whole / "cases.parquet").metadata.num_row_groups == 1
    assert pq.read_table(streamed / "rejected.parquet").equals(pq.read_table(whole / "rejected.parquet"))
    assert (streamed / "rejected.csv").read_bytes() == (whole_jsonl / "rejected.csv").read_bytes()
    assert pq.read_table(streamed / "findings.parquet").num_rows > 100
    from engine.io.outset import verify_folder
    verify_folder(streamed, required=("cases.parquet", "findings.parquet", "rejected.parquet"))


def test_streamed_parquet_is_its_own_json_lines_with_acts_fined_twice(tmp_path):
    """Acts fined again across batch edges (judged in the keys pass): the streamed Parquet rows are the
    whole-batch JSON lines (some sample rows have blank facts; tests/test_streaming.py checks the streamed
    JSON lines are the whole batch's on this input)."""
    path = _big_input(tmp_path, own_parties=False)
    jsonl, parquet = tmp_path / "jsonl", tmp_path / "parquet"
    _run(path, "--out", jsonl, "--as-of", "2024-12-31")
    _run(path, "--out", parquet, "--as-of", "2024-12-31", "--format", "parquet", "--batch-rows", "37",
         "--threads", "2")
    assert pq.ParquetFile(parquet / "cases.parquet").metadata.num_row_groups >= 324 // 37
    for name in ("cases", "findings"):
        _assert_same_rows(jsonl / f"{name}.jsonl", parquet / f"{name}.parquet")
    codes = pq.read_table(parquet / "findings.parquet").column("code").to_pylist()
    assert codes.count("penalty.double_fine") >= 11


def test_an_unknown_format_is_refused_in_chinese_first(tmp_path):
    p = _run(*SAMPLE, "--out", tmp_path / "x", "--format", "csv", ok=False)
    assert p.returncode == 2 and "csv" in p.stderr
    help_text = subprocess.run([str(BIN), "review", "--help"], capture_output=True, text=True).stdout
    i = help_text.index("--format")
    assert "格式" in help_text[i:i + 400] and help_text[i:i + 400].index("格式") < help_text[i:i + 400].index("Format")


def test_report_and_accountability_read_a_parquet_folder(sample, tmp_path):
    """`zhunsheng report DIR` and `zhunsheng accountability` take a --format parquet folder as they take a
    JSON Lines one: the workbook's sheets and the accountability output are the same."""
    from openpyxl import load_workbook
    books = {}
    for fmt in ("jsonl", "parquet"):
        book = tmp_path / f"{fmt}.xlsx"
        p = subprocess.run([str(BIN), "report", str(sample[fmt]), "--excel", str(book)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        wb = load_workbook(book, read_only=True)
        books[fmt] = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    assert books["jsonl"] == books["parquet"] and books["jsonl"]
    from engine.accountability.inputs import read_reviews
    a, b = read_reviews([sample["jsonl"]]), read_reviews([sample["parquet"]])
    pd.testing.assert_frame_equal(a.findings, b.findings)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    assert a.stats["findings_read"] == b.stats["findings_read"] > 0
