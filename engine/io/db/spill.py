"""A table or query reviewed in bounded memory: the cursor read once, spilled to a temporary Parquet file.

``read_db`` joins every batch of the server-side cursor into one frame, so a large table had to fit in
memory whole.  ``open_db_source`` reads the same batches (``iter_batches``) once, writes each to a
Parquet file as it comes (pyarrow ``ParquetWriter``), and gives ``engine.stream`` a ``ParquetSource``
over that file: the plan (key columns a slice at a time), the batches and their writing are the file
review's own.  Memory held: the records of one review batch until the input proves larger, then
one cursor batch (at most ``BATCH_ROWS`` rows) at a time.

Faithful values.  The review must see exactly the cells ``read_db`` gives (``engine.io.db.cells``:
str, int, bool, float, date, datetime, JsonCell or None, every column of dtype object), or its outputs
could differ (``8000`` and ``8000.0`` are different cells; a NUMERIC column holds both).  So a column is
not stored with one Arrow type chosen from its first batch; each logical column ``k`` is stored as a
type tag per cell (``k.tag``) and four lanes (``k.s`` text and JSON text, ``k.i`` int and bool,
``k.f`` float, ``k.t`` date and datetime, as microseconds); a cell is read back from the lane its tag
names, as the same Python type and value.  A cell that cannot come back exactly (an int beyond 64 bits,
a datetime with a time zone, text Arrow cannot hold, a JsonCell whose JSON text does not read back to
itself) makes the input *unfaithful*: the rows already spilled are read back, the rest of the cursor is
read, and the input is reviewed whole, as before (a note on stderr says so).

Where the file goes: ``spill_dir`` (cli passes the output folder: it is on the disk that will hold the
outputs, which are larger than the spill, and the run holds its lock), else the system temp dir
(``TMPDIR``; often a RAM-backed tmpfs, which would defeat the point).  The file lives in a private directory
``.zhunsheng-spill-<pid>-*.tmp`` removed by ``close()`` (or on leaving the ``with`` block), also when
reading fails half-way; one left by a killed run (its process gone) is removed by the next run that
spills into the same folder.

An input that fits in one review batch (``batch_rows``, or what the ``--memory`` budget allows) is not
spilled: it is the frame ``read_db`` gives (a ``FrameSource``), as engine.stream reviews a small file
whole.  Records are held in memory only up to that many rows; past it, they are all spilled.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.io.db.reader import BATCH_ROWS, iter_batches, join_batches
from engine.io.readers import ROW, SOURCE, JsonCell, ParquetBatches
from engine.stream import FrameSource, ParquetSource, _with_unit

NULL, STR, INT, BOOL, FLOAT, DATE, DATETIME, JSON, JSON_BARE = range(9)
_TAGS = {type(None): NULL, str: STR, int: INT, bool: BOOL, float: FLOAT, dt.date: DATE, dt.datetime: DATETIME,
         JsonCell: JSON}
LANES = ("tag", "s", "i", "f", "t")
_NAMES_KEY = b"zhunsheng.spill.columns"


class Unfaithful(ValueError):
    """A cell the spill file cannot give back exactly."""


def _arrow_types():
    import pyarrow as pa
    return {"tag": pa.int8(), "s": pa.large_string(), "i": pa.int64(), "f": pa.float64(), "t": pa.timestamp("us")}


def physical_schema(names: list[str]):
    import pyarrow as pa
    types = _arrow_types()
    fields = [pa.field(f"{k}.{lane}", types[lane]) for k in range(len(names)) for lane in LANES]
    return pa.schema(fields, metadata={_NAMES_KEY: json.dumps(names, ensure_ascii=False).encode("utf-8")})


# -- encoding -------------------------------------------------------------------------------------

def _json_tag(cell: JsonCell, seen: dict) -> int:
    tag = seen.get(cell.text)
    if tag is None:
        back = JsonCell(json.loads(cell.text))
        if back.text != cell.text or (cell.items is not None and back.items != cell.items):
            raise Unfaithful(f"JSON 单元格无法原样还原 (a JSON cell does not read back as itself): {cell.text[:80]}")
        tag = JSON if cell.items is not None else JSON_BARE
        seen[cell.text] = tag
    return tag


def encode_column(values) -> list:
    """One column of a batch (an object array of cells) as the five Arrow arrays of its lanes."""
    import pyarrow as pa
    values = np.asarray(values, dtype=object)
    n = len(values)
    types = set(map(type, values))
    odd = types - _TAGS.keys()
    if odd:
        raise Unfaithful(f"单元格类型 {sorted(t.__name__ for t in odd)} 无法暂存 (cells of this type cannot be spilled)")
    jsons: dict = {}
    if len(types) == 1 and JsonCell not in types:
        tags = np.full(n, _TAGS[next(iter(types))], dtype=np.int8)
    else:
        tags = np.fromiter((_json_tag(v, jsons) if type(v) is JsonCell else _TAGS[type(v)] for v in values),
                           dtype=np.int8, count=n)
    present = set(np.unique(tags).tolist())
    arrow = _arrow_types()
    out = [pa.array(tags, type=arrow["tag"])]
    try:
        # text lane
        m = np.isin(tags, (STR, JSON, JSON_BARE))
        if m.any():
            text = np.full(n, None, dtype=object)
            text[m] = [v if type(v) is str else v.text for v in values[m]]
            out.append(pa.array(text, type=arrow["s"], from_pandas=False))
        else:
            out.append(pa.nulls(n, arrow["s"]))
        # int lane (int and bool)
        out.append(_number_lane(values, np.isin(tags, (INT, BOOL)), np.int64, arrow["i"]))
        # float lane
        out.append(_number_lane(values, tags == FLOAT, np.float64, arrow["f"]))
        # time lane (date and datetime)
        m = np.isin(tags, (DATE, DATETIME))
        if m.any():
            if DATETIME in present:
                for v in values[tags == DATETIME]:
                    if v.tzinfo is not None or v.fold:
                        raise Unfaithful(f"带时区的时间无法暂存 (a datetime with a time zone cannot be spilled): {v}")
            times = np.zeros(n, dtype="datetime64[us]")
            times[m] = np.array(values[m].tolist(), dtype="datetime64[us]")
            out.append(pa.array(times, mask=~m, type=arrow["t"]))
        else:
            out.append(pa.nulls(n, arrow["t"]))
    except (OverflowError, ValueError, TypeError, pa.ArrowException) as e:
        if isinstance(e, Unfaithful):
            raise
        raise Unfaithful(f"单元格无法原样暂存 (a cell cannot be spilled as it is): {type(e).__name__}: {e}") from None
    return out


def _number_lane(values: np.ndarray, m: np.ndarray, dtype, type_):
    """The cells where ``m`` holds as one typed Arrow array, null elsewhere."""
    import pyarrow as pa
    if not m.any():
        return pa.nulls(len(m), type_)
    lane = np.zeros(len(m), dtype=dtype)
    lane[m] = np.array(values[m].tolist(), dtype=dtype)
    return pa.array(lane, mask=~m, type=type_)


def decode_column(tag, s, i, f, t) -> np.ndarray:
    """The cells of one column back from its lanes (Arrow arrays): the objects ``encode_column`` got."""
    tags = tag.to_numpy(zero_copy_only=False)
    n = len(tags)
    out = np.full(n, None, dtype=object)
    for code in np.unique(tags).tolist():
        if code == NULL:
            continue
        if code == STR:
            vals = s.to_numpy(zero_copy_only=False)
        elif code in (JSON, JSON_BARE):
            vals = _json_cells(s, tags == code, bare=code == JSON_BARE)
        elif code == INT:
            vals = i.fill_null(0).to_numpy().astype(object)
        elif code == BOOL:
            vals = i.fill_null(0).to_numpy().astype(bool).astype(object)
        elif code == FLOAT:
            vals = f.fill_null(0.0).to_numpy().astype(object)
        elif code == DATE:
            vals = t.fill_null(0).to_numpy().astype("datetime64[D]").astype(object)
        elif code == DATETIME:
            vals = t.fill_null(0).to_numpy().astype("datetime64[us]").astype(object)
        else:  # pragma: no cover - only encode_column writes tags
            raise ValueError(f"unknown spill tag {code}")
        if len(vals) and n and code == tags[0] and (tags == code).all():
            out[:] = vals
        else:
            m = tags == code
            out[m] = vals[m]
    return out


def _json_cells(s, m: np.ndarray, bare: bool) -> np.ndarray:
    texts = s.to_numpy(zero_copy_only=False)
    out = np.full(len(texts), None, dtype=object)
    made: dict = {}
    for k in np.flatnonzero(m).tolist():
        text = texts[k]
        cell = made.get(text)
        if cell is None:
            cell = JsonCell(json.loads(text))
            if bare:
                cell.items = None
            made[text] = cell
        out[k] = cell
    return out


# -- the spilled file as engine.stream reads Parquet -----------------------------------------------

class SpilledBatches(ParquetBatches):
    """The spill file read a slice at a time (``ParquetBatches``' slicing), each slice the rows of
    ``read_db``'s frame: the logical columns (dtype object), ``__row__`` and ``__source__``."""

    def __init__(self, path, source: str):
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.path = Path(path)
        self.file = pq.ParquetFile(self.path)
        self.physical = self.file.schema_arrow
        self.names = json.loads(self.physical.metadata[_NAMES_KEY].decode("utf-8"))
        self.index = {name: k for k, name in enumerate(self.names)}
        self.schema = pa.schema([pa.field(name, pa.null()) for name in self.names])    # what plans read
        self.n = self.file.metadata.num_rows
        self.source = source
        self.nested, self.binary = [], []
        self.streamable = True

    def _tables(self, columns=None, batch_size: int = 65_536):
        lanes = None if columns is None else [f"{self.index[c]}.{lane}" for c in columns for lane in LANES]
        yield from super()._tables(lanes, batch_size)

    def _frame(self, table, rows: np.ndarray) -> pd.DataFrame:
        have = set(table.column_names)
        data = {name: decode_column(*(table.column(f"{k}.{lane}").combine_chunks() for lane in LANES))
                for k, name in enumerate(self.names) if f"{k}.tag" in have}
        n = len(rows)
        frame = pd.DataFrame(data, index=pd.RangeIndex(n), columns=list(data), dtype=object)
        frame[ROW] = np.asarray(rows, dtype=np.int64)
        frame[SOURCE] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[self.source])
        return frame

    @property
    def stored(self):
        return self.physical      # four lanes a column (encode_column), not the columns plans read

    def read_all(self) -> pd.DataFrame:
        import pyarrow.parquet as pq
        return self._frame(pq.read_table(self.path).combine_chunks(), np.arange(1, self.n + 1))


