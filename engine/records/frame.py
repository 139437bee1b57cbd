"""Column-wise validation of penalty records (pandera-style lazy validation).

Each check runs over whole columns and marks the rows it fails, with a reason
naming the row's value; nothing stops at the first error and no row is ever
dropped.  Cell parsing (dates, codes, lists) runs over the *distinct* values
of a column (``pd.factorize``): a million rows usually hold a few thousand
distinct dates, so the Python work is proportional to those, not to the rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.io.readers import JSON_ERROR, ROW, JsonCell
from engine.records.schema import FALSE_WORDS, PENALTY, TRUE_WORDS, Column, Schema
from engine.records.values import (UNCOMPUTABLE, amount_unit, header_unit, is_uncomputable, month_of, parse_amount,
                                   parse_date, with_unit)
from engine.types import FieldType as T

_LIST_SPLIT = re.compile(r"[;；、,，|]")
_OTHER_SEPARATORS = re.compile(r"[；、,，|]")
_TRUE = set(TRUE_WORDS)
_FALSE = set(FALSE_WORDS)

# The largest number a record may hold (yuan for amounts, a count or days otherwise): ten trillion
# yuan is some ten times China's yearly fiscal revenue, so anything above it is a typo or an attack,
# and ranges computed from it (a fine of 20× 1e308 yuan) would overflow to infinity.
MAX_AMOUNT = 10 ** 13
# thousands separators are read only in groups of three: 10,000 and 1,234,567.5 — never 1,2,3
_GROUPED = r"^[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d*)?$"
# what a C-level type scan of an object column may report when it holds no JSON object or array
_SCALAR_KINDS = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "boolean",
                           "decimal", "datetime", "datetime64", "date", "time", "timedelta", "timedelta64",
                           "bytes", "complex", "period", "interval"})
_NESTED = (JsonCell, list, tuple, dict, set, frozenset, np.ndarray)


class Rejections:
    """Reasons per row position; only failing rows ever reach Python code."""

    def __init__(self, n: int):
        self.n = n
        self.reasons: dict[int, list[str]] = {}
        self._mask = np.zeros(n, dtype=bool)

    def add(self, mask: np.ndarray, reason, values=None):
        """``reason`` is text, or a function of the row's value (from ``values``) giving text."""
        idx = np.flatnonzero(mask)
        self._mask[idx] = True
        for i in idx:
            text = reason(values[i]) if callable(reason) else reason
            self.reasons.setdefault(int(i), []).append(text)

    def reject(self, i: int, reason: str):
        self._mask[i] = True
        self.reasons.setdefault(int(i), []).append(reason)

    def hold(self, rows: np.ndarray):
        """Keep ``rows`` out of an evaluation pass as if rejected, without a reason (``release`` undoes it)."""
        self._mask[rows] = True

    def release(self, rows: np.ndarray):
        for i in np.flatnonzero(rows):
            if int(i) not in self.reasons:
                self._mask[i] = False

    @property
    def mask(self) -> np.ndarray:
        """Rows rejected so far (a live view: do not modify)."""
        return self._mask

    def text(self, i: int) -> str:
        return "; ".join(self.reasons.get(i, []))


@dataclass
class Records:
    frame: pd.DataFrame          # canonical typed columns + carried-through extras + __row__
    rejections: Rejections
    extra_columns: list[str]
    officer_count: np.ndarray    # distinct officer ids per row; 0: none recorded (not a count of zero)
    officer_lists: object = None  # Arrow list column of the ids as recorded (null: none recorded)
    schema: Schema = PENALTY
    blanks: dict = field(default_factory=dict)   # yes/no fields: rows left blank (read as false, but unknown)
    absent: frozenset = frozenset()              # schema columns the input did not have at all


