"""Shared helpers of the watch tests: run the monitor in-process, review the same cases in batch."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine.watch.events import LOCAL
from engine.watch.monitor import Monitor
from engine.watch.run import run
from engine.watch.state import Store

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_KINDS = ("approval", "disclosure", "complaint")


def replay(ruleset, calendar, lines, out: Path, db_url=None, catalogue=None, **kw) -> tuple[Monitor, list[dict]]:
    out.mkdir(parents=True, exist_ok=True)
    events = out / "events.jsonl"
    events.write_text("".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
                              for line in _with_nl(lines)), encoding="utf-8")
    store = Store(db_url or f"sqlite:///{out / 'watch.sqlite'}")
    try:
        m = Monitor(ruleset, calendar, store, out, replay=True, catalogue=catalogue, echo=lambda s: None, **kw)
        run(m, str(events))
    finally:
        store.close()
    return m, read_jsonl(out / "cards.jsonl")


def _with_nl(lines):
    for x in lines:
        s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
        yield s + "\n"


def read_jsonl(p: Path) -> list[dict]:
    if not p.exists():
        return []
    return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]


def records_from(store_url: str) -> dict[str, dict]:
    import sqlalchemy as sa
    eng = sa.create_engine(store_url)
    with eng.connect() as cx:
        rows = cx.execute(sa.text("select case_id, record from watch_cases")).all()
    eng.dispose()
    return {r[0]: json.loads(r[1]) for r in rows}


STEP_FIELD = {"received": "received_date", "accepted": "accepted_date", "decided": "decided_date",
              "replied": "replied_date", "verified": "verified_date", "handled": "handled_date"}


def records_from_log(lines) -> dict[str, dict]:
    """Review records folded straight from an event log, without the monitor's code: the first date of
    each step (the log is in time order, local +08:00 dates), an extension flag and the excluded days
    summed, and the descriptive keys as given."""
    recs: dict[str, dict] = {}
    for line in lines:
        e = json.loads(line) if isinstance(line, str) else dict(line)
        if e["event"] == "clock.tick":
            continue
        kind, step = e["event"].split(".")
        if kind not in DEADLINE_KINDS:
            continue
        rec = recs.setdefault(e["case_id"], {"record_kind": kind})
        day = dt.datetime.fromisoformat(e["time"]).astimezone(LOCAL).date().isoformat()
        if step == "extended":
            rec["extension_approved"] = True
            if "excluded_days" in e:
                rec["excluded_days"] = rec.get("excluded_days", 0) + int(e["excluded_days"])
        elif step in STEP_FIELD:
            rec.setdefault(STEP_FIELD[step], day)
        for k in ("kind", "department", "item_code"):
            if k in e:
                rec[k] = e[k]
    return recs


def review_cases(ruleset, calendar, records: dict[str, dict], as_of: dt.date):
    """Review the deadline kinds of ``records`` in batch: the (case_id, code) of its deadline findings,
    and each case's deadlines as the batch evaluator computed them ({code: entry})."""
    from engine.batch import review_batch
    from engine.results import case_table
    deadline_codes = {r.code for r in ruleset.deadlines.values()}
    rows = []
    for cid, rec in records.items():
        kind = rec.get("record_kind")
        if kind not in DEADLINE_KINDS:
            continue
        row = {"case_id": cid, "record_kind": kind}
        row.update({k: v for k, v in rec.items() if k != "record_kind"
                    and k not in ("statutory_limit_wd", "committed_limit_wd", "deemed_approval")})
        rows.append(row)
    if not rows:
        return set(), {}
    raw = pd.DataFrame(rows).astype(object)
    batch = review_batch(raw, ruleset, as_of, calendar)
    found = set()
    for ev in batch.parts:
        ids = ev.frame["case_id"].to_numpy(dtype=object)
        rejected = ev.records.rejections.mask
        assert not np.any(rejected), ev.records.rejections.reasons
        for b in ev.findings.batches:
            if b.code in deadline_codes:
                found.update((ids[i], b.code) for i in b.rows)
    deadlines = {r["case_id"]: {d["code"]: d for d in json.loads(r["deadlines"] or "[]")}
                 for r in case_table(batch).to_pylist()}
    return found, deadlines


