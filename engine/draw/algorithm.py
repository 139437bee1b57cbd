"""The draw itself: a pure function of plan, registers, history and seed.

No clock, no database, no file: everything that can change the result is an
argument, so ``verify`` can call the very same function and compare bytes.
The exact rules are in docs/draw.md; the code follows them step by step:

1. Items in plan order; for each item and credit class A–D the eligible set
   E = active ∧ filter ∧ ¬capped; n = ceil(rate·|E|) in exact decimals; the n
   lowest tickets under ``{seed}|E|{item_id}|{class}`` are selected.
2. The item's selected entities, in ascending ticket order, each get the
   ``inspectors_per_target`` lowest tickets under ``{seed}|I|{item_id}|{entity_id}``
   among inspectors that are active, qualified, pass the item's inspector
   filter, have no conflict (回避) with the entity, did not inspect it for this
   item in its previous draw (rotation) and are below ``max_load`` in this draw.
   Too few → ``unfilled`` with the reason; there is no manual pick.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

import numpy as np

from engine.draw import tickets as tk
from engine.draw.plan import CREDIT_CLASSES, Plan
from engine.draw.registers import ACTIVE_STATUSES, Registers, _fixed18
from engine.io.arrowcols import text_array


@dataclass
class History:
    """What earlier draws contribute: cap counts within each item's window, and previous inspectors.

    ``cap_counts[(item_id, entity_id)]`` counts earlier draws of the entity for
    the item inside the item's window; ``previous[(item_id, entity_id)]`` is the
    inspectors of its most recent earlier draw for the item (empty if unfilled).
    """
    cap_counts: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)


@dataclass
class DrawResult:
    strata: list
    selections: list
    assignments: list
    unfilled: list
    used_history: dict
    positions: list          # row of each selection in regs.entities (for the publication)


def sample_size(rate: Decimal, eligible: int) -> int:
    """ceil(rate × |E|) in exact decimal arithmetic (0.1 × 30 = 3, never 3.0000000000000004 → 4)."""
    return int((Decimal(rate) * eligible).to_integral_value(rounding=ROUND_CEILING))


def _exact_order(idx: np.ndarray, keys: np.ndarray, Ss: list, ids: list) -> np.ndarray:
    """Sort positions by ticket value; equal 18-digit keys fall back to the full ticket under each one's own S."""
    order = idx[np.argsort(keys[idx], kind="stable")]
    return tk.resolve_ties(order, keys, lambda i: tk.ticket_sort_key(tk.ticket(Ss[i], ids[i]), ids[i]))


