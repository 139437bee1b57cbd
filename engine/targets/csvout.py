"""CSV outputs of a targets run, written column-wise with Arrow: the register of ten million rows is
one of them, and a cell-by-cell pass (``engine.io.cells.csv_frame``) over it takes minutes.

Same rule as ``engine.io.cells``: a text cell or header that begins with a character a spreadsheet
reads as a formula (``cells.FORMULA_START``) gets a leading ``'``; found with one regular expression
per column in Arrow, rewritten only where it matches.  UTF-8 with BOM, so Excel opens it.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from engine.io import arrowcols
from engine.io.cells import FORMULA_START, csv_text
from engine.io.direct import BlockWriter

BOM = b"\xef\xbb\xbf"


def _column(col: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        days = col.to_numpy(dtype="datetime64[D]")
        known = ~np.isnat(days)
        if not known.any():
            return pa.nulls(len(col), pa.large_string())
        years = days[known].astype("datetime64[Y]").astype(np.int64) + 1970
        if years.min() >= 1000 and years.max() <= 9999:     # four-digit years: Arrow formats as strftime
            return arrowcols.dates(days).cast(pa.large_string())
        return pa.array(col.dt.strftime("%Y-%m-%d").astype(object).where(col.notna(), None).to_numpy(),
                        pa.large_string())
    if pd.api.types.is_bool_dtype(col.dtype) or (pd.api.types.is_numeric_dtype(col.dtype)):
        return pa.array(col.to_numpy(), from_pandas=True)
    if hasattr(col.array, "_pa_array"):
        arr = col.array._pa_array
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        arr = arr.cast(pa.large_string())
    else:
        arr = pa.array([None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                        else (v if isinstance(v, str) else str(v)) for v in col.astype(object)], pa.large_string())
    hit = _formula_cells(arr)
    if hit.any():
        hit = pa.array(hit)
        arr = pc.if_else(hit, pc.binary_join_element_wise(pa.scalar("'", pa.large_string()), arr,
                                                          pa.scalar("", pa.large_string())), arr)
    return arr


_FORMULA_BYTES = np.frombuffer("".join(FORMULA_START).encode("ascii"), dtype=np.uint8)


def _formula_cells(arr: pa.Array) -> np.ndarray:
    """Cells whose text begins with a formula character, from the first byte of each value (every
    such character is ASCII, and no other UTF-8 character begins with an ASCII byte): a regular
    expression over every cell of a ten-million-row register took seconds per column."""
    n = len(arr)
    data = arr.buffers()[2]
    if n == 0 or data is None:
        return np.zeros(n, dtype=bool)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + n + 1]
    filled = offsets[1:] > offsets[:-1]
    if arr.null_count:
        filled &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    bytes_ = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(filled)
    out[idx] = np.isin(bytes_[offsets[:-1][idx]], _FORMULA_BYTES)
    return out


class _Hashing:
    """A file that feeds what is written to a ``outset.Digest`` too (no second read to seal the folder).
    It writes through ``engine.io.direct.BlockWriter``: the register of ten million rows is over a
    gigabyte, and on this project's VMs every page-cache page written is a fresh kernel page (measured
    with dd: 143 MB/s buffered against 660 MB/s direct)."""

    def __init__(self, fh, digest=None):
        self.fh, self.digest = fh, digest
        self.closed = False

    def write(self, data):
        if self.digest is not None:
            self.digest.update(data)
        self.fh.write(data)
        return len(memoryview(data).cast("B"))

    def flush(self):
        pass            # BlockWriter keeps at most one staging buffer; ``close`` writes it out


SLICE = 500_000     # rows converted at a time: a ten-million-row register is never one Arrow table


def write_csv(path, frame: pd.DataFrame, digest=None) -> None:
    """``frame`` as CSV at ``path``; ``digest`` (an ``outset.Digest``) sees every byte written."""
    names = [str(csv_text(str(c))) for c in frame.columns]
    with BlockWriter(path) as raw:
        fh = _Hashing(raw, digest)
        fh.write(BOM)
        if not len(frame.columns):
            return
        writer, schema = None, None
        for lo in range(0, max(len(frame), 1), SLICE):
            part = frame.iloc[lo:lo + SLICE]
            table = pa.table([_column(part[c]) for c in part.columns], names=names)
            if writer is None:
                schema = table.schema
                writer = pacsv.CSVWriter(fh, schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
            writer.write_table(table if table.schema == schema else table.cast(schema))
        writer.close()
