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

from engine.checks.common import yuan
from engine.findings import CODES, FindingBatch, objects
from engine.penalty import tiers as T
from engine.penalty.alternatives import BARRING, LOCAL
from engine.records.schema import ZH

_LOCAL_OF = {code: fact for fact, code in LOCAL.items()}
_CODE_WORDS = {"individual": ("个人", "an individual"), "organization": ("单位", "an organization"),
               "ordinary": ("普通程序", "ordinary procedure"), "simple": ("简易程序", "simple procedure"),
               "none": ("无危害后果", "no harm"), "minor": ("轻微", "minor"), "general": ("一般", "general"),
               "serious": ("严重", "serious"), True: ("是", "yes"), False: ("否", "no")}


def settle(ev, ax, alt) -> None:
    """Write the partial rows' answers into ``ev`` (the evaluation of all rows, partial ones held out)."""
    org = alt.origin
    valid = ~ax.records.rejections.mask
    per_alt: list[dict[str, int]] = [dict() for _ in range(len(org))]     # code -> (batch index, position)
    for bi, b in enumerate(ax.findings.batches):
        for pos, r in enumerate(b.rows.tolist()):
            per_alt[r].setdefault(b.code, (bi, pos))
    barred = np.array([any(c in d for c in BARRING) for d in per_alt], dtype=bool)
    rows = np.unique(org)
    order = np.argsort(org, kind="stable")
    starts = np.searchsorted(org[order], rows)
    ends = np.append(starts[1:], len(org))

    n = ev.n
    ev.partial = np.zeros(n, dtype=bool)
    ev.partial[rows] = True
    ev.possible_codes = np.full(n, None, dtype=object)
    ev.undetermined = np.full(n, None, dtype=object)
    ev.max_unbounded = np.zeros(n, dtype=bool)
    ev.single_branch = np.zeros(n, dtype=bool)
    unbounded_alt = _unbounded(ax, alt)
    found: dict[tuple, list] = {}            # (code, certainty) -> [(row, alt, depends_on)]
    rej = ev.records.rejections
    for i, a, e in zip(rows.tolist(), starts.tolist(), ends.tolist()):
        alts = order[a:e]
        ok = alts[valid[alts]]
        if not len(ok):
            reasons = sorted({r for x in alts.tolist() for r in ax.records.rejections.reasons.get(int(x), [])})
            rej.reject(i, "; ".join(reasons) or "无法评查 (cannot be evaluated)")
            continue
        live = ok[~barred[ok]]
        _ranges(ev, ax, i, live if len(live) else ok, unbounded_alt)
        codes = sorted({c for x in ok.tolist() for c in per_alt[x]})
        possible, open_facts = [], set()
        for c in codes:
            # a check that presumes the power to punish is judged where the act is punishable; the bars
            # (time bar, no provision in force) are findings of their own, judged over every alternative
            scope = ok if c in BARRING or not len(live) else live
            holds = np.array([c in per_alt[x] for x in scope.tolist()])
            local = _LOCAL_OF.get(c)
            downgraded = local is not None and local in alt.local and alt.local[local][scope[holds]].any()
            if not holds.any():
                continue
            depends = _deciding(alt, scope, holds) + ([local] if downgraded else [])
            if holds.all() and not downgraded:
                found.setdefault((c, "definite"), []).append((i, scope[holds][0], []))
            else:
                found.setdefault((c, "possible"), []).append((i, scope[holds][0], depends, scope, holds))
                possible.append(c)
                open_facts.update(depends)
        open_facts.update(_range_deciding(ax, alt, ok))
        ev.possible_codes[i] = possible
        ev.undetermined[i] = sorted(open_facts)
    for (code, certainty), items in sorted(found.items()):
        ev.findings.add(_batch(ev, ax, alt, code, certainty, items, per_alt))


def _unbounded(ax, alt) -> np.ndarray:
    """Alternatives on a branch fining a multiple of an amount whose region has no upper end."""
    out = np.zeros(ax.n, dtype=bool)
    for k, (cp, v, b) in enumerate(ax.table.entries):
        f = b.model.fine
        if f is None or not f.is_multiple or f.base not in alt.values:
            continue
        hi = alt.values[f.base][2]
        top = np.array([h is not None and h == np.inf for h in hi.tolist()], dtype=bool)
        out |= (ax.branch_key == k) & top
    return out