def canonical_headers(frame: pd.DataFrame, schema: Schema = PENALTY) -> pd.DataFrame:
    """Rename Chinese (or English) headers to canonical names; two headers for one field is an error.

    Headers match ignoring spaces and case, with full-width brackets as ASCII
    ones (``法定时限（工作日）`` is ``法定时限(工作日)``).  An amount header may name its unit
    (``罚款金额(万元)``, ``货值（单位：万元）``): the column gets its canonical name and the unit is
    written into each of its plain-number cells (``5`` → ``5万元``; ``5000元`` stays), so it is
    kept through joins and chunks and never applied twice.
    """
    mapping, seen, units = {}, {}, {}
    for col in frame.columns:
        key = schema.field_of(col)
        unit = None
        if key is None and (found := header_unit(col)):
            base, unit = found
            key = schema.field_of(base)
            if key is not None and not schema.by_name[key].money:
                key = None
        if key:
            if key in seen:
                raise InputError(f"“{seen[key]}”和“{col}”两列都是{schema.names_zh[key]} (columns '{seen[key]}' and "
                                 f"'{col}' both give {key} ({schema.names_zh[key]}))")
            seen[key] = col
            mapping[col] = key
            if unit is not None:
                units[col] = unit
    if units:
        frame = frame.assign(**{col: with_unit(frame[col], unit) for col, unit in units.items()})
    return frame.rename(columns=mapping)


def with_amount_unit(frame: pd.DataFrame, unit: str = "元", schema: Schema | None = None) -> pd.DataFrame:
    """The frame with ``unit`` (元, 千元, 万元, 亿元) as the unit of every amount column whose header
    names none (``review --amount-unit``): such headers become ``罚款金额(万元)``, read as above.

    ``schema`` None: the amount columns of every record kind (a mixed file has one header row).
    Headers already naming a unit, and cells naming their own (``5000元``), keep theirs.
    """
    unit = amount_unit(unit)
    if unit == "元":
        return frame
    if schema is None:
        from engine.records.kinds import BATCH as schema
    mapping = {}
    for col in frame.columns:
        key = schema.field_of(col)
        if key is not None and schema.by_name[key].money and isinstance(col, str):
            mapping[col] = f"{col}({unit})"
    return frame.rename(columns=mapping) if mapping else frame


class Parsed:
    """A column parsed once per distinct value: row r's result is ``results[codes[r]]`` (code -1: missing)."""

    def __init__(self, series: pd.Series, parse):
        self.codes, uniques = pd.factorize(series, use_na_sentinel=True)
        parsed = [parse(u) for u in np.asarray(uniques, dtype=object).tolist()]
        self.results = [p[0] for p in parsed]
        self.errors = [p[1] for p in parsed]

    def report(self, rej: "Rejections"):
        """Add each failing row's reason; the mask is built per distinct value, then spread."""
        bad_u = np.array([e is not None for e in self.errors] + [False], dtype=bool)
        bad = bad_u[self.codes]
        if bad.any():
            errors, codes = self.errors, self.codes
            rej.add(bad, lambda e: e, _RowLookup(codes, errors))

    def categorical(self) -> pd.Categorical:
        """Rows as a Categorical over the distinct results: comparisons and isin stay vectorized."""
        cats = list(dict.fromkeys(r for r in self.results if r is not None))
        pos = {c: i for i, c in enumerate(cats)}
        remap = np.array([pos[r] if r is not None else -1 for r in self.results] + [-1], dtype=np.int64)
        return pd.Categorical.from_codes(remap[self.codes], categories=cats)


class _RowLookup:
    def __init__(self, codes, values):
        self.codes, self.values = codes, values

    def __getitem__(self, i):
        return self.values[self.codes[i]]


# The dates whose year-and-month-only cells are kept as a stretch of days (an unknown day within a known
# month, engine.penalty.alternatives); other date columns refuse such a cell.
MONTH_DATES = ("violation_date", "violation_end_date", "discovered_date", "decision_date")


def month_bounds_name(name: str) -> tuple[str, str]:
    return f"__first__{name}", f"__last__{name}"