def review_inaction(ruleset, calendar, records: dict[str, dict], as_of: dt.date) -> set[tuple[str, str]]:
    """(case_id, code) of review's inaction findings with a deadline on the same cases (one record each)."""
    return review_cases(ruleset, calendar, records, as_of)[0]


def explained(ruleset, calendar, records, cards, as_of: dt.date) -> set[tuple[str, str]]:
    """Red cards review does not report on the final records, each for a reason read from the batch
    evaluator's own deadlines for the case (never from the monitor's code): the deadline now falls
    later than the card said (late acceptance, extension, excluded days), an open_only deadline was
    closed afterwards, or the deadline is subsumed by a missed ``unless_overdue`` deadline."""
    _, deadlines = review_cases(ruleset, calendar, records, as_of)
    by_code = {r.code: r for r in ruleset.deadlines.values()}
    out = set()
    for c in cards:
        if c["card"] != "red" or c["code"] not in by_code:
            continue
        rule = by_code[c["code"]]
        entry = deadlines.get(c["case_id"], {}).get(c["code"])
        if entry is None or entry["due"] > c["deadline"]:
            out.add((c["case_id"], c["code"]))
        elif rule.model.open_only and entry["closed"] is not None:
            out.add((c["case_id"], c["code"]))
        elif rule.model.unless_overdue:
            other = ruleset.deadlines[rule.model.unless_overdue].code
            if deadlines[c["case_id"]].get(other, {}).get("status") == "overdue":
                out.add((c["case_id"], c["code"]))
    return out


def local_date(iso: str) -> dt.date:
    return dt.datetime.fromisoformat(iso).astimezone(LOCAL).date()


def synthetic_events(n: int, seed: int = 7, start=dt.datetime(2024, 9, 2, 9), per_day: int = 400,
                     open_share: float = 0.15):
    """A realistic-looking log of about ``n`` events in time order: cases of the three deadline kinds
    and penalties arrive ~``per_day`` events a day; most close on time, some late, ``open_share`` never.
    Returns JSON lines (no newline)."""
    import heapq
    import random
    rnd = random.Random(seed)
    tz = dt.timezone(dt.timedelta(hours=8))
    steps = {"approval": ["accepted", "decided"], "disclosure": ["replied"],
             "complaint": ["accepted", "verified", "handled"], "penalty": ["decided", "publicized"]}
    kinds = ["approval", "approval", "disclosure", "complaint", "penalty"]
    heap, out, i, t = [], [], 0, start
    step = dt.timedelta(days=1) / per_day * 2.4
    while len(out) < n:
        kind = rnd.choice(kinds)
        cid = f"{kind[0].upper()}{seed}-{i:07d}"
        i += 1
        first = {"event": f"{kind}.{'filed' if kind == 'penalty' else 'received'}", "case_id": cid,
                 "department": "示例区市场监督管理局"}
        if kind == "complaint":
            first["kind"] = rnd.choice(["投诉", "举报"])
        heapq.heappush(heap, (t, i, 0, first))
        ct = t
        never = rnd.random() < open_share
        for k, s in enumerate(steps[kind]):
            if never and k == len(steps[kind]) - 1:
                break
            ct = ct + dt.timedelta(hours=rnd.randint(2, 24 * (25 if rnd.random() < 0.2 else 12)))
            e = {"event": f"{kind}.{s}", "case_id": cid}
            if kind == "penalty" and s == "decided":
                e.update(procedure="ordinary", fine=rnd.choice([0, 2000, 50000]), violation_code="FSL-124-1")
            heapq.heappush(heap, (ct, i, k + 1, e))
        t += step
        while heap and heap[0][0] <= t and len(out) < n:
            et, _, _, e = heapq.heappop(heap)
            out.append(json.dumps({**e, "time": et.replace(tzinfo=tz).isoformat()}, ensure_ascii=False))
    return out
