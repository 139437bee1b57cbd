"""The approval-catalogue clean-up audit: read, validate column-wise, judge every row, write reports.

Public API (used by ``review --catalog`` too):

    raw = read_catalog(path)                       # the file as read, plus ``__row__``
    result = audit_catalog(raw, as_of, rules_dir)  # CatalogAudit: rows, retained, rejected, summary
    write_audit(result, out_dir, excel=None)       # audit.jsonl/.csv, retained.csv, rejected.csv, summary.json

Every row is either rejected (a cell cannot be read, a required fact is
missing, a duplicate, limits out of order ...) or judged: ``retain`` when no
clean-up reason applies, ``cancel`` with every reason that does.  The reasons
and their conditions come from ``rules/catalog/cleanup.yaml``; nothing here
knows a basis level or a reason code by name.  All checks run over whole
columns; cell parsing runs once per distinct value (``pd.factorize``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.catalog.rules import CleanupRules, load_cleanup
from engine.catalog.schema import CATALOG, COLUMNS, DECISION_COLUMNS, DERIVED, REQUIRED, ROW_KINDS, ZH
from engine.errors import InputError
from engine.io.readers import ROW, SOURCE, read_table
from engine.io.reports import citation_text
from engine.powers import missing_columns_message
from engine.records.frame import Records, Rejections, canonical_headers, normalize
from engine.types import FieldType as T

KIND_ZH = {"item": "事项本身", "precondition": "前置条件", "intermediary": "中介服务"}
VERDICT_ZH = {"retain": "保留", "cancel": "取消"}


@dataclass
class CatalogAudit:
    """The judged catalogue.

    ``rows``: every row that was judged (not rejected), in input order: the
    canonical typed columns (dates datetime64 at day precision with NaT, bools
    bool, limits float with NaN, text object with None), extra input columns as
    read, ``__row__``, ``row_kind`` (item/precondition/intermediary),
    ``verdict`` (retain/cancel), ``reasons`` (list of codes), ``citations``
    (list of dicts) and ``item_cancelled`` (the row's item row was cancelled).
    ``retained`` is the retained subset of ``rows``; ``rejected`` has ``row``,
    ``item_code``, ``reason``; ``summary`` the counts (summary.json).
    """
    rows: pd.DataFrame
    retained: pd.DataFrame
    rejected: pd.DataFrame
    summary: dict
    as_of: dt.date
    rules: CleanupRules
    raw: pd.DataFrame = field(repr=False)          # the input as read (retained.csv comes from it)
    input_columns: list = field(default_factory=list)
    positions: np.ndarray = field(default=None, repr=False)  # rows' positions in ``raw``

    @property
    def retained_raw(self) -> pd.DataFrame:
        """The retained rows as given: the input's own columns and cell values (the list to publish)."""
        pos = self.positions[(self.rows["verdict"] == "retain").to_numpy()]
        return self.raw.iloc[pos][self.input_columns].reset_index(drop=True)


# -- reading ------------------------------------------------------------------------------------
def read_catalog(path) -> pd.DataFrame:
    """The catalogue file as read (CSV UTF-8/BOM/GBK, Excel, Parquet, JSON Lines) with ``__row__``."""
    return read_table(Path(path))


def _normalize(raw: pd.DataFrame) -> Records:
    """The shared column-wise validation (``engine.records.frame.normalize``) over ``CATALOG``;
    a catalogue without a column for every required field is an InputError."""
    frame = canonical_headers(raw.reset_index(drop=True), CATALOG)
    missing = [n for n in (*REQUIRED, *DECISION_COLUMNS) if n not in frame.columns]
    if missing:
        why = ("a blank yes/no cell reads 否, a missing yes/no column is not assumed"
               if set(missing) & set(DECISION_COLUMNS) else "")
        raise InputError(missing_columns_message(CATALOG, missing, _input_columns(raw), "审批事项目录",
                                                 "approval catalogue", why))
    # duplicates are (item_code, precondition_code) pairs, checked below
    return normalize(frame, CATALOG, check_duplicates=False)


def _input_columns(raw: pd.DataFrame) -> list:
    """The file's own columns (not the reader's row number, source and JSON error)."""
    return [c for c in raw.columns if c not in (ROW, SOURCE, "__json_error__")]


# -- the audit ---------------------------------------------------------------------------------------
def audit_catalog(raw: pd.DataFrame, as_of: dt.date, rules_dir: Path | None = None,
                  rules: CleanupRules | None = None) -> CatalogAudit:
    """Judge every catalogue row against the clean-up rules in force (``rules_dir``/catalog/cleanup.yaml)."""
    rules = rules or load_cleanup(rules_dir)
    records = _normalize(raw)        # unreadable cells, missing required facts, valid_to before valid_from
    rej = records.rejections
    typed = records.frame.drop(columns=[c.name for c in DERIVED])
    n = len(typed)
    cols = {c.name: typed[c.name].to_numpy() for c in COLUMNS}

    item_row = pd.isna(cols["precondition_code"])
    kind = np.where(item_row, "item", np.where(cols["is_intermediary"], "intermediary", "precondition"))
    rej.add(item_row & cols["is_intermediary"],
            "事项行（未填前置条件编码）不能是中介服务 (an item row, with no precondition_code, cannot be an intermediary service: is_intermediary)")
    st, cm = cols["statutory_limit_wd"], cols["committed_limit_wd"]
    with np.errstate(invalid="ignore"):
        over = cm > st
    rej.add(over, lambda i: (f"承诺时限 (committed_limit_wd) {cm[i]:g} 个工作日长于法定时限 (statutory_limit_wd) "
                             f"{st[i]:g} 个工作日 (the committed limit is longer than the statutory one)"),
            np.arange(n))
    _reject_duplicates(typed, cols, rej)

    frame = _expression_frame(typed, rules, as_of)
    masks = {k: kind == k for k in ROW_KINDS}
    for t in rules.triggers:
        if t.requires is None:
            continue
        fields, cond = t.requires
        scope = masks[t.kind] & cond.evaluate(frame)
        for f in fields:
            rej.add(scope & pd.isna(cols[f]),
                    f"{ZH[f]} ({f})：缺少，{t.code} 需要此项（{'；'.join(c.short() for c in t.citations)}） "
                    f"(is missing: {t.code} needs it)")

    ok = ~rej.mask
    bits = np.zeros(n, dtype=np.int64)
    for ti, t in enumerate(rules.triggers):
        hit = masks[t.kind] & ok & np.asarray(t.condition.evaluate(frame), dtype=bool)
        bits[hit] |= np.int64(1) << ti
    # a cancelled item row cancels every row of its item (with the item's reasons)
    codes = cols["item_code"]
    cancelled_items = ok & item_row & (bits != 0)
    item_bits = pd.Series(bits[cancelled_items], index=codes[cancelled_items])
    inherit = pd.Series(codes).map(item_bits).to_numpy(dtype=float, na_value=0.0).astype(np.int64)
    inherit[item_row | ~ok] = 0
    total = bits | inherit

    keep = np.flatnonzero(ok)
    rows = typed.iloc[keep].reset_index(drop=True)
    rows.insert(len(COLUMNS), "row_kind", kind[keep])
    t_keep = total[keep]
    uniq, inv = np.unique(t_keep, return_inverse=True)
    labels = [_combination(rules, int(u)) for u in uniq]
    rows["verdict"] = np.where(t_keep != 0, "cancel", "retain")
    rows["reasons"] = [list(labels[i][0]) for i in inv]
    rows["citations"] = [[dict(c) for c in labels[i][1]] for i in inv]
    rows["item_cancelled"] = inherit[keep] != 0
    for c in COLUMNS:  # text as object with None (not pandas' string dtype with NaN)
        if c.type == T.STRING:
            rows[c.name] = _object_text(cols[c.name][keep])

    bad = np.flatnonzero(rej.mask)
    rejected = pd.DataFrame({"row": typed[ROW].to_numpy()[bad],
                             "item_code": _object_text(codes[bad]),
                             "reason": [rej.text(i) for i in bad]})
    retained = rows[rows["verdict"] == "retain"].reset_index(drop=True)
    summary = _summary(rows, rejected, cols["department"][bad], rules, as_of, n)
    return CatalogAudit(rows, retained, rejected, summary, as_of, rules, raw.reset_index(drop=True),
                        _input_columns(raw), keep)


def _object_text(values: np.ndarray) -> pd.Series:
    arr = np.asarray(values, dtype=object)
    return pd.Series(np.where(pd.isna(arr), None, arr), dtype=object)


def _reject_duplicates(typed: pd.DataFrame, cols: dict, rej: Rejections):
    """Every row of an (item_code, precondition_code) pair given twice, naming all its rows."""
    code, pre = cols["item_code"], cols["precondition_code"]
    key = pd.DataFrame({"i": code, "p": np.where(pd.isna(pre), "", pre.astype(object))})
    dup = key.duplicated(keep=False).to_numpy() & ~pd.isna(code)
    if not dup.any():
        return
    rows = typed[ROW].to_numpy()
    groups = pd.Series(rows[dup]).groupby([key["i"].to_numpy()[dup], key["p"].to_numpy()[dup]]).agg(
        lambda r: ", ".join(map(str, r)))
    keys = list(zip(key["i"].to_numpy(), key["p"].to_numpy()))

    def reason(i):
        c, p = keys[i]
        zh = f"事项 '{c}' 的前置条件 '{p}'" if p else f"事项 '{c}'（事项行）"
        en = f"precondition '{p}' of item '{c}'" if p else f"item '{c}' (its item row)"
        return (f"{zh}重复出现（第 {groups[(c, p)]} 行），重复的记录不会合并 "
                f"({en} appears more than once, rows {groups[(c, p)]}; duplicates are never merged)")
    rej.add(dup, reason, np.arange(len(keys)))


def _expression_frame(typed: pd.DataFrame, rules: CleanupRules, as_of: dt.date) -> pd.DataFrame:
    """The typed columns plus the derived fields the conditions may name (``DERIVED``)."""
    basis = pd.Series(typed["basis_date"].to_numpy().astype("datetime64[s]"))
    return typed.assign(
        statutory_basis=typed["basis_level"].isin(rules.statutory_levels).to_numpy(dtype=bool),
        as_of=np.full(len(typed), np.datetime64(as_of, "D")),
        temporary_period_end=(basis + pd.DateOffset(years=rules.period_years)).to_numpy().astype("datetime64[D]"))


def _combination(rules: CleanupRules, bits: int) -> tuple[list[str], list[dict], str]:
    """Reason codes (rule-file order), citations (as JSON, each once) and citation text for a bit set."""
    hit = [t for i, t in enumerate(rules.triggers) if bits >> i & 1]
    order = {c: i for i, c in enumerate(rules.codes)}
    codes = sorted({t.code for t in hit}, key=order.__getitem__)
    cites = list(dict.fromkeys(c for code in codes for t in hit if t.code == code for c in t.citations))
    return codes, [c.as_json() for c in cites], "；".join(c.short() for c in cites)


def _summary(rows: pd.DataFrame, rejected: pd.DataFrame, rejected_depts, rules: CleanupRules,
             as_of: dt.date, n: int) -> dict:
    cancel = rows["verdict"] == "cancel"
    by_reason = {code: 0 for code in rules.codes}
    for rs in rows.loc[cancel, "reasons"]:
        for r in rs:
            by_reason[r] += 1
    by_kind = {}
    for k in ROW_KINDS:
        m = rows["row_kind"] == k
        by_kind[k] = {"retained": int((m & ~cancel).sum()), "cancelled": int((m & cancel).sum())}
    depts: dict[str, dict] = {}

    def dept(name):
        key = name if isinstance(name, str) and name else "(未填写 missing)"
        return depts.setdefault(key, {"retained": 0, "cancelled": 0, "rejected": 0, "by_reason": {}})
    for d, verdict, rs in zip(rows["department"], rows["verdict"], rows["reasons"]):
        s = dept(d)
        s["retained" if verdict == "retain" else "cancelled"] += 1
        for r in rs:
            s["by_reason"][r] = s["by_reason"].get(r, 0) + 1
    for d in rejected_depts:
        dept(d)["rejected"] += 1
    retained, cancelled = int((~cancel).sum()), int(cancel.sum())
    return {
        "as_of": as_of.isoformat(), "rules": str(rules.path), "input_rows": int(n),
        "retained": retained, "cancelled": cancelled, "rejected": int(len(rejected)),
        "by_verdict": {"retain": retained, "cancel": cancelled, "rejected": int(len(rejected))},
        "by_reason": by_reason, "by_kind": by_kind,
        "items_cancelled": int(((rows["row_kind"] == "item") & cancel).sum()),
        "by_department": dict(sorted(depts.items())),
    }


# -- reports -----------------------------------------------------------------------------------------
AUDIT_FIELDS = ("row", "item_code", "item_name", "item_type", "department", "precondition_code",
                "precondition_name", "row_kind", "basis_level", "verdict", "reasons", "citations",
                "item_cancelled")
AUDIT_HEADERS_ZH = {
    "row": "原始行号", "item_code": "事项编码", "item_name": "事项名称", "item_type": "事项类型",
    "department": "实施部门", "precondition_code": "前置条件编码", "precondition_name": "前置条件名称",
    "row_kind": "类别", "basis_level": "设定依据层级", "verdict": "审查结论", "reasons": "取消理由",
    "citations": "法律依据", "item_cancelled": "随事项取消",
}
REJECTED_HEADERS_ZH = {"row": "原始行号", "item_code": "事项编码", "reason": "拒收原因"}


def audit_records(result: CatalogAudit):
    """One dict per judged row, the audit.jsonl contract."""
    r = result.rows
    cols = {f: r[f if f != "row" else ROW].tolist() for f in AUDIT_FIELDS}
    for i in range(len(r)):
        yield {f: cols[f][i] for f in AUDIT_FIELDS}


def audit_table_zh(result: CatalogAudit) -> pd.DataFrame:
    """audit.csv / the Excel sheet: Chinese headers, reasons and citations as readable text."""
    rules = result.rules
    r = result.rows
    out = pd.DataFrame({f: r[f if f != "row" else ROW].to_numpy() for f in AUDIT_FIELDS
                        if f not in ("reasons", "citations")})
    out["row_kind"] = out["row_kind"].map(lambda k: f"{KIND_ZH[k]} ({k})")
    out["verdict"] = out["verdict"].map(lambda v: f"{VERDICT_ZH[v]} ({v})")
    out["item_cancelled"] = np.where(r["item_cancelled"].to_numpy(), "是", "")
    out["reasons"] = ["；".join(f"{rules.reason(c).zh} ({c})" for c in rs) for rs in r["reasons"]]
    out["citations"] = [citation_text(cs) for cs in r["citations"]]
    return out[list(AUDIT_FIELDS)].rename(columns=AUDIT_HEADERS_ZH)


def write_audit(result: CatalogAudit, out_dir: Path, excel: Path | None = None) -> dict:
    """Write every report atomically (each file complete or absent); returns the summary."""
    from engine.io.reports import write_csv, write_json, write_jsonl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "audit.jsonl", audit_records(result))
    table = audit_table_zh(result)
    write_csv(out_dir / "audit.csv", table)
    retained = result.retained_raw
    write_csv(out_dir / "retained.csv", retained)
    write_csv(out_dir / "rejected.csv", result.rejected)
    write_json(out_dir / "summary.json", result.summary)
    if excel is not None:
        write_audit_workbook(result, table, Path(excel))
    return result.summary