def _date_column(series: pd.Series, col: Column, rej: Rejections, bounds: dict | None = None) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        if isinstance(series.dtype, pd.DatetimeTZDtype):     # the date on the clock where it was recorded
            series = series.dt.tz_localize(None)
        return series.to_numpy().astype("datetime64[D]")
    spans: list = []

    def parse(v):
        day, err = parse_date(v)
        span = month_of(v) if err is not None and col.name in MONTH_DATES and bounds is not None else None
        spans.append(span)
        return (np.datetime64("NaT"), None) if span is not None else (day, err)
    p = Parsed(series, parse)
    if any(s is not None for s in spans):      # each month-only cell's first and last day, by distinct value
        nat = np.datetime64("NaT")
        first = np.array([np.datetime64(s[0], "D") if s else nat for s in spans] + [nat], dtype="datetime64[D]")
        last = np.array([np.datetime64(s[1], "D") if s else nat for s in spans] + [nat], dtype="datetime64[D]")
        bounds[col.name] = (first[p.codes], last[p.codes])
    p.errors = [f"{col.zh} ({col.name})：{e}" if e else None for e in p.errors]
    p.report(rej)
    table = np.array(p.results + [np.datetime64("NaT")], dtype="datetime64[D]")
    return table[p.codes]


def _number_column(series: pd.Series, col: Column, rej: Rejections, side: dict | None = None) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        with np.errstate(over="ignore", invalid="ignore"):
            out = series.to_numpy(dtype=float, na_value=np.nan)
    elif col.money:
        out = _amounts(series, col, rej, side.setdefault("uncomputable", {}) if side is not None else None)
    else:
        text = series.astype("string").str.strip().str.removesuffix("元")
        for unit in col.units:
            text = text.str.removesuffix(unit).str.strip()
        text = _without_thousands(text)
        with np.errstate(over="ignore", invalid="ignore"):
            num = pd.to_numeric(text, errors="coerce")
            out = num.to_numpy(dtype=float, na_value=np.nan)
        bad = text.notna().to_numpy() & (text.str.len() > 0).to_numpy(dtype=bool, na_value=False) & np.isnan(out)
        if bad.any():
            raw = series.to_numpy(dtype=object)
            rej.add(bad, lambda v: f"{col.zh} ({col.name})：不是数字 '{_clip(str(v))}' (not a number)", raw)
    out = _within_ceiling(out, col, rej)
    if col.whole:
        with np.errstate(invalid="ignore"):
            bad = (out < 0) | ((np.floor(out) != out) & ~np.isnan(out))
        if bad.any():
            rej.add(bad, lambda v: f"{col.zh} ({col.name})：应为不小于 0 的整数，实为 {v:g} (not a whole number ≥ 0)", out)
        return out
    neg = out < 0
    if neg.any():
        rej.add(neg, lambda v: f"{col.zh} ({col.name})：不能为负数，实为 {v:g} (negative amount)", out)
    return out + 0.0          # -0 (a cell "-0") is 0: the same amount, written the same way


def _amounts(series: pd.Series, col: Column, rej: Rejections, flags: dict | None = None) -> np.ndarray:
    """Amount text in yuan.  Plain numbers (``75000``, ``10,000``, ``5000元``) are read column-wise as
    before; only the cells that read fails on (``5.4万元``, ``人民币伍万元整``, ``约5万``) go through
    engine.records.values, once per distinct value."""
    text = _without_thousands(series.astype("string").str.strip().str.removesuffix("元"))
    with np.errstate(over="ignore", invalid="ignore"):
        out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    rest = text.notna().to_numpy() & (text.str.len() > 0).to_numpy(dtype=bool, na_value=False) & np.isnan(out)
    if rest.any() and flags is not None:      # 无法计算: unknown, and flagged for the provision to read
        cannot = np.zeros(len(out), dtype=bool)
        cannot[rest] = [is_uncomputable(v) for v in series.iloc[np.flatnonzero(rest)].tolist()]
        if cannot.any():
            flags[col.name] = cannot
            rest &= ~cannot
    if rest.any():
        idx = np.flatnonzero(rest)
        p = Parsed(series.iloc[idx], lambda v: parse_amount(v, col.name))
        out[idx] = np.array(p.results + [np.nan], dtype=float)[p.codes]
        errors = np.array([f"{col.zh} ({col.name})：{e}" if e else None for e in p.errors] + [None], dtype=object)
        reasons = np.full(len(out), None, dtype=object)
        reasons[idx] = errors[p.codes]
        bad = pd.notna(reasons)
        if bad.any():
            rej.add(bad, lambda e: e, reasons)
    return out


