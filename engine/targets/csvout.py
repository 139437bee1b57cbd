"""CSV outputs of a targets run, written column-wise with Arrow: the register of ten million rows is
one of them, and a cell-by-cell pass (``engine.io.cells.csv_frame``) over it takes minutes.

Same rule as ``engine.io.cells``: a text cell or header that begins with a character a spreadsheet
reads as a formula (``cells.FORMULA_START``) gets a leading ``'``; found with one regular expression
per column in Arrow, rewritten only where it matches.  UTF-8 with BOM, so Excel opens it.
"""
from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from engine.io.cells import FORMULA_START, csv_text

_FORMULA = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"
BOM = b"\xef\xbb\xbf"


def _column(col: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
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
    hit = pc.fill_null(pc.match_substring_regex(arr, _FORMULA), False)
    if pc.any(hit).as_py():
        arr = pc.if_else(hit, pc.binary_join_element_wise(pa.scalar("'", pa.large_string()), arr,
                                                          pa.scalar("", pa.large_string())), arr)
    return arr


class _Hashing:
    """A file that feeds what is written to a ``outset.Digest`` too (no second read to seal the folder)."""

    def __init__(self, fh, digest):
        self.fh, self.digest = fh, digest

    def write(self, data):
        self.digest.update(data)
        return self.fh.write(data)

    def flush(self):
        self.fh.flush()

    @property
    def closed(self):
        return self.fh.closed


SLICE = 500_000     # rows converted at a time: a ten-million-row register is never one Arrow table


def write_csv(path, frame: pd.DataFrame, digest=None) -> None:
    """``frame`` as CSV at ``path``; ``digest`` (an ``outset.Digest``) sees every byte written."""
    names = [str(csv_text(str(c))) for c in frame.columns]
    with open(path, "wb") as raw:
        fh = _Hashing(raw, digest) if digest is not None else raw
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
