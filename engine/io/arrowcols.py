"""Build Arrow columns from factorized values without a Python loop per row.

Report columns repeat a few distinct values (tier lists, code lists, officer
lists) across a million rows; each distinct list is built once and rows
point at it, so output cost follows the number of distinct values.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa


def list_array(codes: np.ndarray, uniques: list[list[str]]) -> pa.DictionaryArray:
    """Row r gets ``uniques[codes[r]]`` (codes < 0: an empty list), as a dictionary-encoded column:
    each distinct list is stored and encoded once."""
    codes = np.asarray(codes, dtype=np.int64)
    indices = np.where(codes < 0, len(uniques), codes).astype(np.int32)
    dictionary = pa.array(list(uniques) + [[]], type=pa.list_(pa.string()))
    return pa.DictionaryArray.from_arrays(pa.array(indices), dictionary)


def split_lists(codes: np.ndarray, categories) -> pa.DictionaryArray:
    """A Categorical column (its codes and categories) of ``;a;b;`` strings, how validation stores
    code lists, as an Arrow list column: each category split once, never each row."""
    used, inverse = np.unique(codes, return_inverse=True)
    names = iter(categories.take(used[used >= 0]).tolist())
    lists = [[] if c < 0 else [x for x in str(next(names)).split(";") if x] for c in used.tolist()]
    return list_array(inverse.reshape(-1), lists)


def nullable(values: np.ndarray, type_=None) -> pa.Array:
    """float NaN / NaT / None → null."""
    if values.dtype.kind == "f":
        return pa.array(values, type=type_ or pa.float64(), mask=np.isnan(values))
    return pa.array(values, type=type_, from_pandas=True)


def dates(a: np.ndarray) -> pa.Array:
    """ISO date strings (null for NaT), formatted by Arrow in native code."""
    a = a.astype("datetime64[D]")
    return pa.array(a, type=pa.date32(), mask=np.isnat(a)).cast(pa.string())


def coded(codes: np.ndarray, values: list) -> pa.DictionaryArray:
    """A column of few distinct values as a dictionary array (code -1: null), built without a row loop."""
    return pa.DictionaryArray.from_arrays(null_indices(codes), pa.array(list(values), type=pa.string()))


def null_indices(codes: np.ndarray) -> pa.Array:
    """Dictionary indices with nulls where the code is -1; a null slot holds index 0, never -1, since
    some Arrow kernels (dictionary unification) read the index under a null."""
    codes = np.asarray(codes)
    missing = codes < 0
    return pa.array(np.where(missing, 0, codes).astype(np.int32), mask=missing)


def text_array(s, large: bool = False) -> pa.Array:
    """A text column (pandas Series or Arrow array) as one contiguous Arrow string array, zero-copy where the
    strings are Arrow-backed already; ``large``: always ``large_string`` (a batch's joined strings may pass
    the 2 GiB a ``string`` array's offsets reach)."""
    if isinstance(s, (pa.Array, pa.ChunkedArray)):
        arr = s
    elif hasattr(s.array, "_pa_array"):
        arr = s.array._pa_array
    else:
        arr = pa.array(s.astype(object).where(s.notna(), None).to_numpy(),
                       type=pa.large_string() if large else pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if large or arr.type not in (pa.string(), pa.large_string()):
        return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())
    return arr
