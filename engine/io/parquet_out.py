"""``review --format parquet``: cases.parquet, findings.parquet and rejected.parquet beside rejected.csv.

Why: DuckDB and pandas users read columns, not JSON Lines.  The Parquet files hold the same fields as
the JSON lines, under the same names, in the same row order, with the same values:

- text stays text (dates included: ``event_date`` and ``provision_version`` are the JSON's ISO text,
  never a date type), whole numbers ``int64``, amounts ``float64``, flags ``bool``, lists of text
  ``list<string>``;
- values whose keys vary from row to row — a finding's ``citations``, ``facts``, ``expected``,
  ``actual``, a case's ``deadlines`` and ``extra`` — are one JSON text per row, in a column whose field
  metadata says so (``{"json": "text"}``): ``json.loads`` of the cell gives the JSON line's value;
- a field a line does not have (in a batch mixing kinds: ``deadlines`` on penalty lines, ``fine`` on
  the deadline kinds) is null, as is a field whose value is null.

The case columns come from the Arrow tables the JSON Lines encoder reads (``engine.results.case_tables``),
so no value is converted twice; the findings, which exist only as encoded lines, are parsed back a
chunk at a time.  The streamed review writes each batch as row groups with ``ParquetWriter``, so memory
stays bounded by the batch.  Formula-like text is kept as it is (Parquet is data, not a spreadsheet;
``rejected.csv`` keeps its guard).
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

JSON_TEXT = {b"json": b"text"}     # field metadata: the column holds one JSON text per row
PARQUET_OUTPUTS = ("cases.parquet", "findings.parquet", "rejected.parquet")
COMPRESSION = "zstd"

_S, _L, _F, _I, _B = pa.string(), pa.list_(pa.string()), pa.float64(), pa.int64(), pa.bool_()
_J = "json"

# the contract's fields (README, "Review output") and their column types
CASE_TYPES = {
    "case_id": _S, "status": _S, "provision": _S, "provision_version": _S, "tiers": _L,
    "lawful_fine_min": _F, "lawful_fine_max": _F, "codes": _L, "possible_codes": _L, "undetermined": _L,
    "lawful_fine_max_unbounded": _B, "department": _S, "officers": _L, "event_date": _S, "row": _I,
    "reason": _S, "record_kind": _S, "decision_no": _S, "party_id": _S, "fine": _F, "sanctions": _L,
    "deadlines": _J, "extra": _J,
}
# fields only lines of one kind have (engine.results._case_table_part): null there means absent
PENALTY_ONLY = ("possible_codes", "undetermined", "lawful_fine_max_unbounded", "decision_no", "party_id",
                "fine", "sanctions")
FINDING_TYPES = {
    "case_id": _S, "code": _S, "category": _S, "severity": _S, "message_zh": _S, "message_en": _S,
    "citations": _J, "facts": _J, "expected": _J, "actual": _J, "department": _S, "officers": _L,
    "event_date": _S, "row": _I, "record_kind": _S, "certainty": _S, "depends_on": _L,
}
REJECTED_TYPES = {"row": _I, "case_id": _S, "reason": _S, "file": _S, "record_kind": _S}


def _field(name: str, kind) -> pa.Field:
    return pa.field(name, _S, metadata=JSON_TEXT) if kind == _J else pa.field(name, kind)


FINDING_SCHEMA = pa.schema([_field(k, v) for k, v in FINDING_TYPES.items()])


# -- cases ----------------------------------------------------------------------------------------

def _plain(column) -> pa.Array:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _json_text(field: pa.Field, column) -> pa.Array:
    """One JSON text per row, exactly the text the JSON Lines encoder writes (null → null)."""
    from engine.io.jsonfrag import fragment
    arr = _plain(column)
    null = pa.scalar(None, pa.large_string())
    if (field.metadata or {}).get(b"json") != b"raw":
        text = fragment(arr)
    elif pa.types.is_struct(arr.type):    # JSON text in pieces (engine.deadlines.output), joined
        text = pc.binary_join_element_wise(*[p.cast(pa.large_string()) for p in arr.flatten()],
                                           pa.scalar("", pa.large_string()))
        text = pc.if_else(arr.is_null(), null, text)
    else:                                 # JSON text already
        text = arr.cast(pa.large_string())
    text = text.cast(pa.large_string())
    return pc.if_else(pc.fill_null(pc.equal(text, pa.scalar("null", pa.large_string())), True), null, text) \
        .cast(_S)


def _typed(field: pa.Field, column, kind) -> tuple[pa.Field, pa.Array]:
    arr = _plain(column)
    if kind == _J or (kind is None and (pa.types.is_struct(arr.type) or
                                         (field.metadata or {}).get(b"json") == b"raw")):
        return _field(field.name, _J), _json_text(field, column)
    if kind is None:                      # a field outside the contract: its own type, without large_*
        kind = {pa.large_string(): _S, pa.null(): _S}.get(arr.type, arr.type)
        if pa.types.is_large_list(kind):
            kind = pa.list_(kind.value_type)
    return pa.field(field.name, kind), arr if arr.type == kind else arr.cast(kind)


def case_columns(table: pa.Table) -> pa.Table:
    """A cases.jsonl table (``engine.results.case_tables``) as Parquet columns: plain types, no
    dictionaries, JSON text where the value is an object."""
    fields, arrays = [], []
    for f in table.schema:
        nf, arr = _typed(f, table.column(f.name), CASE_TYPES.get(f.name))
        fields.append(nf)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def union_schema(tables) -> pa.Schema:
    """Every column of several tables, in order of first appearance (a mixed batch: the penalty
    columns, then those only the deadline kinds have)."""
    fields: dict = {}
    for t in tables:
        for f in t.schema:
            if f.name not in fields or pa.types.is_null(fields[f.name].type):
                fields[f.name] = f
    return pa.schema(list(fields.values()))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: a column it lacks is null (the field is absent)."""
    extra = set(table.column_names) - set(schema.names)
    if extra:
        raise ValueError(f"columns outside the first batch's schema: {sorted(extra)}")
    arrays = [table.column(f.name).cast(f.type) if f.name in table.column_names
              else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


# -- findings -------------------------------------------------------------------------------------

def finding_columns(chunk) -> pa.Table:
    """Lines of findings.jsonl (bytes or an Arrow buffer) as a table of ``FINDING_SCHEMA``."""
    data = bytes(chunk)
    objs = [orjson.loads(line) for line in data.splitlines() if line.strip()]
    arrays = []
    for f in FINDING_SCHEMA:
        values = [o.get(f.name) for o in objs]
        if f.metadata == JSON_TEXT:
            values = [None if v is None else orjson.dumps(v).decode("utf-8") for v in values]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=FINDING_SCHEMA)