def _without_thousands(text: pd.Series) -> pd.Series:
    """Commas removed where they group digits by three (``10,000``); any other comma stays and makes
    the cell unreadable, never a different number (``1,2,3`` is not 123)."""
    comma = text.str.contains("[,，]", regex=True).to_numpy(dtype=bool, na_value=False)
    if not comma.any():
        return text
    grouped = text.str.fullmatch(_GROUPED).to_numpy(dtype=bool, na_value=False)
    return text.mask(grouped, text.str.replace("[,，]", "", regex=True))


def _within_ceiling(out: np.ndarray, col: Column, rej: Rejections) -> np.ndarray:
    """Infinite numbers and numbers above MAX_AMOUNT reject their rows and are read as missing, so no
    range or sum is ever computed from them."""
    with np.errstate(invalid="ignore"):
        inf = np.isinf(out)
        big = ~inf & (np.abs(out) > MAX_AMOUNT)
    if inf.any():
        rej.add(inf, f"{col.zh} ({col.name})：不是有限数值 (not a finite number)")
    if big.any():
        rej.add(big, lambda v: f"{col.zh} ({col.name})：绝对值超过上限 10^13，实为 {v:.6g} "
                               "(magnitude above the ceiling of 10^13)", out)
    if inf.any() or big.any():
        out = np.where(inf | big, np.nan, out)
    return out


def _bool_column(series: pd.Series, col: Column, rej: Rejections) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool, na_value=False)

    def parse(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v), None
        if isinstance(v, (int, float)) and v in (0, 1):
            return bool(v), None
        t = str(v).strip().lower()
        if t in _TRUE:
            return True, None
        if t in _FALSE:
            return False, None
        return False, f"{col.zh} ({col.name})：不是“是/否” '{v}'，可用 是/否、true/false (not yes/no)"
    p = Parsed(series, parse)
    p.report(rej)
    return np.array(p.results + [False], dtype=bool)[p.codes]


def _code_column(series: pd.Series, col: Column, rej: Rejections) -> pd.Categorical:

    def parse(v):
        t = _code_text(v)
        if t == "":
            return None, None
        code = col.code_of(t)
        if code is None:
            return None, (f"{col.zh} ({col.name})：不认识的值 (unknown value) '{t}'；"
                          f"可用 (accepted): {col.accepted_words()}")
        return code, None
    p = Parsed(series, parse)
    p.report(rej)
    return p.categorical()


