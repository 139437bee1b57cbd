"""``review --db`` in bounded memory (engine.io.db.spill): the cursor read once and spilled to a temporary
Parquet file, reviewed through engine.stream's Parquet path in small batches, must give byte for byte
the folder of today's whole-frame ``--db`` review (``read_db`` then ``review_records``) — on the real
PostgreSQL and MariaDB servers and SQLite, with records built to collide across batch edges."""
import datetime as dt
import decimal
import os

import pandas as pd
import pytest
import sqlalchemy as sa

from engine.calendar import default_calendar
from engine.cli_support import UserError
from engine.io.db.reader import read_db
from engine.io.db.spill import DbFrameSource, DbSpillSource, open_db_source
from engine.review import load_references, open_outputs, review_records, write_review
from engine.ruleset.loader import load_rules
from engine.stream import memory_option, review_source
from .helpers import ROOT, csv_records

AS_OF = dt.date(2024, 12, 31)
REPORTS = ("cases.jsonl", "findings.jsonl", "rejected.csv", "summary.json")
N_COPIES = 90                  # 27 sample records × 90 = 2,430 rows
BATCH = 300
BAD_ROW = 1_234                # its 处罚决定日期 cannot be read as a date


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "rules"), default_calendar()


def _records():
    """The sample penalties many times over: each copy its own case numbers (every tenth copy repeats copy
    0's: repeated case ids far apart), the same parties (every act fined again in each copy), a decision
    number shared by three rows of each copy (and one shared across copies), fines with and without cents
    (NUMERIC: int and float cells in one column), blanks, a remark blank in the first batches only, and
    one unreadable date."""
    header, base = csv_records()
    rows = []
    for k in range(N_COPIES):
        for j, r in enumerate(base):
            r = dict(r)
            r["案件编号"] = r["案件编号"] + (f"-{k}" if k % 10 != 3 else "")
            r["决定书文号"] = ("共同决定〔2024〕1号" if j in (2, 5) and k in (7, 8)
                          else f"决定〔2024〕{k}-{j // 3}号" if j < 9 else None)
            if r["罚款金额"] is not None and j % 4 == 1:
                r["罚款金额"] = str(decimal.Decimal(r["罚款金额"]) + decimal.Decimal("0.50"))
            if (k + j) % 7 == 0:
                r["执法部门"] = None
            r["备注"] = r["备注"] if k >= 12 else None
            rows.append(r)
    rows[BAD_ROW - 1]["处罚决定日期"] = "二〇二四年十三月"
    return header + ["决定书文号"], rows


def _kinds(header, rows):
    kinds = {}
    for h in header:
        present = [r[h] for r in rows if r[h] is not None]
        if h == "罚款金额":
            kinds[h] = "numeric"
        elif h == "处罚决定日期":
            kinds[h] = "text"
        elif present and all(v.lstrip("-").isdigit() for v in present):
            kinds[h] = "int"
        else:
            try:
                for v in present:
                    dt.date.fromisoformat(v)
                kinds[h] = "date"
            except ValueError:
                kinds[h] = "text"
    return kinds


def _load(url: str, name: str, header, rows, extra: dict | None = None) -> None:
    """Table ``name`` with an integer key ``序号`` (the read order), typed columns, and ``extra``: column ->
    (SQLAlchemy type, {row number: value})."""
    kinds = _kinds(header, rows)
    types = {"int": sa.BigInteger, "date": sa.Date, "text": sa.Text, "numeric": lambda: sa.Numeric(14, 2)}
    conv = {"int": int, "date": dt.date.fromisoformat, "text": str, "numeric": decimal.Decimal}
    extra = extra or {}
    cols = [sa.Column("序号", sa.Integer, primary_key=True, autoincrement=False)]
    cols += [sa.Column(h, types[kinds[h]]()) for h in header]
    cols += [sa.Column(c, t) for c, (t, _) in extra.items()]
    table = sa.Table(name, sa.MetaData(), *cols, mysql_charset="utf8mb4", mariadb_charset="utf8mb4")
    eng = sa.create_engine(url)
    with eng.begin() as cx:
        table.drop(cx, checkfirst=True)
        table.create(cx)
        data = []
        for i, r in enumerate(rows, start=1):
            d = {"序号": i, **{h: None if r[h] is None else conv[kinds[h]](r[h]) for h in header}}
            d.update({c: vals.get(i) for c, (_, vals) in extra.items()})
            data.append(d)
        cx.execute(table.insert(), data)
    eng.dispose()


