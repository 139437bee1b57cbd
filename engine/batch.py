"""A batch that may mix record kinds: split by kind, validate each with its schema, evaluate, keep positions.

Flow: raw frame → kind per row (``record_kind`` column, else ``--kind``, else
penalty) → one part per kind, validated by that kind's schema → case ids
checked unique across the whole batch → each part evaluated by its
evaluator (penalty benchmarks, or deadline rules with the catalogue and the
power list) → the report writers put the parts back in input order.  A row
with an unknown kind is a rejected row like any other; counts always add up.

A large one-kind batch is cut into row chunks instead, each validated and
evaluated on its own thread, with repeated ids and acts fined twice decided
over the whole batch alongside (``_review_in_chunks``, engine.batchwide).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from engine import batchwide as W
from engine.calendar import WorkingDayCalendar
from engine.io.readers import ROW, SOURCE
from engine.records.frame import normalize
from engine.records.kinds import KINDS, RECORD_KIND, columns_of_other_kinds
from engine.records.schema import PENALTY, Schema
from engine.ruleset.loader import RuleSet

UNKNOWN = Schema("unknown", "未知类型", tuple(PENALTY.by_name[n] for n in ("case_id", "department", "officers")),
                 required=())


@dataclass
class BatchReview:
    parts: list                      # one evaluation per record kind present (input order kept in .positions)
    positions: list[np.ndarray]      # per part: the rows' positions in the batch
    n: int
    as_of: dt.date
    ruleset: RuleSet
    inputs: dict = field(default_factory=dict)   # what the catalogue / power list contributed (for the summary)


def kind_per_row(raw: pd.DataFrame, default: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(kind index per row into the returned names, -1 for unknown; raw value per row; kind names)."""
    names = list(KINDS)
    fallback = names.index(default or "penalty")
    spellings = {RECORD_KIND.name, RECORD_KIND.zh, *RECORD_KIND.headers}
    cols = [c for c in raw.columns if isinstance(c, str) and c.strip() in spellings]
    if not cols:
        return np.full(len(raw), fallback, dtype=np.int64), None, names
    values = raw[cols[0]]
    codes, uniques = pd.factorize(values.astype("string").str.strip(), use_na_sentinel=True)
    aliases = RECORD_KIND.aliases
    table = []
    for u in uniques:
        k = aliases.get(u) or aliases.get(str(u).lower())
        table.append(names.index(k) if k else (fallback if str(u) == "" else -1))
    out = np.array(table + [fallback], dtype=np.int64)[codes]
    return out, values.to_numpy(dtype=object), names


def split_kinds(raw: pd.DataFrame, default_kind: str | None = None):
    """Yield (schema, positions, sub-frame, reason-for-all-rows or None) per kind present."""
    kind, values, names = kind_per_row(raw, default_kind)
    if not len(raw):      # no records: one empty part of the default kind, so every report is written
        yield KINDS[default_kind or "penalty"], np.arange(0), raw, None
        return
    present = np.unique(kind)
    if len(present) == 1 and present[0] >= 0:
        yield KINDS[names[present[0]]], np.arange(len(raw)), raw, None
        return
    for k in present:
        pos = np.flatnonzero(kind == k)
        others = columns_of_other_kinds(names[k]) if k >= 0 else frozenset()
        mine = KINDS[names[k]].header_aliases if k >= 0 else {}
        keep = [c for c in raw.columns if c in mine or c not in others]   # another kind's columns: not copied
        sub = raw[keep].take(pos).reset_index(drop=True)
        if k < 0:
            bad = sorted({str(v) for v in values[pos]})
            yield UNKNOWN, pos, sub, (f"record_kind ({RECORD_KIND.zh}): unknown value(s) {', '.join(map(repr, bad))} "
                                      f"(allowed: {', '.join(KINDS)} or 行政处罚/行政许可/依申请公开/投诉举报)")
        else:
            yield KINDS[names[k]], pos, sub, None


CHUNK_MIN_ROWS = 100_000   # a thread's chunk: below this, starting threads costs more than it saves


