"""Server-specific column types reach the record layer as the kinds of cell the file readers give."""
import datetime as dt

import pytest
import sqlalchemy as sa

from engine.io.db.reader import read_db
from engine.io.readers import JsonCell

PG_TABLE = """CREATE TABLE typed (id INTEGER PRIMARY KEY, fine NUMERIC(14, 2), ratio NUMERIC(6, 3),
  officers TEXT[], facts JSONB, decided TIMESTAMP, decided_day DATE, hearing BOOLEAN, raw BYTEA, note TEXT)"""
PG_ROW = """INSERT INTO typed VALUES (1, 75000.00, 0.125, ARRAY['SJ001','SJ002'], '{"货值": 8000}',
  '2024-04-20 09:30:00', '2024-04-20', TRUE, '\\xe7a4ba', NULL)"""
MARIA_TABLE = """CREATE TABLE typed (id INTEGER PRIMARY KEY, fine DECIMAL(14, 2), ratio DECIMAL(6, 3),
  officers JSON, facts JSON, decided DATETIME, decided_day DATE, hearing TINYINT(1), raw VARBINARY(10), note TEXT)
  CHARACTER SET utf8mb4"""
MARIA_ROW = """INSERT INTO typed VALUES (1, 75000.00, 0.125, '["SJ001","SJ002"]', '{"货值": 8000}',
  '2024-04-20 09:30:00', '2024-04-20', 1, X'e7a4ba', NULL)"""


def _make(url, ddl, row):
    eng = sa.create_engine(url)
    with eng.begin() as cx:
        cx.exec_driver_sql("DROP TABLE IF EXISTS typed")
        cx.exec_driver_sql(ddl)
        cx.exec_driver_sql(row.replace("%", "%%") if "sqlite" not in url else row)
    eng.dispose()


def _common(first):
    assert first["fine"] == 75000 and type(first["fine"]) is int          # an integral DECIMAL: the CSV's 75000
    assert first["ratio"] == 0.125 and type(first["ratio"]) is float
    assert first["decided"] == dt.datetime(2024, 4, 20, 9, 30)
    assert first["decided_day"] == dt.date(2024, 4, 20)
    assert first["raw"] == "示" and first["note"] is None


def test_postgresql_types(pg_db):
    _make(pg_db, PG_TABLE, PG_ROW)
    first = read_db(pg_db, table="typed").iloc[0]
    _common(first)
    assert isinstance(first["officers"], JsonCell) and first["officers"].items == ("SJ001", "SJ002")
    assert isinstance(first["facts"], JsonCell) and str(first["facts"]) == '{"货值":8000}'
    assert first["hearing"] is True


def test_mariadb_types(maria_db):
    _make(maria_db, MARIA_TABLE, MARIA_ROW)
    first = read_db(maria_db, table="typed").iloc[0]
    _common(first)
    assert first["officers"] == '["SJ001","SJ002"]'      # MariaDB's JSON is text: read as the text it is
    assert first["hearing"] == 1


def test_officers_array_reviews_like_the_list_text(pg_db, tmp_path):
    """A PostgreSQL array of officers is the list the CSV writes as SJ001;SJ002."""
    from .helpers import csv_records, load_table, review_to
    header, records = csv_records()
    load_table(pg_db, "penalties_text", header, records)
    eng = sa.create_engine(pg_db)
    with eng.begin() as cx:
        cx.exec_driver_sql("CREATE TABLE penalties_array AS SELECT * FROM penalties_text")
        cx.exec_driver_sql('ALTER TABLE penalties_array ALTER COLUMN "执法人员" TYPE TEXT[] '
                           "USING string_to_array(\"执法人员\", ';')")
    eng.dispose()
    review_to(read_db(pg_db, table="penalties_text"), tmp_path / "text")
    raw = read_db(pg_db, table="penalties_array")
    assert isinstance(raw["执法人员"].iloc[0], JsonCell)
    review_to(raw, tmp_path / "array")
    for name in ("cases.jsonl", "findings.jsonl"):       # rejected.csv names each table as its file
        assert (tmp_path / "text" / name).read_bytes() == (tmp_path / "array" / name).read_bytes(), name


@pytest.mark.parametrize("value", [float("nan")])
def test_nan_is_blank(value):
    from engine.io.db.cells import cell
    assert cell(value) is None
