"""Review in bounded memory: the input read, validated, evaluated and written a batch of rows at a time.

``review`` used to hold the whole input and every evaluation at once (about 1 GiB per million
records).  Here the input is read in batches whose size the ``--memory`` budget sets, and across
batches only what the batch-wide checks need is kept (engine.batchwide):

1. *keys*: the case-id, act, decision-number and record-kind columns only, a slice at a time.  For a
   Parquet file each slice's typed values are reduced to 64-bit hashes (a few bytes a row); rows
   whose hash another row shares are the only rows that can repeat a case id or share an act.
   Those rows are then read whole (``ParquetBatches.take``) and judged exactly as the whole batch
   judges them: ``duplicate_reasons`` and ``_double_fines`` (a hash collision only adds a row to
   that small set, never changes a verdict).  Rows sharing a decision number must be evaluated
   together: batches are cut only where no decision is open.
2. *batches*: each batch validated and evaluated exactly as a row chunk of ``_review_in_chunks``
   (its part of the batch-wide facts by position), on one thread per core; its lines of
   cases.jsonl and findings.jsonl appended to the staged files (on a writer thread, while the next
   batch is evaluated), its rejected rows kept (they are few) and its counts added to the summary
   (engine.summary.Counts, the same sums in the same order).

The outputs are byte for byte those of the whole-batch review, whatever the batch size
(``tests/test_streaming.py``).  What is read whole and only then cut into batches: CSV, Excel,
JSON Lines, several files at once, and a Parquet file with a stored named pandas index.  What is
not streamed at all (the whole-batch review): a batch that fits in one batch, a batch mixing
record kinds or with rows of an unknown kind, and a batch whose keys cannot be read (the whole-batch
review then reports the error as it always has).  ``--db`` input larger than one batch is spilled to a
Parquet file first (engine.io.db.spill) and streams from it.
"""
from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine import batchwide as W
from engine.errors import InputError
from engine.io.readers import ROW, SUFFIXES

