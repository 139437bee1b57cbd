"""Records read from a real database review exactly as the same records read from a file.

The reference is the review of a file (``cases/penalties.csv`` as JSON Lines, so that line N is record
N, as row N of the table is); the table holds the same records with typed columns (numbers as
INTEGER, dates as DATE, NULL for blanks), once with the Chinese headers and once with English ones."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from engine.cli_support import UserError
from engine.io.db.reader import iter_batches, read_db
from engine.io.readers import read_table
from .helpers import as_jsonl, csv_records, load_table, review_to

OUTPUTS_SAME = ("cases.jsonl", "findings.jsonl")


@pytest.fixture(scope="session")
def loaded(db_url):
    """The bundled penalty records in tables ``penalties_zh`` (Chinese headers) and ``penalties_en``."""
    from engine.records.schema import PENALTY
    header, records = csv_records()
    english = {h: PENALTY.field_of(h) for h in header if PENALTY.field_of(h)}
    assert len(english) >= 25 and len(set(english.values())) == len(english)
    load_table(db_url, "penalties_zh", header, records)
    load_table(db_url, "penalties_en", header, records, rename=english)
    return db_url


@pytest.fixture(scope="session")
def from_file(tmp_path_factory):
    """The review of the records read from a file: the expected outputs."""
    folder = tmp_path_factory.mktemp("file")
    _, records = csv_records()
    path = as_jsonl(folder / "penalties.jsonl", records)
    review_to(read_table(path), folder / "out")
    return folder / "out"


def _rejected(folder):
    import csv
    with open(folder / "rejected.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _summary_without_seal(folder):
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    s.pop("run_id")
    s["files"].pop("rejected.csv")       # its digest covers the file column, which names the source
    return s


def assert_same_review(db_folder, file_folder, source: str):
    for name in OUTPUTS_SAME:
        assert (db_folder / name).read_bytes() == (file_folder / name).read_bytes(), name
    assert _summary_without_seal(db_folder) == _summary_without_seal(file_folder)
    got, want = _rejected(db_folder), _rejected(file_folder)
    assert len(got) == len(want) == 3
    assert {r["file"] for r in got} == {source}
    assert [{**r, "file": None} for r in got] == [{**r, "file": None} for r in want]


@pytest.mark.parametrize("table", ["penalties_zh", "penalties_en"])
def test_table_reviews_like_the_file(loaded, from_file, tmp_path, table):
    raw = read_db(loaded, table=table)
    assert list(raw["__row__"]) == list(range(1, 28))
    review_to(raw, tmp_path / "out")
    assert_same_review(tmp_path / "out", from_file, table)


def test_query_reviews_like_the_file_and_names_query(loaded, from_file, tmp_path):
    raw = read_db(loaded, query="SELECT * FROM penalties_zh WHERE 备注 IS NULL OR 备注 NOT LIKE '%never%'")
    review_to(raw, tmp_path / "out")
    assert_same_review(tmp_path / "out", from_file, "query")


def test_batches_stream_and_join_to_the_same_frame(loaded):
    parts = list(iter_batches(loaded, table="penalties_zh", batch_rows=5))
    assert [len(p) for p in parts] == [5, 5, 5, 5, 5, 2]
    assert [int(p["__row__"].iloc[0]) for p in parts] == [1, 6, 11, 16, 21, 26]
    whole = read_db(loaded, table="penalties_zh", batch_rows=5)
    once = read_db(loaded, table="penalties_zh")
    assert whole.drop(columns="__source__").equals(once.drop(columns="__source__"))
    assert list(whole["__source__"].astype(str).unique()) == ["penalties_zh"]


def test_values_keep_their_types_and_null_is_blank(loaded):
    raw = read_db(loaded, table="penalties_zh")
    first = raw.iloc[0]
    assert first["罚款金额"] == 75000 and type(first["罚款金额"]) is int
    assert first["处罚决定日期"] == dt.date(2024, 4, 20)      # SQLite too: the table declares DATE
    assert first["案件编号"] == "示市监罚〔2024〕1号"
    assert first["违法行为终了日期"] is None                 # NULL: an unknown fact, not a value
    assert raw["罚款金额"].dtype == object and raw["货值金额"].iloc[-1] == "abc"


def test_primary_key_orders_the_read(db_url):
    header = ["编号", "案件编号"]
    recs = [{"编号": str(i), "案件编号": f"C{i}"} for i in (3, 1, 2)]
    load_table(db_url, "ordered", header, recs, primary_key="编号")
    raw = read_db(db_url, table="ordered")
    assert list(raw["案件编号"]) == ["C1", "C2", "C3"] and list(raw["__row__"]) == [1, 2, 3]


def test_table_name_is_quoted_not_formatted(db_url):
    header = ["案件编号"]
    load_table(db_url, "罚 单\"x", header, [{"案件编号": "A1"}])
    assert list(read_db(db_url, table='罚 单"x')["案件编号"]) == ["A1"]
    with pytest.raises(UserError, match="数据表不存在"):
        read_db(db_url, table='ordered; DROP TABLE ordered')
    eng = sa.create_engine(db_url)
    assert sa.inspect(eng).has_table('罚 单"x')
    eng.dispose()


def test_query_runs_read_only(loaded):
    with pytest.raises(UserError, match="查询失败"):
        read_db(loaded, query="DELETE FROM penalties_zh")
    assert len(read_db(loaded, table="penalties_zh")) == 27


def test_empty_table_is_an_empty_batch(db_url):
    load_table(db_url, "empty", ["案件编号", "罚款金额"], [], kinds={"案件编号": "text", "罚款金额": "int"})
    raw = read_db(db_url, table="empty")
    assert len(raw) == 0 and {"案件编号", "罚款金额", "__row__", "__source__"} <= set(raw.columns)


def test_duplicate_or_reserved_names_refused(loaded):
    with pytest.raises(UserError, match="列名重复"):
        read_db(loaded, query='SELECT 案件编号, 案件编号 FROM penalties_zh')
    with pytest.raises(UserError, match="内部保留"):
        read_db(loaded, query='SELECT 案件编号 AS __row__ FROM penalties_zh')


def test_stopping_early_closes_the_stream_quietly(loaded):
    import warnings
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        batches = iter_batches(loaded, table="penalties_zh", batch_rows=5)
        assert len(next(batches)) == 5
        batches.close()
        assert len(read_db(loaded, table="penalties_zh")) == 27
    assert [str(w.message) for w in seen] == []