@pytest.fixture(scope="module")
def collide(db_url):
    header, rows = _records()
    _load(db_url, "罚没_流式", header, rows)
    return db_url


def _whole(url, out, rules, table=None, query=None, amount_unit="元"):
    """Today's ``review --db``: every record read into one frame, reviewed whole (cli.py as it was)."""
    ruleset, calendar = rules
    refs = load_references(None, None, AS_OF, ruleset.root)
    with open_outputs(out) as outs:
        raw = read_db(url, table=table, query=query)
        if amount_unit != "元":
            from engine.records.frame import with_amount_unit
            raw = with_amount_unit(raw, amount_unit)
        return write_review(review_records(raw, ruleset, AS_OF, calendar, None, refs, None), outs)


def _streamed(url, out, rules, table=None, query=None, batch_rows=BATCH, spill_dir=None, seen=None,
              amount_unit="元"):
    """What cli.py's ``review`` does with ``--db``, with the source in view (the command itself is run by
    the ``test_the_command_*`` tests)."""
    ruleset, calendar = rules
    refs = load_references(None, None, AS_OF, ruleset.root)
    times, memory_bytes = {}, memory_option("2GiB")
    with open_outputs(out) as outs:
        source = open_db_source(url, table, query, amount_unit, batch_rows=batch_rows, memory=memory_bytes,
                                spill_dir=spill_dir if spill_dir is not None else outs.folder)
        try:
            if seen is not None:
                seen.append((type(source), getattr(source, "path", None), getattr(source, "path", None)
                             and source.path.exists()))
            summ = review_source(source, ruleset, AS_OF, calendar, None, refs, None, outs, None,
                                 memory_bytes, batch_rows, times)
            raw = source.whole() if summ is None else None
        finally:
            source.close()
        del source
        if summ is None:
            ev = review_records(raw, ruleset, AS_OF, calendar, None, refs, None)
            summ = write_review(ev, outs)
        if seen is not None:
            seen.append("keys" in times)           # the batches ran (engine.stream times its key pass)
        return summ


def _same_folders(a, b):
    for name in REPORTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _no_spill_left(folder):
    return not any(p.name.startswith(".zhunsheng-spill-") for p in folder.iterdir())


def test_spilled_stream_is_the_whole_frame_review(collide, rules, tmp_path):
    seen = []
    whole = _whole(collide, tmp_path / "whole", rules, table="罚没_流式")
    streamed = _streamed(collide, tmp_path / "streamed", rules, table="罚没_流式", seen=seen)
    (kind, path, existed), batched = seen
    assert kind is DbSpillSource and existed and path.name == "records.parquet" and batched
    assert streamed["run_id"] == whole["run_id"] and streamed["input_rows"] == N_COPIES * 27
    _same_folders(tmp_path / "whole", tmp_path / "streamed")
    assert not path.exists() and not path.parent.exists() and _no_spill_left(tmp_path / "streamed")
    # the collisions are there: repeated ids rejected, acts fined twice, and the bad date's row
    rejected = pd.read_csv(tmp_path / "streamed" / "rejected.csv", dtype=str)
    assert (rejected["file"] == "罚没_流式").all()
    assert str(BAD_ROW) in rejected["row"].tolist()
    assert len(rejected) > N_COPIES // 10
    assert '"penalty.double_fine"' in (tmp_path / "streamed" / "findings.jsonl").read_text("utf-8")


