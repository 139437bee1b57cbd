"""From the alternatives of partial records back to one answer per record: definite, possible, open.

Input: the evaluation of the complete rows (partial rows held out) and the
evaluation of the partial rows' alternatives (engine.penalty.alternatives).
Output, on the first: per partial row the definite findings (holding in every
alternative where the check applies), the possible ones with the facts that
would decide them, the lawful range over all alternatives (its maximum may be
unbounded: a multiple of an amount nobody stated), the tiers possible under
some alternative, the version where the alternatives agree on it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.checks.common import yuan
from engine.findings import CODES, FindingBatch, objects
from engine.penalty import tiers as T
from engine.penalty.alternatives import BARRING, LOCAL
from engine.penalty.decisions import FINE, SIZE
from engine.records.schema import ZH

_LOCAL_OF: dict[str, list] = {}
for _fact, _codes in LOCAL.items():
    for _code in ((_codes,) if isinstance(_codes, str) else _codes):
        _LOCAL_OF.setdefault(_code, []).append(_fact)
_CODE_WORDS = {"individual": ("个人", "an individual"), "organization": ("单位", "an organization"),
               "ordinary": ("普通程序", "ordinary procedure"), "simple": ("简易程序", "simple procedure"),
               "none": ("无危害后果", "no harm"), "minor": ("轻微", "minor"), "general": ("一般", "general"),
               "serious": ("严重", "serious"), True: ("是", "yes"), False: ("否", "no"),
               "party": ("当事人", "the party"), "principal": ("主要负责人", "the principal"),
               "responsible_person": ("责任人员", "a responsible person")}


def settle(ev, ax, alt) -> None:
    """Write the partial rows' answers into ``ev`` (the evaluation of all rows, partial ones held out).

    Column-wise over the alternatives: per code, which alternatives hold it (bincount per row), per
    blank fact, which of its values never hold it (bincount per row and value); Python only per finding."""
    org = alt.origin
    m = len(org)
    valid = ~ax.records.rejections.mask
    rows, ri = np.unique(org, return_inverse=True)
    nr = len(rows)
    hold: dict[str, np.ndarray] = {}
    where: dict[tuple, tuple] = {}          # (alternative, code) -> (batch index, position), first found
    for bi, b in enumerate(ax.findings.batches):
        h = hold.setdefault(b.code, np.zeros(m, dtype=bool))
        h[b.rows] = True
        for pos, r in enumerate(b.rows.tolist()):
            where.setdefault((r, b.code), (bi, pos))
    barred = np.zeros(m, dtype=bool)
    for c in BARRING:
        if c in hold:
            barred |= hold[c]
    live = valid & ~barred
    has_live = np.bincount(ri, weights=live, minlength=nr) > 0
    has_valid = np.bincount(ri, weights=valid, minlength=nr) > 0
    order = np.argsort(ri, kind="stable")
    starts = np.searchsorted(ri[order], np.arange(nr))
    ends = np.append(starts[1:], m)

    n = ev.n
    ev.partial = np.zeros(n, dtype=bool)
    ev.partial[rows] = True
    ev.possible_codes = np.full(n, None, dtype=object)
    ev.undetermined = np.full(n, None, dtype=object)
    ev.max_unbounded = np.isposinf(ev.hi)       # an uncapped branch on a complete row; partial rows below
    ev.single_branch = np.zeros(n, dtype=bool)
    rej = ev.records.rejections
    for k in np.flatnonzero(~has_valid):
        alts = order[starts[k]:ends[k]]
        reasons = sorted({r for x in alts.tolist() for r in ax.records.rejections.reasons.get(int(x), [])})
        rej.reject(int(rows[k]), "; ".join(reasons) or "无法评查 (cannot be evaluated)")
    ranged = valid & (live | ~has_live[ri])        # the alternatives the range of a row is taken over
    _ranges(ev, ax, rows, ri, ranged, _unbounded(ax, alt))
    keys = {f: _fact_keys(alt, f) for f in alt.values}
    possible = [[] for _ in range(nr)]
    open_facts = [set() for _ in range(nr)]
    found: dict[tuple, list] = {}
    for c in sorted(hold):
        # a check that presumes the power to punish is judged where the act is punishable; the bars
        # (time bar, no provision in force) are findings of their own, judged over every alternative
        scope = valid if c in BARRING else ranged
        h = hold[c] & scope
        n_scope = np.bincount(ri, weights=scope, minlength=nr)
        n_hold = np.bincount(ri, weights=h, minlength=nr)
        down_by = {f: np.bincount(ri, weights=h & alt.local[f], minlength=nr) > 0
                   for f in _LOCAL_OF.get(c, []) if f in alt.local}
        down = np.zeros(nr, dtype=bool)
        for d in down_by.values():
            down |= d
        first = np.full(nr, m, dtype=np.int64)
        np.minimum.at(first, ri[h], np.flatnonzero(h))
        definite = (n_hold == n_scope) & (n_scope > 0) & ~down & has_valid
        maybe = (n_hold > 0) & ~definite & has_valid
        deciding = {f: _decides(ri, nr, k_f, scope, h) for f, k_f in keys.items()}
        for k in np.flatnonzero(definite):
            found.setdefault((c, "definite"), []).append((int(rows[k]), int(first[k]), []))
        for k in np.flatnonzero(maybe):
            depends = [f for f in keys if deciding[f][k]] + [f for f, d in down_by.items() if d[k]]
            alts = order[starts[k]:ends[k]]
            held = alts[h[alts]]
            found.setdefault((c, "possible"), []).append((int(rows[k]), int(first[k]), depends, held))
            possible[k].append(c)
            open_facts[k].update(depends)
    answer = _answers(ax)
    for f, k_f in keys.items():
        for k in np.flatnonzero(_decides_answer(ri, nr, k_f, ranged, answer)):
            open_facts[k].add(f)
    for k in range(nr):
        ev.possible_codes[rows[k]] = possible[k]
        ev.undetermined[rows[k]] = sorted(open_facts[k])
    for (code, certainty), items in sorted(found.items()):
        # a batch carries one list of citations: rows whose source findings cite different articles
        # (different provisions, a cross-reference) go in batches of their own
        by_cites: dict[tuple, list] = {}
        for it in items:
            src = ax.findings.batches[where[(it[1], code)][0]]
            by_cites.setdefault(tuple(str(c) for c in src.citations), []).append(it)
        for part in by_cites.values():
            ev.findings.add(_batch(ev, ax, alt, code, certainty, part, where))


def _fact_keys(alt, fact) -> np.ndarray:
    """Each alternative's value of a split fact as an integer (−1 where the fact was not split there)."""
    v, lo, hi = alt.values[fact]
    keyed = [None if a is None else (str(a), str(b), str(c)) for a, b, c in zip(v.tolist(), lo.tolist(), hi.tolist())]
    codes, _ = pd.factorize(pd.Series(keyed, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64)


def _decides(ri, nr, key, scope, h) -> np.ndarray:
    """Rows where some value of the fact (within scope) never holds the finding: knowing it could rule it out."""
    on = scope & (key >= 0)
    if not on.any():
        return np.zeros(nr, dtype=bool)
    width = int(key.max()) + 1
    g = ri[on] * width + key[on]
    present = np.bincount(g, minlength=nr * width) > 0
    held = np.bincount(g, weights=h[on], minlength=nr * width) > 0
    gap = (present & ~held).reshape(nr, width)
    return gap.any(axis=1)


def _answers(ax) -> np.ndarray:
    """Each alternative's lawful range, tiers and version as one integer."""
    versions = np.array([e[1].valid_from.toordinal() for e in ax.table.entries] + [0])
    frame = pd.DataFrame({"lo": np.round(np.nan_to_num(ax.lawful_min, nan=-1), 2),
                          "hi": np.round(np.nan_to_num(ax.lawful_max, nan=-1), 2),
                          "tiers": ax.tiers, "version": versions[ax.branch_key]})
    return frame.groupby(["lo", "hi", "tiers", "version"], sort=False).ngroup().to_numpy()


def _decides_answer(ri, nr, key, scope, answer) -> np.ndarray:
    """Rows where the fact's values lead to different lawful ranges, tiers or versions."""
    on = scope & (key >= 0)
    if not on.any():
        return np.zeros(nr, dtype=bool)
    t = pd.DataFrame({"row": ri[on], "key": key[on], "answer": answer[on]})
    per = t.groupby(["row", "key"])["answer"].agg(["min", "max"])
    spread = per.groupby(level=0).agg({"min": ["min", "max"], "max": ["min", "max"]})
    varies = (spread[("min", "min")] != spread[("min", "max")]) | (spread[("max", "min")] != spread[("max", "max")])
    out = np.zeros(nr, dtype=bool)
    out[varies.index[varies.to_numpy()].to_numpy()] = True
    return out


def _unbounded(ax, alt) -> np.ndarray:
    """Alternatives on a branch with no statutory maximum, or fining a multiple of an amount whose region
    has no upper end."""
    out = np.isposinf(ax.hi)                  # a branch with no statutory maximum (uncapped)
    for k, (cp, v, b) in enumerate(ax.table.entries):
        f = b.model.fine
        if f is None or not f.is_multiple or f.base not in alt.values:
            continue
        hi = alt.values[f.base][2]
        top = np.array([h is not None and h == np.inf for h in hi.tolist()], dtype=bool)
        out |= (ax.branch_key == k) & top
    return out


def _ranges(ev, ax, rows, ri, ranged, unbounded_alt) -> None:
    """Per partial row: the lowest minimum and highest maximum, the tiers and the version over its alternatives."""
    nr = len(rows)
    lo_all = np.where(ranged & np.isfinite(ax.lawful_min), ax.lawful_min, np.inf)
    hi_all = np.where(ranged & np.isfinite(ax.lawful_max), ax.lawful_max, -np.inf)
    lo, hi = np.full(nr, np.inf), np.full(nr, -np.inf)
    np.minimum.at(lo, ri, lo_all)
    np.maximum.at(hi, ri, hi_all)
    unbounded = np.bincount(ri, weights=ranged & unbounded_alt, minlength=nr) > 0
    ev.lawful_min[rows] = np.where(np.isfinite(lo), lo, np.nan)
    ev.lawful_max[rows] = np.where(np.isfinite(hi) & ~unbounded, hi, np.nan)
    ev.max_unbounded[rows] = unbounded
    counted = ranged & ((ax.branch_key >= 0) | (ax.tiers == T.NONE))
    bits = np.zeros(nr, dtype=np.int64)
    np.bitwise_or.at(bits, ri[counted], ax.tiers[counted].astype(np.int64))
    ev.tiers[rows] = bits
    keyed = ranged & (ax.branch_key >= 0)
    starts = np.array([e[1].valid_from.toordinal() for e in ax.table.entries] + [0])[ax.branch_key]
    t = pd.DataFrame({"row": ri[keyed], "key": ax.branch_key[keyed], "version": starts[keyed],
                      "lo": ax.lo[keyed], "hi": ax.hi[keyed]})
    g = t.groupby("row")
    n_versions = g["version"].nunique().reindex(range(nr), fill_value=0).to_numpy()
    n_keys = g["key"].nunique().reindex(range(nr), fill_value=0).to_numpy()
    first_key = g["key"].first().reindex(range(nr), fill_value=-1).to_numpy()
    n_ranges = g[["lo", "hi"]].nunique().max(axis=1).reindex(range(nr), fill_value=0).to_numpy() \
        if len(t) else np.zeros(nr, dtype=np.int64)
    n_ranged = np.bincount(ri, weights=ranged, minlength=nr)
    n_keyed = np.bincount(ri, weights=keyed, minlength=nr)
    ev.branch_key[rows] = np.where(n_versions == 1, first_key, -1)
    single = (n_keys == 1) & (n_keyed == n_ranged)
    ev.single_branch[rows] = single
    same = single & (n_ranges == 1)
    lo1 = g["lo"].first().reindex(range(nr)).to_numpy()
    hi1 = g["hi"].first().reindex(range(nr)).to_numpy()
    ev.lo[rows[same]] = lo1[same]
    ev.hi[rows[same]] = hi1[same]
    no_prov = np.bincount(ri, weights=ranged & ax.no_provision, minlength=nr)
    ev.no_provision[rows] = (no_prov == n_ranged) & (n_ranged > 0)


def _key(alt, fact, x):
    v, lo, hi = (alt.values[fact][j][x] for j in range(3))
    return (v, lo, hi)


def _describe(alt, fact: str, alts) -> tuple[str, str]:
    """Where a finding holds, as the values or stretches of one fact (Chinese, English)."""
    zh_name = ZH.get(fact, fact)
    keys = []
    for x in alts:
        k = _key(alt, fact, x)
        if k[0] is not None and k not in keys:
            keys.append(k)
    if not keys:
        return "", ""
    v0 = keys[0][0]
    if isinstance(v0, (bool, str, np.bool_)):
        words = [_CODE_WORDS.get(k[0], (str(k[0]), str(k[0]))) for k in keys]
        return (f"{zh_name}为{'或'.join(w[0] for w in words)}", f"{fact} is {' or '.join(w[1] for w in words)}")
    amount = isinstance(v0, (int, float, np.floating))
    spans = _merge([_closed(k[1], k[2], k[0], amount) for k in keys], amount)
    fmt = yuan if amount else str
    low_c, low_o, up_c, up_o = (("不低于", "高于", "不超过", "低于") if amount else ("不早于", "晚于", "不晚于", "早于"))
    zh, en = [], []
    for a, ac, b, bc in spans:
        if a is not None and b is not None and a == b:
            zh.append(f"为{fmt(a)}")
            en.append(fmt(a))
            continue
        words_zh, words_en = [], []
        if a is not None and not (amount and a == 0 and ac):
            words_zh.append((low_c if ac else low_o) + fmt(a))
            words_en.append(("at least " if ac else "above ") + fmt(a))
        if b is not None and b != np.inf:
            words_zh.append((up_c if bc else up_o) + fmt(b))
            words_en.append(("at most " if bc else "below ") + fmt(b))
        zh.append("、".join(words_zh) or "为任意值")
        en.append(" and ".join(words_en) or "any value")
    return f"{zh_name}{'或'.join(zh)}", f"{fact} {' or '.join(en)}"


def _closed(lo, hi, value, amount: bool):
    """A representative's region as (low, low included, high, high included): amounts' points are
    closed and the stretches between them open; date regions are whole days, closed."""
    if amount:
        return (lo, lo == hi, hi, lo == hi)
    return (lo, True, hi, True)


def _merge(spans, amount: bool):
    """Adjacent regions as one: amounts meet at a shared end, dates on consecutive days."""
    import datetime as _dt

    def key(s):
        return (s[0] is not None, s[0] if s[0] is not None else 0)
    out = []
    for a, ac, b, bc in sorted(spans, key=key):
        if out:
            pa_, pac, pb, pbc = out[-1]
            if pb is None:
                continue
            touch = a is not None and (a < pb or (a == pb and (ac or pbc)) if amount else
                                       a <= pb + _dt.timedelta(days=1))
            if touch:
                if b is None or (amount and b == np.inf) or b > pb:
                    out[-1] = (pa_, pac, b, bc)
                elif b == pb:
                    out[-1] = (pa_, pac, pb, pbc or bc)
                continue
        out.append((a, ac, b, bc))
    return out


def _batch(ev, ax, alt, code, certainty, items, where) -> FindingBatch:
    """One batch of a code at one certainty over original rows; values from a representative alternative,
    the range over all of them."""
    rows = np.array([it[0] for it in items], dtype=np.int64)
    reps = np.array([it[1] for it in items], dtype=np.int64)
    srcs = [ax.findings.batches[where[(r, code)][0]] for r in reps.tolist()]
    poss = [where[(r, code)][1] for r in reps.tolist()]
    facts = list(dict.fromkeys(f for b in srcs for f in b.facts))
    keys = list(dict.fromkeys(k for b in srcs for k in b.expected))
    expected = {k: objects([_plain(b.expected.get(k), p) for b, p in zip(srcs, poss)]) for k in keys}
    if "lawful_fine_min" in expected:
        expected["lawful_fine_min"] = ev.lawful_min[rows]
        expected["lawful_fine_max"] = ev.lawful_max[rows]
        expected["lawful_fine_max_unbounded"] = ev.max_unbounded[rows]
        expected["tiers"] = objects([T.tier_names(int(b)) for b in ev.tiers[rows].tolist()])
        for k in ("statutory_min", "statutory_max"):
            expected.pop(k, None)
    actual_keys = list(dict.fromkeys(k for b in srcs for k in b.actual))
    local = set(_LOCAL_OF.get(code, []))
    actual = {k: objects([None if k in local else _plain(b.actual.get(k), p) for b, p in zip(srcs, poss)])
              for k in actual_keys}
    citations = []
    for b in srcs:
        for c in b.citations:
            if c not in citations:
                citations.append(c)
    zh, en = [], []
    label = CODES[code]
    fines = ev.fine[rows].tolist()
    named = [""] * len(rows)
    if code.startswith("procedure.") and SIZE in ev.frame.columns:    # a decision-level check: the decision's totals
        size = ev.frame[SIZE].to_numpy()[rows]
        total = ev.frame[FINE].to_numpy(dtype=float)[rows]
        nos = ev.frame["decision_no"].to_numpy(dtype=object)[rows]
        fines = np.where(size > 1, total, ev.fine[rows]).tolist()
        named = [f"决定书{no}（{k}项违法行为，罚款合计{yuan(t)}）：" if k > 1 else ""
                 for no, k, t in zip(nos.tolist(), size.tolist(), total.tolist())]
    own = {}
    for it, fine, b, p in zip(items, fines, srcs, poss):
        split_here = {f for f in alt.values if alt.values[f][0][it[1]] is not None}
        if certainty == "definite" and not (split_here & set(b.facts)):
            # the finding reads none of the facts that were split: its own words hold as they are
            if id(b) not in own:
                own[id(b)] = [m.to_pylist() if hasattr(m, "to_pylist") else list(m) for m in b.messages()]
            zh.append(own[id(b)][0][p])
            en.append(own[id(b)][1][p])
        elif certainty == "definite":
            facts_open = sorted({f for f in alt.values if alt.values[f][0][it[1]] is not None} |
                                {f for f in alt.local if alt.local[f][it[1]]})
            names = "、".join(_open_name(ev, it[0], f) for f in facts_open)
            zh.append(f"{named[len(zh)]}罚款{yuan(fine)}：{names}不明，但无论取何值都{label.zh}" + _range_zh(ev, it[0]))
            en.append(f"fine {fine:,.2f} yuan: {', '.join(facts_open)} unknown, yet {label.en} whatever they are")
        else:
            held = it[3]
            parts = [_describe(alt, f, held.tolist()) for f in it[2] if f in alt.values]
            locals_ = [f for f in it[2] if f not in alt.values]
            cond_zh = "，且".join(p[0] for p in parts if p[0])
            cond_en = " and ".join(p[1] for p in parts if p[1])
            for f in locals_:
                cond_zh = (cond_zh + "，且" if cond_zh else "") + f"{ZH.get(f, f)}（未填写）不利于当事人"
                cond_en = (cond_en + " and " if cond_en else "") + f"{f} (blank) is against the party"
            zh.append(f"{named[len(zh)]}罚款{yuan(fine)}：若{cond_zh or '未知事实取某些值'}，则{label.zh}；"
                      f"尚待查明：{'、'.join(ZH.get(f, f) for f in it[2])}" + _range_zh(ev, it[0]))
            en.append(f"fine {fine:,.2f} yuan: {label.en} if {cond_en or 'some unknown facts take some values'}; "
                      f"open: {', '.join(it[2])}")
    depends = objects([sorted(it[2]) for it in items])
    category = None
    if code == "penalty.outside_tier":
        category = np.array([b.category[p] if b.category is not None else CODES[code].category
                             for b, p in zip(srcs, poss)], dtype=object)
    return FindingBatch(code, rows, facts=facts, expected=expected, actual=actual, citations=citations,
                        message_zh=zh, message_en=en, category=category, certainty=certainty,
                        depends_on=depends)


def _open_name(ev, i: int, fact: str) -> str:
    """A blank fact's name; an amount stated as 无法计算 says how the parameter read it."""
    from engine.records.values import UNCOMPUTABLE
    flag = UNCOMPUTABLE + fact
    if flag in ev.frame.columns and bool(ev.frame[flag].iat[i]) and \
            str(ev.ruleset.value("uncomputable_amount_as")) == "lowest_branch":
        return (f"{ZH.get(fact, fact)}（写明无法计算，按参数 uncomputable_amount_as 读作低于最低金额档次，"
                f"该读法未经核实 U）")
    return ZH.get(fact, fact)


def _range_zh(ev, i) -> str:
    if np.isnan(ev.lawful_min[i]):
        return ""
    top = "不设上限（法律未规定上限或为未知金额的倍数）" if ev.max_unbounded[i] else yuan(ev.lawful_max[i])
    return f"（各种可能下的合法罚款幅度：{yuan(ev.lawful_min[i])}至{top}）"


def _plain(v, pos):
    """One finding's value of an ``expected``/``actual`` entry (array per finding, or shared)."""
    if isinstance(v, np.ndarray):
        x = v[pos]
        if isinstance(x, np.datetime64):
            return None if np.isnat(x) else str(x.astype("datetime64[D]"))
        if isinstance(x, np.generic):
            return x.item()
        return x
    return v