def threads_for(n: int, threads: int | None) -> int:
    """Chunks to review a one-kind batch of ``n`` rows in: ``threads`` if given, else one per CPU core
    for batches of at least two chunks' worth."""
    if threads is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        threads = min(cores, n // CHUNK_MIN_ROWS)
    return max(1, min(threads, n))


def review_batch(raw: pd.DataFrame, ruleset: RuleSet, as_of: dt.date, calendar: WorkingDayCalendar,
                 kind: str | None = None, catalogue=None, powers=None, batchwide=None,
                 threads: int | None = None) -> BatchReview:
    """Evaluate every row of ``raw`` with its kind's rules; ``catalogue`` is a CatalogueView, ``powers`` a PowerList.

    A large one-kind batch is validated and evaluated in row chunks on
    ``threads`` threads (numpy and Arrow release the GIL for the column work);
    the reports are the same however it was chunked.  ``batchwide``
    (engine.batchwide.BatchWide): what only the whole batch can tell — its
    duplicate case ids and acts fined twice — when ``raw`` is part of a batch.
    """
    if ROW not in raw.columns:
        raw = raw.assign(**{ROW: np.arange(1, len(raw) + 1)})
    kinds = [(ruleset.penalty_schema if schema.kind == "penalty" else schema, pos, sub, why)
             for schema, pos, sub, why in split_kinds(raw, kind)]
    if batchwide is None and len(kinds) == 1 and kinds[0][3] is None and not _shared_decisions(raw):
        k = threads_for(len(raw), threads)
        if k > 1:
            return _review_in_chunks(kinds[0][0], raw, k, ruleset, as_of, calendar, catalogue, powers)
    parts = []
    for schema, pos, sub, reject_all in kinds:
        sources, records = _normalize(schema, sub)
        if reject_all:
            records.rejections.add(np.ones(len(sub), dtype=bool), reject_all)
        parts.append((schema, pos, records, sources))
    _distribute(parts, batchwide.duplicates if batchwide is not None else
                W.duplicate_reasons([(schema, pos, sub) for schema, pos, sub, _ in kinds], len(raw)))
    known = batchwide.double_fines if batchwide is not None else None
    double_fines = (lambda: known) if known is not None else None
    evaluations = [_evaluate(schema, records, sources, ruleset, as_of, calendar, catalogue, powers, double_fines)
                   for schema, _, records, sources in parts]
    return BatchReview(evaluations, [pos for _, pos, _, _ in parts], len(raw), as_of, ruleset)


def _shared_decisions(raw: pd.DataFrame) -> bool:
    """Rows sharing a decision number: one decision's rows must be judged together, so no row chunks."""
    cols = [c for c in raw.columns if PENALTY.field_of(c) == "decision_no"]
    if not cols:
        return False
    no = raw[cols[0]].dropna()
    return len(no) > 0 and no.duplicated().any()


def _review_in_chunks(schema, raw, k, ruleset, as_of, calendar, catalogue, powers) -> BatchReview:
    """One kind in ``k`` row chunks, each validated and evaluated on its own thread.

    Meanwhile two more threads decide what only the whole batch can tell
    (engine.batchwide): the repeated case ids, which a chunk takes once it is
    validated, and the acts fined twice, which it takes when its double-fine
    check runs.
    """
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, len(raw), k + 1).round().astype(int).tolist()

    def chunk(a, b):
        sources, records = _normalize(schema, raw.iloc[a:b])
        _distribute([(schema, np.arange(b - a), records, sources)], W.part_of(duplicates.result(), a, b))
        fines = (lambda: W.fines_of(double_fines.result(), a, b)) if double_fines is not None else None
        return _evaluate(schema, records, sources, ruleset, as_of, calendar, catalogue, powers, fines)
    with ThreadPoolExecutor(max_workers=k + 2) as pool:
        duplicates = pool.submit(W.duplicate_reasons, [(schema, np.arange(len(raw)), raw)], len(raw))
        double_fines = (pool.submit(lambda: _double_fines(raw, schema, duplicates.result(), ruleset, as_of,
                                                          calendar, catalogue, powers))
                        if schema.kind == "penalty" else None)
        chunks = [pool.submit(chunk, a, b) for a, b in zip(edges[:-1], edges[1:])]
        evaluations = [f.result() for f in chunks]
    return BatchReview(evaluations, [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])], len(raw), as_of,
                       ruleset)


def _double_fines(raw: pd.DataFrame, schema: Schema, duplicates: dict[int, list[str]], ruleset, as_of, calendar,
                  catalogue=None, powers=None) -> list:
    """The penalty.double_fine findings of a penalty batch (rows: positions in the batch): the rows that can
    take part (engine.batchwide) reviewed on their own, as a batch of their own."""
    candidates = W.double_fine_candidates(raw, schema)
    if len(candidates) < 2:
        return []
    sub = raw.iloc[candidates].reset_index(drop=True)
    at = {p: k for k, p in enumerate(candidates.tolist())}
    known = W.BatchWide({at[p]: r for p, r in duplicates.items() if p in at}, None)
    review = review_batch(sub, ruleset, as_of, calendar, schema.kind, catalogue, powers, batchwide=known)
    return [replace(b, rows=candidates[b.rows]) for ev in review.parts for b in ev.findings.batches
            if b.code == "penalty.double_fine"]


def _normalize(schema, sub: pd.DataFrame):
    """(the rows' source files, their validated records); case ids are checked across the batch later."""
    sources = sub[SOURCE].reset_index(drop=True) if SOURCE in sub.columns else None
    records = normalize(sub.drop(columns=[SOURCE], errors="ignore"), schema,
                        known_elsewhere=columns_of_other_kinds(schema.kind), check_duplicates=False)
    return sources, records


def _evaluate(schema, records, sources, ruleset, as_of, calendar, catalogue, powers, double_fines):
    """One kind's validated records through its evaluator, the catalogue and the power list
    (``double_fines``: gives the Art. 29 findings when the batch decided them, see engine.penalty.evaluate)."""
    from engine.deadlines.evaluate import DeadlineEvaluation, evaluate_deadlines
    from engine.penalty.evaluate import evaluate
    if schema.kind == "penalty":
        ev = evaluate(records, ruleset, as_of, calendar, double_fines=double_fines)
    else:
        ev = DeadlineEvaluation(schema.kind, records, ruleset, as_of, calendar)
        if schema.kind == "approval" and catalogue is not None:
            from engine.checks.approval import catalogue_findings
            for batch in catalogue_findings(ev, catalogue):
                ev.findings.add(batch)
        if schema.kind in KINDS:
            evaluate_deadlines(ev)
    if powers is not None:
        from engine.checks.powers import power_findings
        for batch in power_findings(ev, powers):
            ev.findings.add(batch)
    ev.findings.drop_rows(ev.records.rejections.mask)
    ev.sources = sources
    return ev


def _distribute(parts, reasons: dict[int, list[str]]):
    """Reasons by batch position, given to the parts holding those rows."""
    if not reasons:
        return
    for _, pos, records, _ in parts:
        for p, texts in reasons.items():
            i = int(np.searchsorted(pos, p))           # positions of a part are ascending
            if i < len(pos) and pos[i] == p:
                for r in texts:
                    records.rejections.reject(i, r)
