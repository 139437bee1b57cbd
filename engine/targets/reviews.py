"""What ``zhunsheng review`` found, as records related to entities: ``penalties`` (each evaluated penalty
decision) and ``findings`` (each finding), joined to the register by the party's unified social credit
code.

The review folder is verified first (``outset.reading``: every file matches its ``summary.json``, and
no run writes it meanwhile).  The party of a case is read, in this order, from a ``party_id`` of the
case line, its carried-through columns (``extra``: 当事人证件号, 统一社会信用代码), or the ``facts`` of
any of its findings; the fine and sanctions the same way.  A case whose party is not known, or is not
an entity of the register (an individual, another district), is counted as not joined, not rejected:
it is another command's output, not this command's input row.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from engine.errors import InputError
from engine.io.outset import reading
from engine.types import FieldType as T

PENALTY_SCHEMA = {"case_id": T.STRING, "date": T.DATE, "fine": T.NUMBER, "sanctions": T.LIST,
                  "provision": T.STRING, "department": T.STRING}
FINDING_SCHEMA = {"case_id": T.STRING, "code": T.STRING, "category": T.STRING, "severity": T.STRING,
                  "date": T.DATE, "record_kind": T.STRING}
_PARTY_KEYS = ("party_id", "当事人证件号", "统一社会信用代码", "当事人统一社会信用代码")
_FINE_KEYS = ("fine", "罚款金额")
_SANCTION_KEYS = ("sanctions", "其他处罚")
_SANCTION_CODES = {"警告": "warning", "没收非法财物": "confiscate_goods", "没收": "confiscate_goods",
                   "责令停产停业": "suspend", "停产停业": "suspend", "责令停业整顿": "suspend",
                   "吊销许可证": "revoke_license", "吊销许可证件": "revoke_license",
                   "吊销营业执照": "revoke_business_license"}


def _first(*dicts, keys):
    for d in dicts:
        if isinstance(d, dict):
            for k in keys:
                v = d.get(k)
                if v not in (None, ""):
                    return v
    return None


def _sanctions(value) -> str:
    if value is None:
        return ";"
    items = value if isinstance(value, list) else str(value).replace("；", ";").split(";")
    codes = [_SANCTION_CODES.get(str(i).strip(), str(i).strip()) for i in items if str(i).strip()]
    return ";" + ";".join(codes) + ";" if codes else ";"


def _lines(path: Path):
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise InputError(f"{path}: 第{i}行不是 JSON (line {i} is not JSON)") from None


def load_review(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(penalties, findings) of one review folder, each with ``entity_id`` (None when not known)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 审查结果文件夹不存在 (no such review folder)")
    with reading(folder, ("cases.jsonl", "findings.jsonl")):
        fast = _columnar(folder)
        if fast is not None:
            return fast
        cases = list(_lines(folder / "cases.jsonl"))
        findings = list(_lines(folder / "findings.jsonl"))
    facts_of: dict = {}
    for f in findings:
        if isinstance(f.get("facts"), dict):
            facts_of.setdefault(f.get("case_id"), []).append(f["facts"])
    pen_rows, party_of = [], {}
    for c in cases:
        cid = c.get("case_id")
        facts = facts_of.get(cid, [])
        party = _first(c, c.get("extra"), *facts, keys=_PARTY_KEYS)
        party_of[cid] = None if party is None else str(party).strip()
        if c.get("record_kind", "penalty") != "penalty" or c.get("status") != "evaluated":
            continue
        fine = _first(c, c.get("extra"), *facts, keys=_FINE_KEYS)
        try:
            fine = float(str(fine).replace(",", "")) if fine is not None else np.nan
        except ValueError:
            fine = np.nan
        pen_rows.append({"entity_id": party_of[cid], "case_id": cid, "date": c.get("event_date"), "fine": fine,
                         "sanctions": _sanctions(_first(c, c.get("extra"), *facts, keys=_SANCTION_KEYS)),
                         "provision": c.get("provision"), "department": c.get("department"),
                         "folder": str(folder), "row": c.get("row")})
    find_rows = [{"entity_id": party_of.get(f.get("case_id")) or _first(f, f.get("facts"), keys=_PARTY_KEYS),
                  "case_id": f.get("case_id"), "code": f.get("code"), "category": f.get("category"),
                  "severity": f.get("severity"), "date": f.get("event_date"), "record_kind": f.get("record_kind"),
                  "folder": str(folder), "row": f.get("row")} for f in findings]
    return _typed(pen_rows, PENALTY_SCHEMA), _typed(find_rows, FINDING_SCHEMA)


def _typed(rows, schema: dict) -> pd.DataFrame:
    """``rows``: dicts, one per record, or one list per column (the columnar reader)."""
    cols = ["entity_id", *schema, "folder", "row"]
    frame = pd.DataFrame(rows, columns=cols)
    for name, typ in schema.items():
        if typ == T.DATE:
            frame[name] = pd.to_datetime(frame[name], format="%Y-%m-%d", errors="coerce").to_numpy(
                dtype="datetime64[D]")
        elif typ == T.NUMBER:
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].astype("string")
    frame["entity_id"] = frame["entity_id"].astype("string").str.strip()
    return frame


# --- The columnar reader --------------------------------------------------------------------------
# Why: a million cases and a million findings read line by line into dicts cost about a minute and
# gigabytes of short-lived Python objects (the benchmark of issue 15).  Arrow's JSON reader parses
# both files in native code; the party, fine and sanctions are then picked column-wise in the same
# order as ``_first`` (the case, its ``extra``, then its findings' ``facts`` in file order), and the
# conversions of ``load_review`` are applied once per distinct value, never per line.  Whatever this
# reader cannot take exactly as the line reader would (a field that is sometimes text and sometimes
# a number, a missing ``record_kind``, repeated or missing case ids, unexpected value types) sends
# the folder to the line reader, which stays the definition.

_TEXT = ("case_id", "status", "record_kind", "event_date", "provision", "department", "code", "category",
         "severity", "party_id")


class _Unsure(Exception):
    """The files hold something the columnar reader does not take exactly as the line reader."""


def _read_json(path: Path):
    import pyarrow as pa
    import pyarrow.json as pj
    opts = pj.ParseOptions(explicit_schema=pa.schema([(n, pa.string()) for n in _TEXT]),
                           unexpected_field_behavior="infer")
    try:
        return pj.read_json(path, parse_options=opts)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise _Unsure(str(e)) from None


def _field(table, *path):
    """The column at ``path`` (a top-level name, then struct fields), or None when no line has it; a
    level that is not an object on some line (text where others have an object) is refused."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if path[0] not in table.column_names:
        return None
    col = table.column(path[0]).combine_chunks()
    for name in path[1:]:
        if pa.types.is_null(col.type):
            return None
        if not pa.types.is_struct(col.type):
            raise _Unsure(f"{path[0]} is not an object")
        if col.type.get_field_index(name) < 0:
            return None
        col = pc.struct_field(col, name)      # null where the parent object is null
    return col