def _code_text(v) -> str:
    """A cell used as a code, stripped; a whole float (Excel/Parquet/JSON ``1.0``) reads as ``1``."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _text_column(series: pd.Series) -> pd.Series:
    """Stripped text, None for missing or blank; numbers read as codes (``1.0`` → ``1``).

    Each value is read on its own, never by what the rest of its column holds, so a record reads the
    same in any batch or chunk it comes in.
    """
    if not isinstance(series.dtype, pd.StringDtype):   # numbers, or mixed cells (JSON): decided value by value,
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        text = [_code_text(u) for u in np.asarray(uniques, dtype=object).tolist()]
        series = pd.Series(np.array(text + [None], dtype=object)[codes], index=series.index)
    s = series.astype("str") if len(series) else series
    s = s.where(series.notna(), None).str.strip()
    return s.where(s.str.len() > 0, None)


def _few_text_column(series: pd.Series) -> pd.Categorical:
    """Stripped text as a Categorical, worked out once per distinct value: later groupings by
    department or code (evaluation, summaries, reports) then read integer codes, not strings."""
    def parse(v):
        t = _code_text(v)
        return (t or None), None
    return Parsed(series, parse).categorical()


def _list_column(series: pd.Series, col: Column, rej: Rejections):
    """Code lists become one canonical ``;a;b;`` string per row ("" for none) and a count of distinct items."""
    free = not col.codes    # a list of identifiers (precondition codes ...), not of known codes

    def parse(v):
        items = [i.strip() for i in _LIST_SPLIT.split(str(v)) if i.strip()]
        out, unknown = [], []
        for i in items:
            code = i if free else col.code_of(i)
            if code is None:
                unknown.append(i)
            elif code not in out:
                out.append(code)
        if unknown:
            return ("", 0), (f"{col.zh} ({col.name})：不认识的词 (unknown code(s)) {', '.join(map(repr, unknown))}；"
                             f"可用 (accepted): {col.accepted_words()}")
        return (";" + ";".join(out) + ";" if out else "", len(out)), None
    p = Parsed(series, parse)
    p.report(rej)
    counts = np.array([r[1] for r in p.results] + [0], dtype=np.int64)[p.codes]
    p.results = [r[0] for r in p.results] + [""]
    codes = np.where(p.codes < 0, len(p.results) - 1, p.codes)
    p.codes = codes
    return p.categorical(), counts


def absent_column(col: Column, n: int):
    """A column the input does not have: all missing, already in its typed form."""
    if col.type == T.DATE:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if col.type == T.NUMBER:
        return np.full(n, np.nan)
    if col.type == T.BOOL:
        return np.zeros(n, dtype=bool)
    if col.type == T.LIST:
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""])
    if col.codes:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=list(col.codes))
    import pyarrow as pa
    return pd.Series(pa.nulls(n, pa.string()).to_pandas()).astype("str")


def _no_officers(n: int):
    """The officer lists of a batch without an officers column: null (not recorded) on every row."""
    import pyarrow as pa
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                          pa.array([None], type=pa.list_(pa.string())))


def _officers(series: pd.Series):
    """Officer ids: separators normalized, the ids of each row as an Arrow list (what reports show),
    and the number of *distinct* ids per row (what Art. 42 counts).

    Worked out once per distinct cell (a million rows hold far fewer distinct
    officer pairs), then spread by index: the lists come back dictionary-encoded,
    so the reports encode each distinct list once too.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pa.array(series.astype("str"), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    uniq = pa.concat_arrays([enc.dictionary.cast(pa.string()), pa.nulls(1, pa.string())])
    idx = pc.fill_null(enc.indices, len(uniq) - 1).to_numpy(zero_copy_only=False).astype(np.int32)
    canon_u, count_u, lists_u = _officer_values(uniq)
    codes, names = pd.factorize(canon_u)
    canon = pd.Categorical.from_codes(codes[idx], categories=names)
    return canon, count_u[idx], pa.DictionaryArray.from_arrays(pa.array(idx), lists_u)


def _officer_values(arr):
    """The canonical ``;a;b;`` text, distinct-id count and id list of each officers cell in ``arr``.

    A cell naming no id at all (blank, only separators, a JSON ``[]``) gets count 0 and a null list:
    nobody was recorded, which is not a record of nobody (engine.penalty.checks.procedure reports no
    shortfall for it, and the reports show ``null``, not ``[]``).  Vectorized with Arrow for the
    common shapes (one or two ids); cells with three or more ids are de-duplicated in Python.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pc.replace_substring_regex(arr, _OTHER_SEPARATORS.pattern, ";")
    parts = pc.split_pattern(arr, ";")
    if isinstance(parts, pa.ChunkedArray):
        parts = parts.combine_chunks()
    flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = pc.fill_null(pc.not_equal(flat, ""), False)
    parents = pc.list_parent_indices(parts).filter(keep).to_numpy(zero_copy_only=False)
    lengths = np.bincount(parents, minlength=len(arr)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    missing = lengths == 0
    lists = pa.ListArray.from_arrays(pa.array(offsets), flat.filter(keep), mask=pa.array(missing))
    count = lengths.copy()
    two = np.flatnonzero(count == 2)
    if len(two):
        pairs = lists.take(pa.array(two))
        same = pc.equal(pc.list_element(pairs, 0), pc.list_element(pairs, 1))
        count[two[pc.fill_null(same, False).to_numpy(zero_copy_only=False)]] = 1
    for i in np.flatnonzero(count > 2):
        count[i] = len(dict.fromkeys(lists[int(i)].as_py()))
    canon = pc.binary_join_element_wise(";", pc.binary_join(lists, ";"), ";", "")
    canon = np.where(missing, "", canon.to_numpy(zero_copy_only=False)).astype(object)
    return canon, count, lists


def typed_column(series: pd.Series, col: Column, rej: Rejections, side: dict | None = None):
    """One input column in its schema type; cells that cannot be read become rejections of their rows.
    ``side`` collects what a cell says besides a value: ``months`` (first and last day of a month-only
    date, ``MONTH_DATES``) and ``uncomputable`` (amounts stated as 无法计算)."""
    series = _json_values(series, col, rej)
    if col.type == T.DATE:
        return _date_column(series, col, rej, side.setdefault("months", {}) if side is not None else None)
    if col.type == T.NUMBER:
        return _number_column(series, col, rej, side)
    if col.type == T.BOOL:
        return _bool_column(series, col, rej)
    if col.type == T.LIST:
        return _list_column(series, col, rej)[0]
    if col.codes:
        return _code_column(series, col, rej)
    if col.few:
        return _few_text_column(series)
    return _text_column(series)


def _nested_cells(series: pd.Series):
    """(rows holding a JSON object or array, the column's values) — None when no row does.

    Only an object column can hold one (text columns of CSV, Excel and Parquet never do), and a
    C-level type scan settles the usual all-text or all-number object column without a Python loop.
    """
    if series.dtype != object or not len(series):
        return None
    if pd.api.types.infer_dtype(series, skipna=True) in _SCALAR_KINDS:
        return None
    values = series.to_numpy(dtype=object)
    mask = np.fromiter((isinstance(v, _NESTED) for v in values), dtype=bool, count=len(values))
    return (mask, values) if mask.any() else None


def _json_values(series: pd.Series, col: Column, rej: Rejections) -> pd.Series:
    """A column with its JSON objects and arrays settled: in a list column an array of plain values is
    the list (an empty one a blank cell), anything else rejects its row and is read as missing."""
    found = _nested_cells(series)
    if found is None:
        return series
    mask, values = found
    values = values.copy()
    bad = np.zeros(len(values), dtype=bool)
    texts = {}
    for i in np.flatnonzero(mask).tolist():
        cell = values[i] if isinstance(values[i], JsonCell) else JsonCell(values[i])
        if col.type == T.LIST and cell.items is not None:
            values[i] = ";".join(cell.items) or None
        else:
            values[i], bad[i], texts[i] = None, True, cell.text
    if bad.any():
        what = ("须为由文字或数字组成的列表 (must be a list of plain values)" if col.type == T.LIST else
                "不能是 JSON 对象或数组 (a JSON object or array is not a value here)")
        rej.add(bad, lambda i: f"{col.zh} ({col.name})：{what}: {_clip(texts[i])}", np.arange(len(values)))
    return pd.Series(values, index=series.index, dtype=object)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def normalize(raw: pd.DataFrame, schema: Schema = PENALTY, known_elsewhere: frozenset = frozenset(),
              check_duplicates: bool = True, amount_unit: str = "元") -> Records:
    """Typed canonical columns and the reasons rows cannot be evaluated; never drops a row.

    ``known_elsewhere``: columns another record kind of the same batch reads;
    they are not this kind's extras (a penalty row of a mixed file does not
    carry the approval columns along).  ``check_duplicates`` is off when the
    caller checks case ids across the whole batch.  ``amount_unit`` (元, 千元, 万元, 亿元): the unit
    of amount columns whose header names none (``with_amount_unit``).
    """
    frame = canonical_headers(with_amount_unit(raw.reset_index(drop=True), amount_unit, schema), schema)
    n = len(frame)
    ZH = schema.names_zh
    if schema.id_column not in frame.columns and n:     # no records at all: an empty review, whatever the header
        key = schema.id_column
        raise InputError(f"缺少“{ZH[key]}”列，每条{schema.zh}记录都需要 (no {key} ({ZH[key]}) column: every "
                         f"{schema.zh} record needs one)")
    rej = Rejections(n)
    out = {}
    officer_count = np.zeros(n, dtype=np.int64)
    officer_lists = None
    blanks, side = {}, {}
    for col in schema.columns:
        if col.name not in frame.columns or col.derived:
            out[col.name] = absent_column(col, n)
            if col.type == T.BOOL:
                blanks[col.name] = np.ones(n, dtype=bool)
            continue
        series = frame[col.name]
        if col.name == "officers":
            out[col.name], officer_count, officer_lists = _officers(_json_values(series, col, rej))
            continue
        out[col.name] = typed_column(series, col, rej, side)
        if col.type == T.BOOL:
            blanks[col.name] = blank_cells(series)
    if officer_lists is None and "officers" in schema.by_name:
        officer_lists = _no_officers(n)
    extras = [c for c in frame.columns if c not in schema.by_name and c not in known_elsewhere
              and not (isinstance(c, str) and c.startswith("__"))]
    typed = pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)
    if extras:      # joined in one step: a column at a time is quadratic (10,000 columns took minutes)
        typed = pd.concat([typed, frame[extras]], axis=1)
    typed[ROW] = frame[ROW].to_numpy() if ROW in frame.columns else np.arange(1, n + 1)
    for name, (first, last) in side.get("months", {}).items():      # a known month: the day unknown within it
        a, b = month_bounds_name(name)
        typed[a], typed[b] = first, last
    for name, cannot in side.get("uncomputable", {}).items():       # the amount exists but cannot be computed
        typed[UNCOMPUTABLE + name] = cannot
    if JSON_ERROR in frame.columns:
        err = frame[JSON_ERROR]
        rej.add(err.notna().to_numpy(), lambda e: e, err.to_numpy(dtype=object))

    for name in schema.required:
        miss = pd.isna(typed[name]).to_numpy() if typed[name].dtype.kind != "M" else np.isnat(typed[name].to_numpy())
        if name in frame.columns or name == schema.id_column:
            raw_missing = miss & ~_already_bad(rej, miss, name, ZH[name])
        else:
            raw_missing = miss
        rej.add(raw_missing, f"{ZH[name]} ({name})：缺少 (is missing)")
    if check_duplicates:
        reject_duplicate_ids(typed[schema.id_column], typed[ROW].to_numpy(), rej)
    for earlier, later in schema.date_order:
        a = typed[earlier].to_numpy().astype("datetime64[D]")
        b = typed[later].to_numpy().astype("datetime64[D]")
        rej.add(b < a, f"{ZH[later]} ({later}) 早于 {ZH[earlier]} ({earlier}) ({later} is before {earlier})")
    absent = frozenset(c.name for c in schema.columns if c.name not in frame.columns and not c.derived)
    return Records(typed, rej, extras, officer_count, officer_lists, schema, blanks, absent)


def blank_cells(series: pd.Series) -> np.ndarray:
    """Cells with no value: missing, NaN/NaT or text that is only spaces."""
    if isinstance(series.dtype, pd.CategoricalDtype):      # one test per category, spread by code
        cats = series.cat.categories.astype(str).str.strip() == ""
        codes = series.cat.codes.to_numpy()
        return np.append(np.asarray(cats, dtype=bool), True)[codes]
    miss = series.isna().to_numpy(dtype=bool, copy=True)
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        miss |= (series.astype("string").str.strip() == "").to_numpy(dtype=bool, na_value=True)
    return miss


def reject_duplicate_ids(ids: pd.Series, rows: np.ndarray, rej: Rejections):
    """Every row of a case id that appears twice is rejected, naming all its rows: never silently merged."""
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = pa.array(ids, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    if len(enc.dictionary) == len(arr) - arr.null_count:   # the usual case: all distinct, one hash pass
        return
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    uniques = enc.dictionary
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    dup = (codes >= 0) & (np.append(counts, 0)[codes] > 1)
    if dup.any():
        groups = pd.Series(rows[dup]).groupby(ids[dup].to_numpy()).agg(lambda r: ", ".join(map(str, r)))
        rej.add(dup, lambda cid: f"案件编号 (case_id) '{cid}' 重复出现（第 {groups[cid]} 行），重复的记录不会合并 "
                                 f"(case_id '{cid}' appears more than once, rows {groups[cid]}; duplicates are never "
                                 "merged)", ids.to_numpy(dtype=object))


def _already_bad(rej: Rejections, miss: np.ndarray, name: str, zh: str) -> np.ndarray:
    """Cells already reported as unreadable should not also be reported as missing (their reasons begin
    with the column's names, ``罚款金额 (fine)：``)."""
    head = f"{zh} ({name})："
    out = np.zeros(len(miss), dtype=bool)
    for i in np.flatnonzero(miss):
        if any(r.startswith(head) for r in rej.reasons.get(int(i), [])):
            out[i] = True
    return out