def run(plan: Plan, filters: list, regs: Registers, history: History, seed: str) -> DrawResult:
    ent = regs.entities
    id_arr = text_array(ent["entity_id"])
    id_mat = _fixed18(id_arr) if len(ent) else np.zeros((0, 18), dtype=np.uint8)  # validated: 18 ASCII bytes
    active = ent["status"].isin(ACTIVE_STATUSES).to_numpy(dtype=bool, na_value=False)
    class_masks = {c: (ent["credit_class"] == c).to_numpy(dtype=bool, na_value=False) for c in CREDIT_CLASSES}

    ins = regs.inspectors
    ins_ids = ins["inspector_id"].to_numpy(dtype=object)
    ins_active = ins["active"].to_numpy(dtype=bool)
    max_load = ins["max_load"].to_numpy(dtype=np.int64)
    quals = ins["qualifications"].astype(str).to_numpy(dtype=object)
    load = np.zeros(len(ins), dtype=np.int64)
    conflicts_by_entity: dict = {}
    for iid, eid in regs.conflicts:
        conflicts_by_entity.setdefault(eid, set()).add(iid)

    plan_counts: Counter = Counter()
    plan_previous: dict = {}
    used_caps: dict = {}
    used_previous: dict = {}
    strata, selections, assignments, unfilled, positions = [], [], [], [], []
    load_l = load.tolist()
    max_l = max_load.tolist()

    for item, (efilter, ifilter) in zip(plan.items, filters):
        fmask = efilter.evaluate(ent) if efilter is not None else np.ones(len(ent), bool)
        fmask = np.asarray(fmask, dtype=bool)
        capped = np.zeros(len(ent), dtype=bool)
        if item.frequency_cap is not None:
            counts = Counter({e: c for (it, e), c in history.cap_counts.items() if it == item.item_id})
            for (it, e), c in plan_counts.items():
                if it == item.item_id:
                    counts[e] += c
            over = {e for e, c in counts.items() if c >= item.frequency_cap.max}
            if over:
                capped = ent["entity_id"].isin(over).to_numpy(dtype=bool, na_value=False)
                for e in over:
                    if (item.item_id, e) in history.cap_counts:
                        used_caps[(item.item_id, e)] = history.cap_counts[(item.item_id, e)]
        base = active & fmask
        sel_pos, sel_keys, sel_S = [], [], []
        for c in CREDIT_CLASSES:
            in_c = class_masks[c]
            eligible = in_c & base & ~capped
            e_idx = np.flatnonzero(eligible)
            e_mat = id_mat[e_idx]

            def e_id(i, e_mat=e_mat):
                return e_mat[i].tobytes().decode("ascii")
            n = sample_size(item.rates[c], len(e_idx))
            S = f"{seed}|E|{item.item_id}|{c}"
            keys = tk.keys_fixed(S, e_mat)
            chosen, keys = tk.lowest(S, None, n, k=keys, id_of=e_id)
            strata.append({
                "item_id": item.item_id, "credit_class": c, "rate": str(item.rates[c]),
                "population": int(in_c.sum()), "eligible": len(e_idx), "n": len(chosen),
                "excluded": {"status": int((in_c & ~active).sum()),
                             "filter": int((in_c & active & ~fmask).sum()),
                             "frequency_cap": int((in_c & base & capped).sum())},
            })
            chosen_ids = e_mat[chosen].view("S18").ravel().astype(str).tolist() if len(chosen) else []
            chosen_keys = keys[chosen]
            tickets = tk.shorts(chosen_keys)
            item_id = item.item_id
            selections.extend({"item_id": item_id, "credit_class": c, "rank": r, "entity_id": e, "ticket": t}
                              for r, e, t in zip(range(1, len(chosen) + 1), chosen_ids, tickets))
            positions.extend(e_idx[chosen].tolist())
            sel_pos.extend(chosen_ids)
            sel_keys.extend(chosen_keys.tolist())
            sel_S.extend([S] * len(chosen))
        if not sel_pos:
            continue
        # -- inspectors ---------------------------------------------------------
        target_order = _exact_order(np.arange(len(sel_pos)), np.array(sel_keys, dtype=np.int64), sel_S, sel_pos)
        targets = [sel_pos[i] for i in target_order.tolist()]
        token = f";{item.item_id};"
        ok = ins_active & np.array([token in q for q in quals], dtype=bool)
        if ifilter is not None:
            ok &= np.asarray(ifilter.evaluate(ins), dtype=bool)
        pool = np.flatnonzero(ok)
        pool_ids = ins_ids[pool].tolist()
        Ss = [f"{seed}|I|{item.item_id}|{e}" for e in targets]
        m = item.inspectors_per_target
        K = tk.pair_keys(Ss, pool_ids) if pool_ids else np.zeros((len(targets), 0), np.int64)
        order = np.argsort(K, axis=1, kind="stable")
        if K.shape[1] > 1:
            srt = np.take_along_axis(K, order, axis=1)
            tied_rows = set(np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1)).tolist())
            del srt
        else:
            tied_rows = set()
        pool_l = pool.tolist()
        if _assign_without_contention(targets, Ss, K, order, tied_rows, pool_ids, pool_l, conflicts_by_entity,
                                      history, plan_previous, used_previous, plan_counts, load_l, max_l, m,
                                      item.item_id, assignments):
            continue
        # Most targets find their team among the first few tickets: keep those as small Python lists
        # (cheap to walk), and fall back to the full row only when conflicts, rotation or loads bite.
        width = min(K.shape[1], m + 6)
        heads = order[:, :width].tolist()
        item_id = item.item_id
        for t, eid in enumerate(targets):
            if t in tied_rows:
                S = Ss[t]
                row = tk.resolve_ties(order[t], K[t], lambda j: tk.ticket_sort_key(tk.ticket(S, pool_ids[j]),
                                                                                   pool_ids[j])).tolist()
            else:
                row = heads[t]
            confl = conflicts_by_entity.get(eid, ())
            key = (item_id, eid)
            if key in plan_previous:
                prev = plan_previous[key]
            else:
                prev = history.previous.get(key, ())
                if prev or key in history.previous:
                    used_previous[key] = prev
            chosen = _pick(row, pool_ids, pool_l, confl, prev, load_l, max_l, m)
            if len(chosen) < m and len(row) < K.shape[1]:
                chosen = _pick(order[t].tolist(), pool_ids, pool_l, confl, prev, load_l, max_l, m)
            plan_counts[key] += 1
            if len(chosen) < m:
                n_conf = sum(1 for i in pool_ids if i in confl)
                n_rot = sum(1 for i in pool_ids if i in prev and i not in confl)
                n_full = sum(1 for j, i in enumerate(pool_ids)
                             if i not in confl and i not in prev and load_l[pool_l[j]] >= max_l[pool_l[j]])
                unfilled.append({
                    "item_id": item_id, "entity_id": eid,
                    "reason": (f"符合条件的执法检查人员不足：需要 {m} 名，仅 {len(chosen)} 名"
                               f"（具备资格且在岗 {len(pool_ids)} 名，其中回避 {n_conf} 名、"
                               f"轮换排除 {n_rot} 名、已达本次任务上限 {n_full} 名） "
                               f"(not enough eligible inspectors: need {m}, have {len(chosen)}; "
                               f"qualified {len(pool_ids)}, conflict {n_conf}, rotation {n_rot}, "
                               f"at max_load {n_full})"),
                })
                plan_previous[key] = ()
                continue
            for j in chosen:
                load_l[pool_l[j]] += 1
            chosen_ids = [pool_ids[j] for j in chosen]
            plan_previous[key] = tuple(chosen_ids)
            krow = K[t]
            assignments.append({"item_id": item_id, "entity_id": eid, "inspectors": chosen_ids,
                                "tickets": [f"0.{int(krow[j]):018d}" for j in chosen]})
    used = {
        "cap_counts": [{"item_id": it, "entity_id": e, "count": c}
                       for (it, e), c in sorted(used_caps.items())],
        "previous_inspectors": [{"item_id": it, "entity_id": e, "inspectors": list(v)}
                                for (it, e), v in sorted(used_previous.items())],
    }
    return DrawResult(strata, selections, assignments, unfilled, used, positions)


