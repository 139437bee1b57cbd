"""What a review can only decide over the whole batch, worked out while the batch is reviewed in chunks.

Two checks look across records: a case id must be unique in the batch (a
consumer keys on it), and one act must not be fined twice (行政处罚法 Art. 29).
A chunk (engine.batch reviews large batches in row chunks, one thread each)
sees only its own rows, so both are decided over every row and each chunk
takes its part: the duplicate-id reasons of its rows, and the double-fine
findings on its rows.

The double fines are judged by the check itself (engine.penalty.checks.liability),
run on the only rows that can take part: fined rows whose act another fined
row shares.  Whether a row is evaluated depends on that row alone (once
duplicate ids are known), so reviewing those rows on their own gives the
findings a review of the whole batch gives.  This module finds those rows;
engine.batch reviews them (``_double_fines`` there), so the batch pipeline
imports this module and never the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine.io.readers import ROW
from engine.penalty.checks.liability import shared_acts
from engine.records.frame import Rejections, absent_column, canonical_headers, reject_duplicate_ids, typed_column
from engine.records.schema import Schema

ACT_FIELDS = ("act_id", "party_id", "violation_code", "violation_date", "fine")


@dataclass
class BatchWide:
    """The batch-wide facts a part of the batch is reviewed with (positions counted within the part)."""
    duplicates: dict[int, list[str]]      # position → reasons (a repeated case id)
    double_fines: list | None             # FindingBatches of penalty.double_fine; None: judge them here


def duplicate_reasons(parts: list, n: int) -> dict[int, list[str]]:
    """The reasons of every row whose case id the batch repeats, by position in the batch.

    ``parts``: (schema, positions, rows) of each record kind; kinds spell the id column their own way,
    and a case id must be unique whatever the kinds (a consumer keys on it).
    """
    ids, rows, positions = [], [], []
    for schema, pos, frame in parts:
        frame = canonical_headers(frame, schema)
        ids.append(pd.Series(_typed(frame, schema, schema.id_column)).reset_index(drop=True))
        rows.append(frame[ROW].to_numpy() if ROW in frame.columns else np.asarray(pos) + 1)
        positions.append(np.asarray(pos))
    if len(parts) == 1:
        ids, rows, pos = ids[0], rows[0], positions[0]
    else:                                                 # kinds interleave: back to input order
        order = np.argsort(np.concatenate(positions), kind="stable")
        ids = pd.concat(ids, ignore_index=True).take(order).reset_index(drop=True)
        rows, pos = np.concatenate(rows)[order], np.concatenate(positions)[order]
    rej = Rejections(n)
    reject_duplicate_ids(ids, rows, rej)
    return {int(pos[i]): r for i, r in rej.reasons.items()}


def double_fine_candidates(raw: pd.DataFrame, schema: Schema) -> np.ndarray:
    """Positions of the rows of a penalty batch that can take part in a double fine: fined rows whose act
    another fined row shares (engine.batch._double_fines reviews them)."""
    frame = canonical_headers(raw, schema)
    act = {name: _typed(frame, schema, name) for name in ACT_FIELDS}
    fine = np.nan_to_num(pd.Series(act["fine"]).to_numpy(dtype=float), nan=0.0)
    days = pd.Series(act["violation_date"]).to_numpy().astype("datetime64[D]")
    _, candidates = shared_acts(pd.DataFrame({k: act[k] for k in ACT_FIELDS[:3]}), days, fine > 0)
    return candidates


def part_of(duplicates: dict[int, list[str]], start: int, stop: int) -> dict[int, list[str]]:
    """The duplicate-id reasons of rows ``start:stop``, positions counted from ``start``."""
    return {p - start: r for p, r in duplicates.items() if start <= p < stop}


def fines_of(batches: list, start: int, stop: int) -> list:
    """The double-fine findings on rows ``start:stop``, positions counted from ``start``."""
    out = []
    for b in batches:
        inside = (b.rows >= start) & (b.rows < stop)
        if inside.any():
            b = b if inside.all() else b.keep(inside)
            out.append(replace(b, rows=b.rows - start))
    return out


def _typed(frame: pd.DataFrame, schema: Schema, name: str):
    """One column validated as the records will be (its rejections are the records' business)."""
    if name not in frame.columns:
        return absent_column(schema.by_name[name], len(frame))
    return typed_column(frame[name].reset_index(drop=True), schema.by_name[name], Rejections(len(frame)))
