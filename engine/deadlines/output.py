"""The ``deadlines`` field of cases.jsonl for the deadline kinds: every deadline applied to a case, as JSON.

Built column-wise with Arrow from the deadline evaluation's outcomes (engine.deadlines.evaluate); the
line writer joins the pieces straight into each line.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.io.arrowcols import coded, dates
from engine.io.jsonfrag import constant, fragment, obj


def deadline_lists(ev) -> pa.StructArray:
    """Per row a JSON list of {id, code, version, due, closed, status}, as raw JSON text in pieces.

    Per rule, the JSON objects of the rows it applies to (with a leading comma where
    an earlier rule of the row already wrote one) are spread to full length by their
    offsets alone (rows ascend, so the text is already in row order; other rows get "").
    The pieces — "[", one column per rule, "]" ("null" for rejected rows) — are kept
    apart as the children of a struct: the line writer joins them straight into each
    line, so the lists are never assembled as a column of their own (at a million
    rows that copy costs as much as all the rest).  ``joined_deadlines`` assembles
    them for callers that want the text.
    """
    ok = ev.evaluated
    as_of = np.datetime64(ev.as_of, "D")
    lit = lambda t: pa.scalar(t, pa.large_string())  # noqa: E731
    pieces = [pc.if_else(pa.array(ok), lit("["), lit("null"))]
    written = np.zeros(ev.n, dtype=bool)
    for o in getattr(ev, "outcomes", []):
        rows = np.flatnonzero(o.applies & ok)
        if not len(rows):
            continue
        versions = [v.valid_from.isoformat() for v in o.rule.versions]
        entry = obj([
            ("id", constant(o.rule.id)),
            ("code", constant(o.rule.code)),
            ("version", fragment(coded(o.version[rows], versions))),
            ("due", fragment(dates(o.due[rows]))),
            ("closed", fragment(dates(o.closed[rows]))),
            ("status", fragment(coded(_STATUS_CODE[o.status_codes(as_of)[rows]], list(_STATUSES)))),
        ], len(rows))
        if written[rows].any():
            entry = pc.binary_join_element_wise(pc.if_else(pa.array(written[rows]), lit(","), lit("")), entry,
                                                lit(""))
        pieces.append(_spread_text(entry, rows, ev.n))
        written[rows] = True
    pieces.append(pc.if_else(pa.array(ok), lit("]"), lit("")))
    return pa.StructArray.from_arrays(pieces, names=[f"p{i}" for i in range(len(pieces))])


def joined_deadlines(column) -> pa.Array:
    """The ``deadlines`` pieces of ``deadline_lists`` as one JSON text per row (null for rejected rows)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_struct(column.type):
        return column
    lit = lambda t: pa.scalar(t, pa.large_string())  # noqa: E731
    text = pc.binary_join_element_wise(*[p.cast(pa.large_string()) for p in column.flatten()], lit(""))
    return pc.if_else(pc.or_(pc.equal(text, lit("null")), column.is_null()), lit(None), text)


def _spread_text(text: pa.Array, rows: np.ndarray, n: int) -> pa.Array:
    """A text array for ascending ``rows`` as a length-``n`` array ("" elsewhere), sharing its data."""
    text = text.cast(pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    lengths = np.zeros(n, dtype=np.int64)
    lengths[rows] = np.diff(offsets)
    full = np.empty(n + 1, dtype=np.int64)
    full[0] = offsets[0]
    np.cumsum(lengths, out=full[1:])
    full[1:] += offsets[0]
    return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(full), text.buffers()[2]])


_STATUSES = ("met", "overdue", "open")
_STATUS_CODE = np.array([-1, 0, 1, 2])   # status_codes: 0 n/a, 1 met, 2 overdue, 3 open