# -- rejected rows --------------------------------------------------------------------------------

def rejected_columns(frame) -> pa.Table:
    """rejected.csv's rows (the frame, before the spreadsheet guard) as columns: the exact texts."""
    import pandas as pd
    fields, arrays = [], []
    for name in frame.columns:
        kind = REJECTED_TYPES.get(str(name), _S)
        values = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
                  for v in frame[name].tolist()]
        if kind == _S:
            values = [None if v is None else str(v) for v in values]
        else:
            values = [None if v is None else int(v) for v in values]
        fields.append(pa.field(str(name), kind))
        arrays.append(pa.array(values, type=kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# -- writing --------------------------------------------------------------------------------------

class Sink:
    """One Parquet file written a table (a row group or more) at a time; the schema is the first
    table's (or ``schema``), later tables are conformed to it.  Use as a context manager; the path is
    a staging path (``engine.io.outset``), written through ``atomic_path``."""

    def __init__(self, path: Path, schema: pa.Schema | None = None):
        self.path = Path(path)
        self.schema = schema
        self._writer = None
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        from engine.io.atomic import atomic_path
        self._tmp = self._stack.enter_context(atomic_path(self.path))
        return self

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.schema = self.schema or table.schema
            self._writer = pq.ParquetWriter(self._tmp, self.schema, compression=COMPRESSION)
        self._writer.write_table(conform(table, self.schema))

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self._writer is None:
                self.write((self.schema or pa.schema([])).empty_table())
            if self._writer is not None:
                self._writer.close()
        except BaseException:
            self._stack.__exit__(*sys.exc_info())     # the temporary file is removed
            raise
        return self._stack.__exit__(exc_type, exc, tb)


def write_cases(path: Path, tables) -> None:
    """cases.parquet of a whole batch: the parts of a mixed batch one after the other, as in cases.jsonl."""
    columns = [case_columns(t) for t in tables]
    with Sink(path, union_schema(columns)) as sink:
        for t in columns:
            sink.write(t)


def write_findings(path: Path, chunks) -> None:
    with Sink(path, FINDING_SCHEMA) as sink:
        for chunk in chunks:
            sink.write(finding_columns(chunk))


def write_rejected(path: Path, frame) -> None:
    with Sink(path) as sink:
        sink.write(rejected_columns(frame))


# -- reading back (the workbook, the HTML report, --to-db) ----------------------------------------

def iter_rows(path: Path, batch_rows: int = 5_000):
    """The rows of cases.parquet or findings.parquet as the JSON lines' objects: JSON text columns
    read back, and the fields a line of its kind does not have left out again."""
    pf = pq.ParquetFile(path)
    json_cols = [f.name for f in pf.schema_arrow if (f.metadata or {}).get(b"json") == b"text"]
    cases = "status" in pf.schema_arrow.names
    for batch in pf.iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            for name in json_cols:
                if row[name] is not None:
                    row[name] = orjson.loads(row[name])
            if cases:
                absent = ("deadlines",) if row.get("record_kind") == "penalty" else PENALTY_ONLY
                for name in (*absent, "extra"):
                    if name in row and row[name] is None:
                        del row[name]
            yield row


def is_parquet_run(summary: dict) -> bool:
    return "cases.parquet" in (summary.get("files") or {})