def test_amount_unit_is_applied_to_every_batch(collide, rules, tmp_path):
    seen = []
    _whole(collide, tmp_path / "whole", rules, table="罚没_流式", amount_unit="万元")
    _streamed(collide, tmp_path / "streamed", rules, table="罚没_流式", seen=seen, amount_unit="万元")
    assert seen[0][0] is DbSpillSource and seen[1]
    _same_folders(tmp_path / "whole", tmp_path / "streamed")
    _streamed(collide, tmp_path / "yuan", rules, table="罚没_流式")
    assert (tmp_path / "yuan" / "findings.jsonl").read_bytes() != (tmp_path / "streamed" / "findings.jsonl").read_bytes()


def test_a_query_is_named_query(collide, rules, tmp_path):
    sql = 'SELECT * FROM "罚没_流式" ORDER BY "序号"'
    if collide.startswith("mysql"):
        sql = sql.replace('"', "`")
    seen = []
    _whole(collide, tmp_path / "whole", rules, query=sql)
    _streamed(collide, tmp_path / "streamed", rules, query=sql, seen=seen)
    assert seen[0][0] is DbSpillSource and seen[1]
    _same_folders(tmp_path / "whole", tmp_path / "streamed")
    rejected = pd.read_csv(tmp_path / "streamed" / "rejected.csv", dtype=str)
    assert (rejected["file"] == "query").all() and str(BAD_ROW) in rejected["row"].tolist()