DEFAULT_MEMORY = "2GiB"
# Measured on bench/data/penalties_1000000.parquet (bench/README.md, "Streaming review"): the process
# without batches (interpreter, libraries, rules, allocator slack), the key index per input row (case-id
# and act hashes with their positions, and their sort), and the peak added per row of a batch in flight
# (raw rows, validated records, evaluation, encoded lines; one batch written while the next is evaluated).
BASE_BYTES = 512 << 20
INDEX_BYTES_PER_ROW = 64
BYTES_PER_ROW = 3400
MIN_BATCH_ROWS = 1_000
SMALL_BATCH_ROWS = 50_000     # the least a budget-derived batch holds (``_budgeted_rows``)
KEY_SLICE_ROWS = 1_000_000
GIVE_BACK_ROWS = 10_000       # batches at least this large are freed at once (``_give_back``)

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3, "gb": 1000 ** 3,
          "t": 1000 ** 4, "tb": 1000 ** 4, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def parse_memory(text: str) -> int:
    """``2GiB``, ``1.5G``, ``800MiB``, ``2000000000`` → bytes; raises ValueError with a bilingual reason."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = m and _UNITS.get(m[2].lower())
    if not m or unit is None:
        raise ValueError(f"无法识别的内存大小 '{text}'，应写作 2GiB、1.5G、800MiB 或字节数 "
                         f"(cannot read the memory size '{text}': write 2GiB, 1.5G, 800MiB or a number of bytes)")
    size = int(float(m[1]) * unit)
    if size < BASE_BYTES + 64 * MIN_BATCH_ROWS * BYTES_PER_ROW:
        least = (BASE_BYTES + 64 * MIN_BATCH_ROWS * BYTES_PER_ROW) >> 20
        raise ValueError(f"内存预算 '{text}' 过小，至少需要 {least} MiB "
                         f"(the memory budget '{text}' is too small: at least {least} MiB)")
    return size


def batch_rows_for(memory: int, n: int = 0) -> int:
    """Rows per batch that keep the review of ``n`` records within ``memory`` bytes (at least
    MIN_BATCH_ROWS: the key index of a very large input may leave less than the budget asks)."""
    return max(MIN_BATCH_ROWS, int((memory - BASE_BYTES - INDEX_BYTES_PER_ROW * n) // BYTES_PER_ROW))


def _budgeted_rows(memory: int, n: int) -> int:
    """Rows per batch under the budget; where the key index of ``n`` records leaves the batches less than
    SMALL_BATCH_ROWS, that many (thousands of tiny batches would take hours: their cost per batch is
    fixed) and a warning saying the budget will be exceeded and which budget would do."""
    rows = batch_rows_for(memory, n)
    if rows >= SMALL_BATCH_ROWS or n <= rows:
        return rows
    need = BASE_BYTES + INDEX_BYTES_PER_ROW * n + SMALL_BATCH_ROWS * BYTES_PER_ROW
    peak = -(-need // (1 << 29)) / 2            # GiB, rounded up to the half
    import sys
    print(f"提示：内存预算 {memory / (1 << 30):.1f} GiB 对 {n:,} 条记录过小（键索引约需 "
          f"{INDEX_BYTES_PER_ROW * n / (1 << 30):.1f} GiB），按每批 {SMALL_BATCH_ROWS:,} 行审查，峰值约 {peak:g} GiB；"
          f"可用 --memory {peak:g}GiB 或更大 (note: the memory budget is too small for {n:,} records: the key "
          f"index needs about {INDEX_BYTES_PER_ROW * n / (1 << 30):.1f} GiB; reviewing {SMALL_BATCH_ROWS:,} rows a "
          f"batch, peaking near {peak:g} GiB; give --memory {peak:g}GiB or more)", file=sys.stderr)
    return SMALL_BATCH_ROWS


# -- sources ---------------------------------------------------------------------------------------

class FrameSource:
    """Inputs read whole (CSV, Excel, JSON Lines, several files): batches are slices of the frame."""

    def __init__(self, raw: pd.DataFrame):
        self.raw = raw
        self.n = len(raw)

    def whole(self) -> pd.DataFrame:
        return self.raw

    def slices(self, edges):
        for a, b in zip(edges[:-1], edges[1:]):
            yield self.raw.iloc[a:b]


class ParquetSource:
    """One Parquet file, read a batch at a time (engine.io.readers.ParquetBatches)."""

    def __init__(self, path: Path, amount_unit: str):
        from engine.io.readers import ParquetBatches
        self.path = path
        self.file = ParquetBatches(path)
        self.n = self.file.n
        self.amount_unit = amount_unit

    def whole(self) -> pd.DataFrame:
        from engine.review import read_inputs
        return _with_unit(read_inputs([self.path]), self.amount_unit)

    def slices(self, edges, columns=None):
        for frame in self.file.slices(edges, columns):
            yield _with_unit(frame, self.amount_unit)

    def take(self, positions) -> pd.DataFrame:
        return _with_unit(self.file.take(positions), self.amount_unit)


def _with_unit(frame, unit):
    if unit == "元":
        return frame
    from engine.records.frame import with_amount_unit
    return with_amount_unit(frame, unit)


def open_source(files, amount_unit: str = "元"):
    """A single Parquet file streams from disk; anything else is read whole (``read_inputs``)."""
    files = [Path(f) for f in files]
    if len(files) == 1 and SUFFIXES.get(files[0].suffix.lower()) == "parquet" and files[0].is_file():
        try:
            src = ParquetSource(files[0], amount_unit)
            if src.file.streamable:
                return src
        except Exception:        # noqa: BLE001 - a broken file: the whole-file reader says what is wrong
            pass
    from engine.review import read_inputs
    return FrameSource(_with_unit(read_inputs(files), amount_unit))


# -- pass 1: what only the whole batch can tell ----------------------------------------------------

class Plan:
    """What the batches are reviewed with: the schema, the batch-wide facts and where batches may be cut."""

    def __init__(self, schema, duplicates, double_fines, open_decisions):
        self.schema = schema
        self.duplicates = duplicates            # global position -> reasons
        self.double_fines = double_fines        # FindingBatches (global rows), None for deadline kinds
        self.open_decisions = open_decisions    # bool per cut 0..n: a decision's rows lie on both sides


def _one_kind(kind_idx: np.ndarray, names: list, seen: set) -> bool:
    seen.update(np.unique(kind_idx).tolist())
    return len(seen) == 1 and min(seen) >= 0


def plan_frame(raw: pd.DataFrame, ruleset, as_of, calendar, kind, catalogue, powers) -> Plan | None:
    """The plan of an input held whole: the same calls the whole-batch review makes."""
    from engine.batch import _double_fines, kind_per_row
    from engine.records.kinds import KINDS
    if ROW not in raw.columns:
        raw = raw.assign(**{ROW: np.arange(1, len(raw) + 1)})
    idx, _, names = kind_per_row(raw, kind)
    if not _one_kind(idx, names, set()):
        return None
    schema = KINDS[names[int(idx[0])]]
    schema = ruleset.penalty_schema if schema.kind == "penalty" else schema
    n = len(raw)
    dups = W.duplicate_reasons([(schema, np.arange(n), raw)], n)
    fines = (_double_fines(raw, schema, dups, ruleset, as_of, calendar, catalogue, powers)
             if schema.kind == "penalty" else None)
    return Plan(schema, dups, fines, _open_decisions(_decision_groups_exact(raw), n))


def _decision_column(columns) -> str | None:
    from engine.records.schema import PENALTY
    cols = [c for c in columns if PENALTY.field_of(c) == "decision_no"]
    return cols[0] if cols else None


def _decision_groups_exact(raw: pd.DataFrame):
    """(first, last) position of every decision number given on more than one row."""
    col = _decision_column(raw.columns)
    if col is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    values = raw[col].reset_index(drop=True)
    present = np.flatnonzero(values.notna().to_numpy())
    codes, _ = pd.factorize(values.iloc[present], use_na_sentinel=True)
    return _spans(codes, present)


def _spans(codes: np.ndarray, positions: np.ndarray):
    """(first, last) position of every code that occurs more than once."""
    if not len(codes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(codes, kind="stable")
    c, p = codes[order], positions[order]
    start = np.concatenate([[True], c[1:] != c[:-1]])
    first_i = np.flatnonzero(start)
    last_i = np.concatenate([first_i[1:], [len(c)]]) - 1
    many = last_i > first_i
    return p[first_i[many]], p[last_i[many]]


def _open_decisions(spans, n: int) -> np.ndarray | None:
    """Per cut position 0..n: True where a cut would split a decision's rows (None: no such decision)."""
    first, last = spans
    if not len(first):
        return None
    d = np.zeros(n + 2, dtype=np.int64)
    np.add.at(d, first + 1, 1)
    np.add.at(d, last + 1, -1)
    return np.cumsum(d)[:n + 1] > 0


