"""JSON Lines from Arrow columns, assembled in native code.

Each column becomes an array of JSON *fragments* (its values already encoded
as JSON text); a line is ``{"k1":`` + fragment + ``,"k2":`` + … + ``}``, joined
element-wise by Arrow compute, and the file is the joined array's data
buffer.  Values repeated across rows (codes, tier lists, citations) are
encoded once by orjson and spread by index; rows with control characters in
their text (rare) are encoded by orjson too, so the output is always valid
JSON.  A million review rows serialize in a fraction of a second instead of
a million ``json.dumps`` calls.
"""
from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

_CONTROL = r"[\x00-\x1f]"
_SPECIAL = r'[\x00-\x1f"\\]'      # what JSON text must escape


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _encode_each(values: list) -> pa.Array:
    return pa.array([orjson.dumps(v).decode("utf-8") for v in values], type=pa.large_string())


def _strings(arr: pa.Array) -> pa.Array:
    arr = arr.cast(pa.large_string())
    if not pc.any(pc.fill_null(pc.match_substring_regex(arr, _SPECIAL), False)).as_py():
        return pc.binary_join_element_wise(_lit('"'), arr, _lit('"'), _lit(""))   # nothing to escape (usual)
    escaped = pc.replace_substring(pc.replace_substring(arr, "\\", "\\\\"), '"', '\\"')
    out = pc.binary_join_element_wise(_lit('"'), escaped, _lit('"'), _lit(""))
    tricky = pc.fill_null(pc.match_substring_regex(arr, _CONTROL), False)
    if pc.any(tricky).as_py():
        idx = np.flatnonzero(tricky.to_numpy(zero_copy_only=False))
        fixed = _encode_each(arr.take(pa.array(idx)).to_pylist())
        values = out.to_pylist()
        for i, v in zip(idx.tolist(), fixed.to_pylist()):
            values[i] = v
        out = pa.array(values, type=pa.large_string())
    return out


def fragment(arr) -> pa.Array:
    """JSON text for every value of an Arrow array (nulls as ``null``)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        if len(arr.dictionary) > len(arr):  # a few rows of a large dictionary: encode the rows instead
            return fragment(arr.dictionary_decode())
        inner = fragment(arr.dictionary)
        out = inner.take(arr.indices)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        # repeated text (codes, departments, dates): encode each distinct value once; a first look at
        # 4096 values spares a hash of every row of a column of ids
        if len(arr) > 4096 and pc.count_distinct(arr.slice(0, 4096)).as_py() * 4 < 4096:
            enc = pc.dictionary_encode(arr)
            if len(enc.dictionary) * 4 < len(arr):
                return fragment(enc)
        out = _strings(arr)
    elif pa.types.is_boolean(t):
        out = pc.if_else(arr, _lit("true"), _lit("false"))
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        if pa.types.is_floating(t):
            arr = pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, t))
        out = pc.cast(arr, pa.large_string())
    elif pa.types.is_date(t):
        out = _strings(pc.cast(arr, pa.string()))
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        out = _lists(arr)
    else:  # structs and anything else: per row, through orjson
        out = _encode_each(arr.to_pylist())
    return pc.fill_null(out.cast(pa.large_string()), _lit("null"))


def _lists(arr: pa.Array) -> pa.Array:
    """Lists of strings (codes, ids) as JSON arrays, element escaping done on the flat values."""
    if not pa.types.is_string(arr.type.value_type) and not pa.types.is_large_string(arr.type.value_type):
        return _encode_each(arr.to_pylist())
    flat = _strings(pc.list_flatten(arr))
    offsets = arr.offsets
    if arr.offset:
        offsets = pc.subtract(offsets, offsets[0])
    rebuilt = pa.LargeListArray.from_arrays(offsets.cast(pa.int64()), flat, mask=arr.is_null())
    joined = pc.binary_join(rebuilt, _lit(","))
    return pc.binary_join_element_wise(_lit("["), joined, _lit("]"), _lit(""))


def constant(value) -> str:
    """One JSON fragment shared by every row (citations, a batch's code)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")


def obj(fields: list[tuple[str, object]], n: int, end: str = "}") -> pa.Array:
    """A JSON object per row; each field is (key, fragment array or constant JSON text, or a tuple
    of arrays whose texts together make the value)."""
    parts: list = []
    for k, (key, frag) in enumerate(fields):
        head = ("{" if k == 0 else ",") + orjson.dumps(key).decode("utf-8") + ":"
        if isinstance(frag, str):
            head += frag
        if parts and isinstance(parts[-1], str):
            parts[-1] += head
        else:
            parts.append(head)
        if isinstance(frag, tuple):
            parts.extend(frag)
        elif not isinstance(frag, str):
            parts.append(frag)
    if not fields:
        parts.append("{")
    if isinstance(parts[-1], str):
        parts[-1] += end
    else:
        parts.append(end)
    args = [_lit(p) if isinstance(p, str) else p.cast(pa.large_string()) for p in parts]
    if not any(isinstance(a, pa.Array) for a in args):
        args.append(pa.array([""] * n, type=pa.large_string()))
    return pc.binary_join_element_wise(*args, _lit(""))


def lines(fields: list[tuple[str, object]], n: int) -> pa.Buffer:
    """JSON Lines text for ``n`` rows, as a buffer (no copy; ``bytes(buf)`` when bytes are needed)."""
    if n == 0:
        return pa.py_buffer(b"")
    return text_of(obj(fields, n, end="}\n"))


def text_of(arr: pa.Array) -> pa.Buffer:
    """The concatenated text of a string array: a zero-copy slice of its data buffer."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    if data is None:
        return pa.py_buffer(b"")
    return data.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