class _Closing:
    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class DbFrameSource(_Closing, FrameSource):
    """A table or query held whole (small, or not spillable): ``read_db``'s frame."""


class DbSpillSource(_Closing, ParquetSource):
    """A table or query spilled to a temporary Parquet file, streamed as a Parquet file is."""

    def __init__(self, path: Path, source: str, amount_unit: str, folder: Path):
        self.path = Path(path)
        self.folder = Path(folder)
        self.file = SpilledBatches(path, source)
        self.n = self.file.n
        self.amount_unit = amount_unit

    def whole(self) -> pd.DataFrame:
        """Every record as ``read_db`` gives it (the review is then done whole)."""
        return _with_unit(self.file.read_all(), self.amount_unit)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def open_db_source(url: str, table: str | None, query: str | None, amount_unit: str = "元", *,
                   batch_rows: int | None = None, memory: int | None = None, spill_dir: Path | str | None = None):
    """The records of ``table`` or ``query`` as a source ``engine.stream.review_source`` accepts; close it
    (or use it as a context manager) to remove its temporary file.

    Records are held in memory while they fit in one review batch (``batch_rows``, else as many as
    ``memory`` bytes allow, else one cursor batch of ``BATCH_ROWS``): such an input is ``read_db``'s frame
    (a ``DbFrameSource``).  From the first record past that, everything is spilled (a ``DbSpillSource``).
    The cursor's batches are never larger than that limit."""
    limit = _limit(batch_rows, memory)
    batches = iter_batches(url, table, query, min(BATCH_ROWS, limit))
    try:
        held, rows = [], 0
        for frame in batches:
            held.append(frame)
            rows += len(frame)
            if rows > limit:
                return _spill(held, batches, amount_unit, spill_dir)
        return DbFrameSource(_with_unit(join_batches(held), amount_unit))
    finally:
        batches.close()             # the cursor and connection, also when spilling failed