def _key_columns(names, schema) -> list[str]:
    """The stored columns that give the case id, the act, the decision number or the record kind."""
    from engine.records.kinds import BATCH, RECORD_KIND
    from engine.records.schema import PENALTY
    from engine.records.values import header_unit
    wanted = {schema.id_column, *W.ACT_FIELDS, "decision_no"}
    kinds = {RECORD_KIND.name, RECORD_KIND.zh, *RECORD_KIND.headers}
    out = []
    for name in names:
        c = str(name).strip()
        fields = set()
        for s in (schema, PENALTY, BATCH):
            fields.add(s.field_of(c))
            if (found := header_unit(c)):
                fields.add(s.field_of(found[0]))
        if fields & wanted or c in kinds:
            out.append(name)
    return out


_P = 0x100000001B3                     # odd: invertible modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_OWN = np.uint64(0xA5A5 << 48)         # tags a row's own stand-in value (see plan_parquet)
_SUB = 262_144                         # strings hashed a sub-slice at a time (bounded temporaries)


def _finish(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit reaches every output bit."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


_POWERS: list = []


def _powers(m: int):
    """(P**k, P**-k) for k = 0..m, modulo 2**64, kept for the next call."""
    if not _POWERS or len(_POWERS[0]) <= m:
        size = max(m + 1, 1 << 22)
        with np.errstate(over="ignore"):
            pw = np.cumprod(np.full(size, _P, dtype=np.uint64))
            inv = np.cumprod(np.full(size, _P_INV, dtype=np.uint64))
        pw[1:], pw[0] = pw[:-1].copy(), 1
        inv[1:], inv[0] = inv[:-1].copy(), 1
        _POWERS[:] = [pw, inv]
    return _POWERS[0], _POWERS[1]


def _text_hash(arr) -> np.ndarray:
    """A 64-bit hash of each string of an Arrow string array: a polynomial over its UTF-8 bytes,
    computed column-wise (equal strings, equal hashes; nulls get some value, masked by the caller)."""
    import pyarrow as pa
    arr = arr.cast(pa.large_string())
    out = np.empty(len(arr), dtype=np.uint64)
    for i in range(0, len(arr), _SUB):
        part = arr.slice(i, _SUB)
        bufs = part.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[part.offset:part.offset + len(part) + 1]
        lo, hi = int(offsets[0]), int(offsets[-1])
        data = (np.frombuffer(bufs[2], dtype=np.uint8)[lo:hi] if bufs[2] is not None and hi > lo
                else np.zeros(0, np.uint8)).astype(np.uint64) + np.uint64(1)
        pw, inv = _powers(len(data))
        with np.errstate(over="ignore"):
            data *= pw[1:len(data) + 1]
            total = np.empty(len(data) + 1, dtype=np.uint64)
            total[0] = 0
            np.cumsum(data, dtype=np.uint64, out=total[1:])
            start, end = offsets[:-1] - lo, offsets[1:] - lo
            h = (total[end] - total[start]) * inv[start]
            out[i:i + len(part)] = _finish(h ^ (end - start).astype(np.uint64) * _MIX)
    return out


def _hashed(values) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash, missing mask) of a typed column: text, categories, dates or numbers.  Raises
    TypeError for values it cannot hash exactly (the review is then done whole)."""
    import pyarrow as pa
    if isinstance(values, pd.Series):
        values = values.array if isinstance(values.dtype, pd.CategoricalDtype) else values
    if isinstance(values, pd.Categorical):
        codes = np.asarray(values.codes, dtype=np.int64)
        h, _ = _hashed(pd.Series(values.categories, dtype=object))
        return np.append(h, np.uint64(0))[codes], codes < 0
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        missing = np.isnat(values)
        return _finish(values.view(np.int64).astype(np.uint64)), missing
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        f = values.astype(float)
        with np.errstate(invalid="ignore"):
            return _finish((f + 0.0).view(np.uint64)), np.isnan(f)
    try:
        arr = pa.array(values, from_pandas=True) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    except (pa.ArrowException, ValueError) as e:
        raise TypeError(f"cannot hash these values: {e}") from None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_null(arr.type):
        return np.zeros(len(arr), np.uint64), np.ones(len(arr), dtype=bool)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise TypeError(f"cannot hash values of type {arr.type}")
    return _text_hash(arr), arr.is_null().to_numpy(zero_copy_only=False)


def _repeated(hashes: np.ndarray) -> np.ndarray:
    """Which entries share their hash with another entry."""
    if len(hashes) < 2:
        return np.zeros(len(hashes), dtype=bool)
    s = np.sort(hashes)
    twice = s[1:][s[1:] == s[:-1]]
    return np.isin(hashes, np.unique(twice)) if len(twice) else np.zeros(len(hashes), dtype=bool)


def plan_parquet(src: ParquetSource, ruleset, as_of, calendar, kind, catalogue, powers, slice_rows: int) -> Plan | None:
    """The plan of a Parquet file from its key columns, a slice at a time (see the module's notes)."""
    from engine.batch import _double_fines, kind_per_row
    from engine.records.frame import canonical_headers
    from engine.records.kinds import KINDS
    n = src.n
    default = KINDS[kind or "penalty"]
    schema = ruleset.penalty_schema if default.kind == "penalty" else default
    columns = _key_columns(src.file.schema.names, ruleset.penalty_schema)
    edges = list(range(0, n, slice_rows)) + [n]
    seen: set = set()
    # one 64-bit hash a row per key (case id, act, decision number), filled in place; a row without the
    # key gets a value of its own (its position, tagged), so it repeats nothing — should such a value
    # equal a real hash, the row is only read again needlessly
    id_h, act_h, dec_h = np.empty(n, np.uint64), None, None
    for a, frame in zip(edges, src.slices(edges, columns)):
        idx, _, names = kind_per_row(frame, kind)
        if not _one_kind(idx, names, seen):
            return None
        if len(seen) == 1:
            k = KINDS[names[next(iter(seen))]]
            schema = ruleset.penalty_schema if k.kind == "penalty" else k
        b = a + len(frame)
        own = np.arange(a, b, dtype=np.uint64) | _OWN
        canon = canonical_headers(frame, schema)
        h, miss = _hashed(W._typed(canon, schema, schema.id_column))
        id_h[a:b] = np.where(miss, own, h)
        if schema.kind == "penalty":
            act = {name: W._typed(canon, schema, name) for name in W.ACT_FIELDS}
            fine = np.nan_to_num(pd.Series(act["fine"]).to_numpy(dtype=float), nan=0.0)
            days = pd.Series(act["violation_date"]).to_numpy().astype("datetime64[D]")
            h_act, no_act = _hashed(act["act_id"])
            h_party, no_party = _hashed(act["party_id"])
            h_code, no_code = _hashed(act["violation_code"])
            h_day, no_day = _hashed(days)
            usable = (fine > 0) & (~no_act | ~no_party)
            with np.errstate(over="ignore"):
                h = (h_party * _MIX + np.where(no_code, np.uint64(1), h_code)) * _MIX + \
                    np.where(no_day, np.uint64(2), h_day)
            h = np.where(no_act, _finish(h), h_act ^ np.uint64(0x5851F42D4C957F2D))
            if act_h is None:
                act_h = np.empty(n, np.uint64)
            act_h[a:b] = np.where(usable, h, own)
        col = _decision_column(frame.columns)
        if col is not None:
            values = frame[col].reset_index(drop=True)
            hv, missing = _hashed(values.to_numpy() if values.dtype.kind in "fiub" else values)
            if dec_h is None:
                dec_h = np.arange(n, dtype=np.uint64) | _OWN
            dec_h[a:b] = np.where(missing | values.isna().to_numpy(), own, hv)
        del frame, canon
    if not seen:
        return None
    suspects = np.flatnonzero(_repeated(id_h))
    del id_h
    if act_h is not None:
        suspects = np.union1d(suspects, np.flatnonzero(_repeated(act_h))).astype(np.int64)
        del act_h
    open_decisions = None
    if dec_h is not None:
        shared = np.flatnonzero(_repeated(dec_h))
        _, codes = np.unique(dec_h[shared], return_inverse=True)
        del dec_h
        open_decisions = _open_decisions(_spans(codes.astype(np.int64).ravel(), shared), n)
    _give_back()
    dups, fines = {}, ([] if schema.kind == "penalty" else None)
    if len(suspects):
        sub = src.take(suspects)
        m = len(sub)
        local = W.duplicate_reasons([(schema, np.arange(m), sub)], m)
        dups = {int(suspects[p]): r for p, r in local.items()}
        if schema.kind == "penalty":
            from dataclasses import replace
            fines = [replace(b, rows=suspects[b.rows])
                     for b in _double_fines(sub, schema, local, ruleset, as_of, calendar, catalogue, powers)]
    return Plan(schema, dups, fines, open_decisions)


# -- pass 2: the batches ---------------------------------------------------------------------------

def cut_edges(n: int, rows: int, open_decisions: np.ndarray | None, threads: int | None) -> tuple[list, list]:
    """(batch edges, chunk edges): batches of about ``rows`` rows, each in one chunk per thread
    (engine.batch.threads_for), every cut moved forward to where no decision is open."""
    from engine.batch import threads_for

    def allowed(c: int) -> int:
        if open_decisions is None or c >= n:
            return min(c, n)
        free = np.flatnonzero(~open_decisions[c:])
        return int(c + free[0]) if len(free) else n
    batches = [0]
    while batches[-1] < n:
        nxt = allowed(batches[-1] + rows)
        batches.append(nxt if nxt > batches[-1] else n)
    chunks = []
    for a, b in zip(batches[:-1], batches[1:]):
        k = threads_for(b - a, threads)
        inner = sorted({allowed(int(x)) for x in np.linspace(a, b, k + 1).round().astype(int)[1:-1]} - {a, b})
        chunks.append([a, *[c for c in inner if a < c < b], b])
    return batches, chunks


def review_source(src, ruleset, as_of, calendar, kind, refs, threads, out, excel, memory: int,
                  batch_rows: int | None = None, times: dict | None = None, fmt: str = "jsonl") -> dict | None:
    """Review ``src`` a batch at a time into the open OutputSet ``out``, in batches of ``batch_rows``
    rows or as many as ``memory`` bytes allow; the sealed summary, or None when this batch is reviewed
    whole instead (nothing written then; see the module's notes).  ``fmt="parquet"``: each batch
    appended to cases.parquet and findings.parquet as row groups (engine.io.parquet_out)."""
    batch_rows = batch_rows or _budgeted_rows(memory, src.n)
    if src.n <= batch_rows:
        return None
    times = times if times is not None else {}
    t = time.perf_counter()
    try:
        if isinstance(src, ParquetSource):
            plan = plan_parquet(src, ruleset, as_of, calendar, kind, refs.catalogue, refs.powers,
                                min(KEY_SLICE_ROWS, batch_rows))
        else:
            plan = plan_frame(src.raw, ruleset, as_of, calendar, kind, refs.catalogue, refs.powers)
    except (InputError, TypeError):
        return None          # the whole-batch review reports it (or hashes no key), as it always has
    if plan is None:
        return None
    times["keys"] = time.perf_counter() - t
    t = time.perf_counter()
    summ = _stream(src, plan, ruleset, as_of, calendar, refs, threads, out, excel, batch_rows, fmt)
    times["review"] = time.perf_counter() - t
    return summ


def _give_back() -> None:
    """Free the last batch now and return its pages to the system.  An evaluation holds reference
    cycles, which only the collector frees, and it runs the full collection too rarely: without this
    the process grew by most of a batch with every batch.  Then glibc keeps freed pages in the malloc
    arenas of the threads that freed them until asked."""
    import gc
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _review_batch(plan, frame, a: int, chunks: list, ruleset, as_of, calendar, refs, pool):
    """One batch (rows ``a:`` of the input) in its chunks on ``pool``: a BatchReview of the batch."""
    from engine.batch import BatchReview, _distribute, _evaluate, _normalize
    schema = plan.schema

    def chunk(x, y):
        sources, records = _normalize(schema, frame.iloc[x - a:y - a])
        _distribute([(schema, np.arange(y - x), records, sources)], W.part_of(plan.duplicates, x, y))
        fines = (lambda: W.fines_of(plan.double_fines, x, y)) if plan.double_fines is not None else None
        return _evaluate(schema, records, sources, ruleset, as_of, calendar, refs.catalogue, refs.powers, fines)
    bounds = list(zip(chunks[:-1], chunks[1:]))
    evaluations = [f.result() for f in [pool.submit(chunk, x, y) for x, y in bounds]]
    return BatchReview(evaluations, [np.arange(x - a, y - a) for x, y in bounds], chunks[-1] - a, as_of, ruleset)


def _stream(src, plan, ruleset, as_of, calendar, refs, threads, out, excel, batch_rows, fmt="jsonl") -> dict:
    from concurrent.futures import ThreadPoolExecutor

    from engine.io import reports
    from engine.io.atomic import atomic_path
    from engine.io.direct import BlockWriter
    from engine.io.outset import Digest
    from engine.results import case_tables, finding_chunks, rejected_frame
    from engine.summary import Counts

    batches, chunks = cut_edges(src.n, batch_rows, plan.open_decisions, threads)
    counts, rejected = Counts(), []
    cases_digest, findings_digest = Digest(lines=0), Digest(lines=0)
    parquet = fmt == "parquet"
    ext = "parquet" if parquet else "jsonl"
    cases_path, findings_path = out.path(f"cases.{ext}"), out.path(f"findings.{ext}")
    workers = max(len(c) - 1 for c in chunks)
    with contextlib.ExitStack() as stack:
        if parquet:
            from engine.io import parquet_out
            cases_pq = stack.enter_context(parquet_out.Sink(cases_path))
            findings_pq = stack.enter_context(parquet_out.Sink(findings_path, parquet_out.FINDING_SCHEMA))
        else:
            cases_fh = stack.enter_context(BlockWriter(stack.enter_context(atomic_path(cases_path))))
            findings_fh = stack.enter_context(BlockWriter(stack.enter_context(atomic_path(findings_path))))
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zhunsheng-batch"))
        encoders = stack.enter_context(ThreadPoolExecutor(max_workers=2, thread_name_prefix="zhunsheng-encode"))
        writer = stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhunsheng-writer"))

        def write_parquet(review):       # a batch's rows as row groups (bounded by the batch)
            for table in case_tables(review):
                cases_pq.write(parquet_out.case_columns(table))
            for data in finding_chunks(review):
                findings_pq.write(parquet_out.finding_columns(data))

        def write(review):
            if parquet:
                return write_parquet(review)
            for data in reports.encoded_tables(case_tables(review), encoders):
                cases_fh.write(data)
                cases_digest.update(data)
            for data in finding_chunks(review):
                findings_fh.write(data)
                findings_digest.update(data)
        pending = None
        slices = src.slices(batches)
        for a, frame, edges in zip(batches, slices, chunks):
            review = _review_batch(plan, frame, a, edges, ruleset, as_of, calendar, refs, pool)
            del frame
            for ev in review.parts:
                counts.add(ev)
                cases_digest.lines += ev.n
                findings_digest.lines += sum(len(b) for b in ev.findings.batches)
            rejected.append(rejected_frame(review))
            if pending is not None:
                pending.result()          # one batch written while the next is evaluated, never more
            pending = writer.submit(write, review)
            del review
            if edges[-1] - a >= GIVE_BACK_ROWS:
                _give_back()
        if pending is not None:
            pending.result()
    if not parquet:                       # Parquet files are digested when the set is sealed
        out.record("cases.jsonl", cases_digest)
        out.record("findings.jsonl", findings_digest)
    summ = counts.result(src.n, as_of, ruleset.root, refs.summary)
    frame = pd.concat(rejected, ignore_index=True) if len(rejected) > 1 else rejected[0]
    reports.write_csv(out.path("rejected.csv"), frame)
    if parquet:
        parquet_out.write_rejected(out.path("rejected.parquet"), frame)
    for name, ref in refs.rejected.items():
        reports.write_csv(out.path(name), ref)
    if excel:
        staged = {nm: out.staged[nm] for nm in ("rejected.csv", *refs.rejected)}
        reports.write_review_excel(out.outside(Path(excel)), findings_path, summ, cases=cases_path,
                                   rejected=staged, fmt=fmt)
    return out.commit(summ)


def memory_option(memory: str | None) -> int:
    """``--memory`` in bytes (ValueError with the reason for a bad value)."""
    return parse_memory(memory or DEFAULT_MEMORY)
