"""Licensing applications against the audited approval catalogue (review --catalog).

Review audits the catalogue first (engine.catalog) and treats only retained
rows as lawful: an item is listed for a department when a retained row of it
is in force on the date the application was received; a precondition or a
mandatory intermediary service may be demanded only if a retained row names
it for the item.  The item's own attributes (statutory and committed limits,
超时默认, fee basis) are attached to each application as derived columns, so
the deadline rules can read them like any other field.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import cites
from engine.findings import FindingBatch, objects

ITEM_ATTRIBUTES = ("statutory_limit_wd", "committed_limit_wd", "deemed_approval", "fee_basis")


def _pairs(a, b) -> tuple[np.ndarray, list[tuple]]:
    """Per row an index into the distinct (a, b) value pairs, and those pairs (stripped text, "" for none):
    string work once per distinct pair, not per row."""
    ac, au = pd.factorize(a if isinstance(a, pd.Series) else pd.Series(a, dtype=object), use_na_sentinel=True)
    bc, bu = pd.factorize(b if isinstance(b, pd.Series) else pd.Series(b, dtype=object), use_na_sentinel=True)
    width = len(bu) + 1
    uniq, inverse = np.unique((ac.astype(np.int64) + 1) * width + (bc + 1), return_inverse=True)
    pairs = [("" if i == 0 else str(au[i - 1]).strip(), "" if j == 0 else str(bu[j - 1]).strip())
             for i, j in zip((uniq // width).tolist(), (uniq % width).tolist())]
    return inverse.reshape(-1), pairs


def _key(department, item) -> tuple[np.ndarray, list[str]]:
    """Per row an index into the distinct "department\x1fitem" keys, and the keys."""
    inverse, pairs = _pairs(department, item)
    return inverse, [d + "\x1f" + i for d, i in pairs]


class CatalogueView:
    """The retained catalogue, indexed for the questions review asks of each application."""

    def __init__(self, retained: pd.DataFrame, source: str):
        self.source = source
        r = retained.reset_index(drop=True)
        self.rows = r
        pre = r["precondition_code"].astype(object)
        has_pre = pre.notna() & (pre.astype(str).str.strip() != "")
        inter = r["is_intermediary"].astype(bool) if "is_intermediary" in r else pd.Series(False, index=r.index)
        inv, keys = _key(r["department"], r["item_code"])
        r = r.assign(__key=np.array(keys, dtype=object)[inv], __own=~has_pre)
        self.listing = r[["__key", "valid_from", "valid_to"]].drop_duplicates()
        # item attributes: the item's own row first, else the first row that gives a value
        ordered = r.sort_values("__own", ascending=False, kind="stable")
        self.attributes = ordered.groupby("__key")[list(ITEM_ATTRIBUTES)].first()
        mandatory = inter & (r["intermediary_mandatory"].astype(bool) | r["designated_intermediary"].astype(bool))
        self.preconditions = set(zip(r["item_code"][has_pre & ~inter], pre[has_pre & ~inter].astype(str)))
        self.intermediaries = set(zip(r["item_code"][has_pre & mandatory], pre[has_pre & mandatory].astype(str)))

    def listed(self, department, item, dates) -> np.ndarray:
        inverse, keys = _key(department, item)
        listing = self.listing.assign(k=pd.Index(keys).get_indexer(self.listing["__key"]))
        recs = pd.DataFrame({"i": np.arange(len(item)), "k": inverse, "date": dates})
        hit = recs.merge(listing[listing["k"] >= 0][["k", "valid_from", "valid_to"]], on="k", how="inner")
        when = hit["date"].to_numpy().astype("datetime64[D]")
        a = hit["valid_from"].to_numpy().astype("datetime64[D]")
        b = hit["valid_to"].to_numpy().astype("datetime64[D]")
        ok = (np.isnat(a) | (when >= a)) & (np.isnat(b) | (when <= b))
        out = np.zeros(len(item), dtype=bool)
        out[hit["i"].to_numpy()[ok]] = True
        return out

    def attach(self, frame: pd.DataFrame, listed: np.ndarray):
        """Set the derived item columns on the applications (NaN/False/None where the item is unlisted)."""
        inverse, keys = _key(frame["department"], frame["item_code"])
        attrs = self.attributes.reindex(keys)            # one row per distinct key, spread by index
        frame["item_listed"] = listed
        for name in ("statutory_limit_wd", "committed_limit_wd"):
            frame[name] = np.where(listed, attrs[name].to_numpy(dtype=float, na_value=np.nan)[inverse], np.nan)
        frame["deemed_approval"] = listed & attrs["deemed_approval"].fillna(False).to_numpy(dtype=bool)[inverse]
        frame["fee_basis"] = np.where(listed, attrs["fee_basis"].to_numpy(dtype=object)[inverse], None)


def _code_lists(ev, column: str):
    """Distinct (item_code, code list) pairs of the rows: sets are compared once per pair, not per row."""
    return _pairs(ev.frame["item_code"], ev.frame[column])


def catalogue_findings(ev, view: CatalogueView):
    rs = ev.ruleset
    ok = ev.evaluated
    received = ev.column("received_date")
    listed = view.listed(ev.frame["department"], ev.frame["item_code"], received)
    view.attach(ev.frame, listed)

    if rs.value("unlisted_item_check"):
        rows = np.flatnonzero(ok & ~listed)
        if len(rows):
            d = np.datetime_as_string(received[rows], unit="D").tolist()
            items, depts = ev._take("item_code", rows), ev._take("department", rows)
            yield FindingBatch(
                "overreach.unlisted_item", rows, facts=("item_code", "department", "received_date"),
                expected={"requirement": "an item the audited catalogue retains for the department on that date"},
                actual={"item_code": items, "catalogue": view.source},
                message_zh=[f"“{i}”在{x}不在{dep or '(未填部门)'}经清理保留的审批目录内：清单之外不得实施行政许可"
                            for i, x, dep in zip(items.tolist(), d, depts.tolist())],
                message_en=[f"item '{i}' is not in the audited catalogue of {dep or '(no department)'} on {x}"
                            for i, x, dep in zip(items.tolist(), d, depts.tolist())],
                citations=cites(rs.param("unlisted_item_check").citation))

    judged = ok & listed
    for column, allowed, code, param, zh_what, en_what in (
            ("preconditions", view.preconditions, "overreach.unlisted_precondition", "unlisted_precondition_check",
             "前置条件", "precondition"),
            ("intermediaries", view.intermediaries, "overreach.mandatory_intermediary", "mandatory_intermediary_check",
             "中介服务", "intermediary service")):
        if not rs.value(param):
            continue
        pair_codes, pairs = _code_lists(ev, column)
        extra_per_pair = [[c for c in lst.strip(";").split(";") if c and (item, c) not in allowed]
                          for item, lst in pairs]
        bad_pair = np.array([bool(e) for e in extra_per_pair] + [False], dtype=bool)
        rows = np.flatnonzero(judged & bad_pair[pair_codes])
        if not len(rows):
            continue
        extra = objects([extra_per_pair[p] for p in pair_codes[rows]])
        retained: dict[str, list] = {}
        for i, c in sorted(allowed):
            retained.setdefault(i, []).append(c)
        items = ev._take("item_code", rows)
        yield FindingBatch(
            code, rows, facts=("item_code", column),
            expected={f"retained_{column}": objects([retained.get(it, []) for it in items])},
            actual={f"unlisted_{column}": extra},
            message_zh=[f"办理“{it}”要求了审批目录未保留的{zh_what}：{'、'.join(e)}"
                        for it, e in zip(items.tolist(), extra)],
            message_en=[f"'{it}' demanded {en_what}(s) the audited catalogue does not retain: {', '.join(e)}"
                        for it, e in zip(items.tolist(), extra)],
            citations=cites(rs.param(param).citation))

    if rs.value("fee_without_basis_check"):
        fee = np.nan_to_num(ev.column("fee_charged").astype(float))
        basis = ev.frame["fee_basis"].astype(object)
        text = basis.where(basis.notna(), "").astype(str).str.strip()
        no_basis = text.isin(["", "无", "none", "nan"]).to_numpy()
        rows = np.flatnonzero(judged & (fee > 0) & no_basis)
        if len(rows):
            items = ev._take("item_code", rows)
            yield FindingBatch(
                "overreach.fee_without_basis", rows, facts=("item_code", "fee_charged"),
                expected={"fee": 0, "requirement": "no fee unless a 法律 or 行政法规 provides one"},
                actual={"fee_charged": fee[rows]},
                message_zh=[f"“{it}”在审批目录中没有收费依据，却收取费用{f:,.2f}元".replace(".00元", "元")
                            for it, f in zip(items.tolist(), fee[rows].tolist())],
                message_en=[f"'{it}' has no fee basis in the catalogue but {f:,.2f} yuan was charged"
                            for it, f in zip(items.tolist(), fee[rows].tolist())],
                citations=cites(rs.param("fee_without_basis_check").citation))