def _check(col, kinds: tuple):
    import pyarrow as pa
    if col is None:
        return None
    t = col.type
    ok = (pa.types.is_null(t) or ("text" in kinds and (pa.types.is_string(t) or pa.types.is_large_string(t)))
          or ("number" in kinds and (pa.types.is_integer(t) or pa.types.is_floating(t)))
          or ("list" in kinds and pa.types.is_list(t) and (pa.types.is_string(t.value_type)
                                                           or pa.types.is_null(t.value_type))))
    if not ok:
        raise _Unsure(f"unexpected type {t}")
    return col


def _present(col) -> np.ndarray:
    """Where ``_first`` takes a value: not null, and not the empty text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        valid &= np.asarray(pc.fill_null(pc.not_equal(col, ""), False).to_numpy(zero_copy_only=False), dtype=bool)
    return valid


def _objects(col) -> np.ndarray:
    """Python values of an Arrow column, as the line reader has them (text and numbers: through a
    dictionary of the distinct values when there are few)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    n = len(col)
    if pa.types.is_null(col.type):
        return np.full(n, None, dtype=object)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col.to_numpy(zero_copy_only=False)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        enc = pc.dictionary_encode(col)
        values = np.empty(len(enc.dictionary) + 1, dtype=object)
        values[:-1] = enc.dictionary.to_pylist()
        values[-1] = None
        idx = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        return values[idx]
    out = np.empty(n, dtype=object)
    for i, v in enumerate(col.to_pylist()):     # lists: one by one, or numpy would make a 2-D array
        out[i] = v
    return out