def _assign_without_contention(targets, Ss, K, order, tied_rows, pool_ids, pool_l, conflicts_by_entity, history,
                               plan_previous, used_previous, plan_counts, load_l, max_l, m, item_id,
                               assignments) -> bool:
    """Vectorized assignment when no max_load can bind; False (and nothing changed) otherwise.

    Without the load limit each target's team is simply its first m eligible
    inspectors in ticket order.  If, counting all those teams, no inspector
    would exceed its remaining max_load, then no load limit binds at any point
    of the sequential procedure either (loads only grow to those totals), so
    the sequential result is exactly these teams.  Targets with a conflict or
    a rotation exclusion are few and are walked in Python; the rest are the
    first m columns of the ticket order.
    """
    T, k = K.shape
    if k < m:
        return False
    teams = np.array(order[:, :m], copy=True)
    special = {}
    for t, eid in enumerate(targets):
        key = (item_id, eid)
        prev = plan_previous[key] if key in plan_previous else history.previous.get(key, ())
        confl = conflicts_by_entity.get(eid, ())
        if t in tied_rows or ((confl or prev) and any(i in confl or i in prev for i in pool_ids)):
            row = order[t]
            if t in tied_rows:
                S = Ss[t]
                row = tk.resolve_ties(row, K[t], lambda j: tk.ticket_sort_key(tk.ticket(S, pool_ids[j]),
                                                                             pool_ids[j]))
            pick = [j for j in row.tolist() if pool_ids[j] not in confl and pool_ids[j] not in prev][:m]
            if len(pick) < m:
                return False            # an unfilled target: leave it to the exact sequential walk
            special[t] = pick
    for t, pick in special.items():
        teams[t] = pick
    counts = np.bincount(teams.ravel(), minlength=k)
    room = np.array([max_l[g] - load_l[g] for g in pool_l], dtype=np.int64)
    if (counts > room).any():
        return False
    for j, c in enumerate(counts.tolist()):
        load_l[pool_l[j]] += c
    ids = np.array(pool_ids, dtype=object)
    team_ids = ids[teams].tolist()
    team_keys = np.take_along_axis(K, teams, axis=1)
    team_tickets = np.array(tk.shorts(team_keys.ravel()), dtype=object).reshape(T, m).tolist()
    for t, eid in enumerate(targets):
        key = (item_id, eid)
        if key not in plan_previous and key in history.previous:
            used_previous[key] = history.previous[key]
        plan_counts[key] += 1
        plan_previous[key] = tuple(team_ids[t])
    assignments.extend({"item_id": item_id, "entity_id": e, "inspectors": i, "tickets": tt}
                       for e, i, tt in zip(targets, team_ids, team_tickets))
    return True


def _pick(row, pool_ids, pool_l, confl, prev, load_l, max_l, m) -> list:
    """The first m inspectors of ``row`` (ticket order) without conflict, not rotated out, below max_load."""
    chosen = []
    for j in row:
        iid = pool_ids[j]
        if iid in confl or iid in prev:
            continue
        g = pool_l[j]
        if load_l[g] >= max_l[g]:
            continue
        chosen.append(j)
        if len(chosen) == m:
            break
    return chosen


def history_from_document(doc: dict) -> History:
    """The history a published draw says it used (for verify without the ledger)."""
    h = doc.get("history") or {}
    return History(
        cap_counts={(r["item_id"], r["entity_id"]): int(r["count"]) for r in h.get("cap_counts", [])},
        previous={(r["item_id"], r["entity_id"]): tuple(r["inspectors"]) for r in h.get("previous_inspectors", [])},
    )