def _limit(batch_rows: int | None, memory: int | None) -> int:
    if batch_rows:
        return int(batch_rows)
    if memory:
        from engine.stream import batch_rows_for
        return batch_rows_for(memory)
    return BATCH_ROWS


_PREFIX = ".zhunsheng-spill-"


def _spill_folder(spill_dir) -> Path:
    """A private folder for the spill file; folders left in ``spill_dir`` by killed runs are removed
    (their name holds the process id: only those of processes no longer running)."""
    import os
    if spill_dir is not None:
        for p in Path(spill_dir).glob(f"{_PREFIX}*.tmp"):
            try:
                pid = int(p.name[len(_PREFIX):].split("-", 1)[0])
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(p, ignore_errors=True)
            except (ValueError, OSError):
                pass
    return Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".tmp",
                                 dir=str(spill_dir) if spill_dir is not None else None))


def _spill(held: list, batches, amount_unit, spill_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq
    first = held[0]
    source = str(first[SOURCE].cat.categories[0])
    names = [c for c in first.columns if c not in (ROW, SOURCE)]
    folder = _spill_folder(spill_dir)
    path = folder / "records.parquet"
    try:
        schema = physical_schema(names)
        writer = pq.ParquetWriter(path, schema)
        try:
            while True:
                frame = held.pop(0) if held else next(batches, None)
                if frame is None:
                    break
                if not names:
                    raise Unfaithful("没有列 (no columns)")
                arrays = [a for name in names for a in encode_column(frame[name].to_numpy(dtype=object))]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                del frame, arrays
        except Unfaithful as why:
            writer.close()
            return _unfaithful(why, path, source, [frame, *held], batches, amount_unit, folder)
        writer.close()
        return DbSpillSource(path, source, amount_unit, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _unfaithful(why, path, source, held, batches, amount_unit, folder):
    """Some cell cannot be spilled: the rows spilled so far read back, the rest of the cursor read, and
    the whole frame given (the review is done whole, in memory, as before)."""
    print(f"提示：记录无法按批暂存，将整批读入内存审查（{why}） "
          f"(note: the records cannot be spilled batch by batch and are reviewed whole, in memory)",
          file=sys.stderr)
    import pyarrow.parquet as pq
    frames = []
    if pq.ParquetFile(path).metadata.num_rows:
        frames.append(SpilledBatches(path, source).read_all())
    shutil.rmtree(folder, ignore_errors=True)
    frames += held
    frames += list(batches)
    return DbFrameSource(_with_unit(join_batches(frames), amount_unit))