def _ranges(ev, ax, i: int, alts: np.ndarray, unbounded_alt: np.ndarray) -> None:
    lo, hi = ax.lawful_min[alts], ax.lawful_max[alts]
    ev.lawful_min[i] = np.nanmin(lo) if np.isfinite(lo).any() else np.nan
    ev.max_unbounded[i] = bool(unbounded_alt[alts].any())
    ev.lawful_max[i] = np.nan if ev.max_unbounded[i] or not np.isfinite(hi).any() else np.nanmax(hi)
    bits = 0
    for x in alts.tolist():
        if ax.branch_key[x] >= 0 or ax.tiers[x] == T.NONE:
            bits |= int(ax.tiers[x])
    ev.tiers[i] = bits
    keys = ax.branch_key[alts]
    keys = keys[keys >= 0]
    versions = {ax.table.entries[k][1].valid_from for k in keys.tolist()}
    ev.branch_key[i] = keys[0] if len(versions) == 1 else -1
    ev.single_branch[i] = len(set(keys.tolist())) == 1 and len(keys) == len(alts)
    ranges = {(round(float(a), 2), round(float(b), 2)) for a, b in zip(ax.lo[alts], ax.hi[alts])
              if not (np.isnan(a) or np.isnan(b))}
    if ev.single_branch[i] and len(ranges) == 1:      # the blanks leave the statutory range as it is
        ev.lo[i], ev.hi[i] = ranges.pop()
    ev.no_provision[i] = bool(ax.no_provision[alts].all())
    ev.version_open[i] = len(versions) > 1


def _key(alt, fact, x):
    v, lo, hi = (alt.values[fact][j][x] for j in range(3))
    return (v, lo, hi)


def _deciding(alt, scope: np.ndarray, holds: np.ndarray) -> list[str]:
    """The split facts some value of which rules the finding out: knowing them would decide it."""
    out = []
    for fact in alt.values:
        vals = [alt.values[fact][0][x] for x in scope.tolist()]
        if all(v is None for v in vals):
            continue
        seen, hit = set(), set()
        for x, h in zip(scope.tolist(), holds.tolist()):
            k = _key(alt, fact, x)
            seen.add(k)
            if h:
                hit.add(k)
        if seen - hit:
            out.append(fact)
    return out


def _range_deciding(ax, alt, ok: np.ndarray) -> set:
    """Split facts on which the lawful range, the tiers or the version depend."""
    out = set()
    answer = [(round(float(np.nan_to_num(ax.lawful_min[x], nan=-1)), 2),
               round(float(np.nan_to_num(ax.lawful_max[x], nan=-1)), 2), int(ax.tiers[x]),
               ax.table.entries[ax.branch_key[x]][1].valid_from if ax.branch_key[x] >= 0 else None)
              for x in ok.tolist()]
    if len(set(answer)) <= 1:
        return out
    for fact in alt.values:
        by_value: dict = {}
        for x, ans in zip(ok.tolist(), answer):
            k = _key(alt, fact, x)
            if k[0] is not None:
                by_value.setdefault(k, set()).add(ans)
        if len(by_value) > 1 and len({frozenset(s) for s in by_value.values()}) > 1:
            out.add(fact)
    return out


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


def _batch(ev, ax, alt, code, certainty, items, per_alt) -> FindingBatch:
    """One batch of a code at one certainty over original rows; values from a representative alternative,
    the range over all of them."""
    rows = np.array([it[0] for it in items], dtype=np.int64)
    reps = np.array([it[1] for it in items], dtype=np.int64)
    srcs = [ax.findings.batches[per_alt[r][code][0]] for r in reps.tolist()]
    poss = [per_alt[r][code][1] for r in reps.tolist()]
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
    local = _LOCAL_OF.get(code)
    actual = {k: objects([None if k == local else _plain(b.actual.get(k), p) for b, p in zip(srcs, poss)])
              for k in actual_keys}
    citations = []
    for b in srcs:
        for c in b.citations:
            if c not in citations:
                citations.append(c)
    zh, en = [], []
    label = CODES[code]
    fines = ev.fine[rows].tolist()
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
            names = "、".join(ZH.get(f, f) for f in facts_open)
            zh.append(f"罚款{yuan(fine)}：{names}不明，但无论取何值都{label.zh}" + _range_zh(ev, it[0]))
            en.append(f"fine {fine:,.2f} yuan: {', '.join(facts_open)} unknown, yet {label.en} whatever they are")
        else:
            scope, holds = it[3], it[4]
            parts = [_describe(alt, f, scope[holds].tolist()) for f in it[2] if f in alt.values]
            locals_ = [f for f in it[2] if f not in alt.values]
            cond_zh = "，且".join(p[0] for p in parts if p[0])
            cond_en = " and ".join(p[1] for p in parts if p[1])
            for f in locals_:
                cond_zh = (cond_zh + "，且" if cond_zh else "") + f"{ZH.get(f, f)}（未填写）不利于当事人"
                cond_en = (cond_en + " and " if cond_en else "") + f"{f} (blank) is against the party"
            zh.append(f"罚款{yuan(fine)}：若{cond_zh or '未知事实取某些值'}，则{label.zh}；"
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


def _range_zh(ev, i) -> str:
    if np.isnan(ev.lawful_min[i]):
        return ""
    top = "不设上限（未知金额的倍数）" if ev.max_unbounded[i] else yuan(ev.lawful_max[i])
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