def _first_of(columns: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(value, taken) per row: the first column in order with a value there."""
    out = np.full(n, None, dtype=object)
    taken = np.zeros(n, dtype=bool)
    for col in columns:
        if col is None:
            continue
        take = _present(col) & ~taken
        if take.any():
            idx = np.flatnonzero(take)
            out[idx] = _objects(col.take(idx))
            taken |= take
    return out, taken


def _per_distinct(values: np.ndarray, fn) -> np.ndarray:
    """``fn`` of each value, worked once per distinct value (lists, which do not hash: one by one)."""
    try:
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values.tolist()):
            out[i] = fn(v)
        return out
    res = np.empty(len(uniq) + 1, dtype=object)
    for i, v in enumerate(list(uniq) + [None]):
        res[i] = fn(v)
    return res[codes]


def _by_case(case_ids: np.ndarray, case_values, f_ids, f_values, f_taken):
    """Per case, the case's own value where taken, else the first finding of that case (file order)
    that has one: ``_first`` over ``[case, extra, *facts]``."""
    value, taken = case_values
    if (~taken).any() and f_taken.any():
        fi = np.flatnonzero(f_taken)
        first = pd.Series(fi, index=pd.Index(f_ids[fi])).groupby(level=0, sort=False).first()
        need = np.flatnonzero(~taken)
        at = first.reindex(case_ids[need]).to_numpy()
        ok = ~np.isnan(at)
        value = value.copy()
        value[need[ok]] = f_values[at[ok].astype(np.int64)]
        taken = taken.copy()
        taken[need[ok]] = True
    return value, taken


def _same(text: str, n: int) -> pd.Series:
    """A column of one text, typed as pandas infers it from the line reader's dicts."""
    return pd.Series(np.full(n, text, dtype=object), dtype="str")


def _columnar(folder: Path):
    import pyarrow as pa
    try:
        return _columnar_read(folder)
    except (_Unsure, pa.ArrowException):
        return None


def _columnar_read(folder: Path):
    import pyarrow as pa
    import pyarrow.compute as pc
    ct = _read_json(folder / "cases.jsonl")
    ft = _read_json(folder / "findings.jsonl")
    n, m = ct.num_rows, ft.num_rows
    case_id = ct.column("case_id").combine_chunks()
    f_case = ft.column("case_id").combine_chunks()
    if case_id.null_count or f_case.null_count or (n and pc.count_distinct(case_id).as_py() != n):
        raise _Unsure("missing or repeated case ids")
    kind = ct.column("record_kind").combine_chunks()
    if kind.null_count:        # absent (a penalty) and null (not one) read alike here
        raise _Unsure("record_kind missing on some lines")
    cids = case_id.to_numpy(zero_copy_only=False)
    fids = f_case.to_numpy(zero_copy_only=False)

    def sources(table, keys, kinds, nested):
        cols = [_check(_field(table, k), kinds) for k in keys]
        cols += [_check(_field(table, nested, k), kinds) for k in keys]
        return cols

    def facts_only(keys, kinds):
        return [_check(_field(ft, "facts", k), kinds) for k in keys]

    def picked(keys, kinds):
        case = _first_of(sources(ct, keys, kinds, "extra"), n)
        fv, ftaken = _first_of(facts_only(keys, kinds), m)
        return _by_case(cids, case, fids, fv, ftaken)

    party, has_party = picked(_PARTY_KEYS, ("text",))
    party = np.where(has_party, _per_distinct(party, lambda v: None if v is None else str(v).strip()), None)
    fine, _ = picked(_FINE_KEYS, ("text", "number"))

    def to_fine(v):
        try:
            return float(str(v).replace(",", "")) if v is not None else np.nan
        except ValueError:
            return np.nan
    fine = _per_distinct(fine, to_fine)
    sanctions, _ = picked(_SANCTION_KEYS, ("text", "list"))
    sanctions = _per_distinct(sanctions, _sanctions)

    status = ct.column("status").combine_chunks()
    is_pen = np.asarray(pc.fill_null(pc.equal(status, "evaluated"), False).to_numpy(zero_copy_only=False), dtype=bool)
    is_pen &= np.asarray(pc.fill_null(pc.equal(kind, "penalty"), False).to_numpy(zero_copy_only=False), dtype=bool)
    pi = np.flatnonzero(is_pen)
    take = pa.array(pi)
    folder_s = str(folder)

    def col(table, name, idx=None):
        c = _field(table, name)
        if c is None:
            return np.full(len(idx) if idx is not None else table.num_rows, None, dtype=object)
        c = _check(c, ("text", "number"))
        if idx is not None:
            c = c.take(idx)
        if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
            return pd.array(c, dtype="string")       # what ``_typed`` makes of the text, without objects
        return _objects(c)

    # typed columns as object arrays (``_typed`` converts them); ``folder`` and ``row`` as lists, so
    # pandas infers their types as it does from the line reader's dicts
    pen = {"entity_id": party[pi], "case_id": cids[pi],
           "date": col(ct, "event_date", take), "fine": fine[pi].astype(np.float64),
           "sanctions": sanctions[pi], "provision": col(ct, "provision", take),
           "department": col(ct, "department", take), "folder": _same(folder_s, len(pi)),
           "row": col(ct, "row", take).tolist()}

    # a finding's party: its case's (file's last case of that id; ids are distinct here), else its own
    at = pd.Index(cids).get_indexer(fids) if m else np.zeros(0, np.int64)
    of_case = np.full(m, None, dtype=object)
    of_case[at >= 0] = party[at[at >= 0]]
    empty = np.array([v is None or v == "" for v in of_case.tolist()], dtype=bool)
    own, _ = _first_of([_check(_field(ft, k), ("text",)) for k in _PARTY_KEYS]
                       + [_check(_field(ft, "facts", k), ("text",)) for k in _PARTY_KEYS], m)
    ent = np.where(empty, own, of_case)
    find = {"entity_id": ent, "case_id": fids, "code": col(ft, "code"),
            "category": col(ft, "category"), "severity": col(ft, "severity"), "date": col(ft, "event_date"),
            "record_kind": col(ft, "record_kind"), "folder": _same(folder_s, m), "row": col(ft, "row").tolist()}
    return _typed(pen, PENALTY_SCHEMA), _typed(find, FINDING_SCHEMA)