def test_spilled_cells_come_back_as_read_db_gives_them(collide, tmp_path):
    """Every cell of the spill file is the object read_db holds: same type, same value."""
    expected = read_db(collide, table="罚没_流式")
    with open_db_source(collide, "罚没_流式", None, "元", batch_rows=BATCH, spill_dir=tmp_path) as source:
        assert isinstance(source, DbSpillSource) and source.n == len(expected)
        got = source.whole()
        parts = list(source.slices([0, 7, 300, 301, 1500, source.n]))
    assert _no_spill_left(tmp_path)
    pd.testing.assert_frame_equal(got, expected)
    glued = pd.concat([p.drop(columns="__source__") for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(glued, expected.drop(columns="__source__"))
    for col in expected.columns[:-2]:
        a, b = expected[col].to_numpy(), got[col].to_numpy()
        assert [type(x) for x in a] == [type(x) for x in b], col
    fines = {type(v) for v in expected["罚款金额"]}
    assert {int, float} <= fines                       # NUMERIC gives both: both came back as they were


@pytest.mark.parametrize("limits", [{}, {"memory": memory_option("2GiB")}, {"batch_rows": N_COPIES * 27}])
def test_a_table_that_fits_one_batch_is_not_spilled(collide, tmp_path, limits):
    with open_db_source(collide, "罚没_流式", None, "元", spill_dir=tmp_path, **limits) as source:
        assert isinstance(source, DbFrameSource)
        pd.testing.assert_frame_equal(source.whole(), read_db(collide, table="罚没_流式"))
    assert _no_spill_left(tmp_path)


def test_one_row_past_the_batch_is_spilled(collide, tmp_path):
    with open_db_source(collide, "罚没_流式", None, "元", spill_dir=tmp_path, batch_rows=N_COPIES * 27 - 1) as src:
        assert isinstance(src, DbSpillSource) and src.n == N_COPIES * 27
        pd.testing.assert_frame_equal(src.whole(), read_db(collide, table="罚没_流式"))
    assert _no_spill_left(tmp_path)


def test_a_spill_left_by_a_killed_run_is_removed(collide, tmp_path):
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".zhunsheng-spill-{dead}-abc.tmp"
    stale.mkdir()
    (stale / "records.parquet").write_bytes(b"x")
    alive = tmp_path / f".zhunsheng-spill-{os.getppid()}-abc.tmp"      # a run still going: left alone
    alive.mkdir()
    with open_db_source(collide, "罚没_流式", None, "元", spill_dir=tmp_path, batch_rows=BATCH) as src:
        assert src.path.parent.parent == tmp_path
    assert not stale.exists() and alive.exists()


def _failing_query(url):
    if url.startswith("sqlite"):       # json() of text that is not JSON raises, at that row
        return 'SELECT *, json(CASE WHEN "序号" = 1700 THEN \'not json\' ELSE \'1\' END) AS j FROM "罚没_流式" ORDER BY "序号"'
    if url.startswith("postgresql"):
        return 'SELECT *, 1 / ("序号" - 1700) AS j FROM "罚没_流式" ORDER BY "序号"'
    # MariaDB (division by zero is NULL there): a scalar subquery giving two rows, at that row only
    return ("SELECT t.*, (SELECT 1 FROM (SELECT 1 AS a UNION ALL SELECT 2) x WHERE t.`序号` = 1700) AS j "
            "FROM `罚没_流式` t ORDER BY t.`序号`")


def test_spill_is_removed_when_reading_fails_half_way(collide, tmp_path):
    sql = _failing_query(collide)
    from engine.io.db.reader import iter_batches
    got = []
    with pytest.raises(UserError):                  # the statement fails mid-read: batches came before
        for frame in iter_batches(collide, None, sql, BATCH):
            got.append(len(frame))
    assert sum(got) >= 2 * BATCH                    # past the first batch: the spill had begun
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(UserError) as e:
        open_db_source(collide, None, sql, "元", batch_rows=BATCH, spill_dir=spill)
    assert "查询失败" in str(e.value) and "Traceback" not in str(e.value)
    assert list(spill.iterdir()) == []


def test_a_failed_review_removes_the_spill(collide, rules, tmp_path):
    """An error after spilling, while the source is in use, still leaves no spill behind."""
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(Exception):
        with open_db_source(collide, "罚没_流式", None, "元", batch_rows=BATCH, spill_dir=spill) as source:
            assert isinstance(source, DbSpillSource) and source.path.exists()
            raise RuntimeError("stop")
    assert list(spill.iterdir()) == []


def test_cells_that_cannot_be_spilled_are_reviewed_whole(pg_db, rules, tmp_path, capsys):
    """A NUMERIC(30) beyond 64 bits in the third batch: the rows spilled so far are read back, the rest read,
    the input reviewed whole — same folder, no spill left."""
    header, rows = _records()
    rows = rows[:1500]
    _load(pg_db, "罚没_大数", header, rows, extra={"大数": (sa.Numeric(30, 0), {700: decimal.Decimal(10 ** 25),
                                                                               5: decimal.Decimal(7)})})
    seen = []
    _whole(pg_db, tmp_path / "whole", rules, table="罚没_大数")
    spill = tmp_path / "spill"
    spill.mkdir()
    _streamed(pg_db, tmp_path / "streamed", rules, table="罚没_大数", spill_dir=spill, seen=seen)
    assert seen[0][0] is DbFrameSource and "整批读入内存" in capsys.readouterr().err
    _same_folders(tmp_path / "whole", tmp_path / "streamed")
    assert list(spill.iterdir()) == []


def _command(*args):
    """``zhunsheng`` itself, in its own process."""
    import subprocess
    import sys
    from pathlib import Path
    binary = Path(sys.executable).parent / "zhunsheng"
    p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=600)
    assert "Traceback" not in p.stdout + p.stderr
    return p


def test_the_command_streams_a_table_through_a_spill(collide, rules, tmp_path):
    """``review --db`` past one batch: the timings show the key pass of the streamed review, the folder is
    the whole-frame review's byte for byte, and no spill is left in it."""
    _whole(collide, tmp_path / "whole", rules, table="罚没_流式")
    out = tmp_path / "command"
    p = _command("review", "--db", collide, "--table", "罚没_流式", "--out", out, "--as-of", AS_OF.isoformat(),
                 "--batch-rows", BATCH, "--timings")
    assert p.returncode == 0, p.stderr
    assert "keys " in p.stderr and "review " in p.stderr          # engine.stream's phases, not read/evaluate
    _same_folders(tmp_path / "whole", out)
    assert _no_spill_left(out)


def test_the_command_reports_a_query_failing_half_way_and_keeps_no_spill(collide, tmp_path):
    out = tmp_path / "command"
    p = _command("review", "--db", collide, "--query", _failing_query(collide), "--out", out,
                 "--as-of", AS_OF.isoformat(), "--batch-rows", BATCH)
    assert p.returncode != 0 and "查询失败" in p.stderr
    assert not out.exists() or _no_spill_left(out)