# catalogue columns that hold dates or numbers of days (the rest is text as the catalogue wrote it)
_AUDIT_KINDS = {"原始行号": "int", "依据施行日期": "date", "有效期起": "date", "有效期止": "date",
                "法定时限(工作日)": "count", "承诺时限(工作日)": "count"}


def write_audit_workbook(result: CatalogAudit, table: pd.DataFrame, excel: Path) -> None:
    """The audit as a workbook a legal-affairs office works in (engine.report.xlsx: typed cells, frozen
    header, filters, widths; cells from the catalogue never become formulas)."""
    from engine.report.labels import department
    from engine.report.xlsx import frame_sheet, write_book
    rules = result.rules
    reasons = pd.DataFrame([{"取消理由代码": c, "取消理由": rules.reason(c).zh, "Reason": rules.reason(c).en,
                             "行数": int(result.summary["by_reason"].get(c, 0))} for c in rules.codes])
    depts = pd.DataFrame([{"实施部门": department(d), "保留": s["retained"], "取消": s["cancelled"],
                           "拒收": s["rejected"], **{rules.reason(c).zh: s["by_reason"].get(c, 0) for c in rules.codes}}
                          for d, s in result.summary["by_department"].items()])
    table = table.assign(实施部门=table["实施部门"].map(department))
    retained = result.retained_raw
    if "实施部门" in retained.columns:
        retained = retained.assign(实施部门=retained["实施部门"].map(department))
    long = {"取消理由": 50, "法律依据": 40, "设定依据": 36, "拒收原因": 80}
    write_book(excel, [
        frame_sheet("审查结果", table, _AUDIT_KINDS, widths=long),
        frame_sheet("保留目录", retained, _AUDIT_KINDS, widths=long),
        frame_sheet("拒收记录", result.rejected.rename(columns=REJECTED_HEADERS_ZH), _AUDIT_KINDS, widths=long),
        frame_sheet("取消理由汇总", reasons, widths={"Reason": 50}),
        frame_sheet("部门汇总", depts)])
