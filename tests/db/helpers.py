"""Test-side plumbing: put records into a table (typed columns, as a department's database would hold
them) and review a frame into a folder.  Written with plain SQLAlchemy and the csv module, never with
the code under test."""
import csv
import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PENALTIES = ROOT / "cases" / "penalties.csv"
AS_OF = dt.date(2025, 1, 1)


def csv_records(path: Path = PENALTIES) -> tuple[list[str], list[dict]]:
    """Header and records as text, blanks as None (what a CSV reader sees)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), [{k: (v if v.strip() else None) for k, v in r.items()} for r in reader]


def as_jsonl(path: Path, records: list[dict]) -> Path:
    """The records as a JSON Lines file: line N holds record N, as a table's N-th row is record N."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _kind(values) -> str:
    present = [v for v in values if v is not None]
    for kind, parse in (("int", int), ("date", dt.date.fromisoformat)):
        try:
            for v in present:
                parse(v)
            return kind
        except ValueError:
            continue
    return "text"


def typed_columns(header: list[str], records: list[dict]) -> dict:
    """Each column's type as a database would declare it: INTEGER or DATE where every value is one, else TEXT."""
    return {h: _kind([r[h] for r in records]) for h in header}


def load_table(url: str, name: str, header: list[str], records: list[dict], kinds: dict | None = None,
               rename: dict | None = None, primary_key: str | None = None) -> None:
    """Create table ``name`` (columns renamed by ``rename``) holding ``records`` with typed values."""
    kinds = kinds or typed_columns(header, records)
    rename = rename or {}
    types = {"int": sa.BigInteger, "date": sa.Date, "text": sa.Text}
    conv = {"int": int, "date": dt.date.fromisoformat, "text": str}
    md = sa.MetaData()
    cols = [sa.Column(rename.get(h, h), types[kinds[h]](), primary_key=(h == primary_key),
                      autoincrement=False) for h in header]
    table = sa.Table(name, md, *cols, mysql_charset="utf8mb4", mariadb_charset="utf8mb4")
    eng = sa.create_engine(url)
    with eng.begin() as cx:
        table.drop(cx, checkfirst=True)
        table.create(cx)
        if records:
            cx.execute(table.insert(), [{rename.get(h, h): (None if r[h] is None else conv[kinds[h]](r[h]))
                                         for h in header} for r in records])
    eng.dispose()


def review_to(raw, folder: Path) -> dict:
    """Review a raw frame with the bundled rules and write the folder (the review's own Python API)."""
    from engine.calendar import default_calendar
    from engine.review import review_records, write_review
    from engine.ruleset.loader import load_rules
    ev = review_records(raw, load_rules(ROOT / "rules"), AS_OF, default_calendar())
    return write_review(ev, folder)


def server_url(url: str) -> str:
    """The URL with this project's driver named (what the tests' own SQLAlchemy engines use)."""
    from engine.io.db.connect import parse_url
    return parse_url(url).render_as_string(hide_password=False)
