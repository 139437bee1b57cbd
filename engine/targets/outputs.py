"""Write a targets run: ``entities.jsonl``, ``register.csv`` (the register with the new classes and flags,
ready for ``draw prepare``), ``abnormal.csv`` (listings and removals to publish, identity numbers
masked), ``rejected.csv``, an optional Chinese workbook, and ``summary.json`` last — all through
``engine.io.outset`` so a folder is always one complete run.
"""
from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.io.cells import write_workbook
from engine.io.direct import BlockWriter
from engine.io.outset import Digest, OutputSet
from engine.io.readers import ROW
from engine.targets import csvout
from engine.targets.entities_out import entity_chunks
from engine.targets.explain import json_value
from engine.targets.masking import mask_frame
from engine.targets.model import CLASS_ZH, FLAG_ZH

OUTPUTS = ("entities.jsonl", "register.csv", "abnormal.csv", "rejected.csv", "summary.json")
FLAG_COLUMNS = ("flags", "flag_key", "flag_targeted", "flag_abnormal", "targeted_items", "previous_credit_class")


def open_outputs(out_dir: Path) -> OutputSet:
    return OutputSet(out_dir, OUTPUTS)


def _citations(rule) -> list:
    return [c.as_json() for c in rule.citations]


def _str_column(arr: pa.Array):
    """An Arrow text array as the pandas column a DataFrame would infer from the same Python strings
    (``str``), without making ten million of them."""
    return pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _spread(values: list, codes: np.ndarray):
    """A text column of few distinct values, one per code."""
    return _str_column(pa.array(values, pa.string()).take(pa.array(codes)))


def register_frame(ent: pd.DataFrame, res) -> pd.DataFrame:
    out = ent.drop(columns=[c for c in (ROW, *FLAG_COLUMNS) if c in ent.columns])
    # every new column is built in Arrow: assigning an object array makes pandas look at each string
    # (about a second per column per million rows)
    out["previous_credit_class"] = _str_column(pa.array(res.previous, pa.string(), from_pandas=True))
    out["credit_class"] = _str_column(pa.array(res.final, pa.string()))
    # eight combinations of three flags: one string each, spread by a code (no string op per entity)
    code = res.key.astype(np.int8) + 2 * res.targeted.astype(np.int8) + 4 * res.abnormal.astype(np.int8)
    combos = [";".join(f for b, f in ((1, "key"), (2, "targeted"), (4, "abnormal")) if c & b) for c in range(8)]
    out["flags"] = _spread(combos, code)
    out["flag_key"] = _spread(["否", "是"], res.key.astype(np.int8))
    out["flag_targeted"] = _spread(["否", "是"], res.targeted.astype(np.int8))
    out["flag_abnormal"] = _spread(["否", "是"], res.abnormal.astype(np.int8))
    out["targeted_items"] = _str_column(pa.array(res.targeted_items, pa.string(), from_pandas=True))
    return out


def abnormal_frame(ent: pd.DataFrame, res, rules_by_id: dict) -> pd.DataFrame:
    cols = ["entity_id", "name", "report_year", "listed_on", "removed_on", "status", "serious_list_from",
            "reason_zh", "reason_en", "basis"]
    rows = []
    for r in res.listings:
        p = r["pos"]
        rule = rules_by_id[r["rule"]]
        removed = json_value(r["removed_on"])
        listed = json_value(r["listed_on"])
        rows.append({"entity_id": ent["entity_id"].iat[p], "name": ent["name"].iat[p] if "name" in ent.columns else None,
                     "report_year": r["report_year"], "listed_on": listed, "removed_on": removed,
                     "status": "已移出 removed" if removed else "列入 listed",
                     "serious_list_from": None if removed else r.get("serious_from"),
                     "reason_zh": rule.title_zh, "reason_en": rule.title_en,
                     "basis": "；".join(_cite(c) for c in rule.citations)})
    return mask_frame(pd.DataFrame(rows, columns=cols))


def _cite(c) -> str:
    return c.short()


class _Background:
    """A call run on its own thread; its exception is raised where its result is asked for."""

    def __init__(self, fn, *args):
        self.error = None

        def run():
            try:
                fn(*args)
            except BaseException as e:      # handed to the caller, never lost with the thread
                self.error = e
        self.thread = threading.Thread(target=run, daemon=True)

    def result(self):
        self.thread.join()
        if self.error is not None:
            raise self.error

    @staticmethod
    @contextlib.contextmanager
    def pipe(consume, depth: int = 2):
        """``put(item)`` hands items to ``consume`` on another thread, in order, at most ``depth``
        waiting (each slice of entities.jsonl is tens of megabytes)."""
        q: queue.Queue = queue.Queue(maxsize=depth)
        done = object()

        def drain():
            while True:
                item = q.get()
                if item is done:
                    return
                consume(item)
        job = _Background(drain)
        job.thread.start()

        def put(item):
            while True:
                if not job.thread.is_alive():
                    job.result()
                    raise RuntimeError("writer stopped")
                try:
                    q.put(item, timeout=0.5)
                    return
                except queue.Full:
                    continue
        try:
            yield put
        finally:
            if job.thread.is_alive():
                q.put(done)
        job.result()


def write_csv(outs: OutputSet, name: str, frame: pd.DataFrame) -> None:
    d = Digest()
    csvout.write_csv(outs.path(name), frame, d)
    outs.record(name, d)


def write_all(outs: OutputSet, ent, res, rules, rejected, summary: dict, excel: Path | None, ctx=None,
              shown: dict | None = None) -> dict:
    params = rules.values()
    # each slice of entities.jsonl is hashed and written by a second thread while the next is
    # assembled (Arrow's kernels, hashlib and write() release the GIL).  register.csv is written after,
    # not beside it: on a thread of its own it took no time off on the shared two cores and added
    # 0.7 GiB to the peak (4.2 GiB at 10M entities against a 4 GiB budget).
    d = Digest(lines=len(ent))
    with BlockWriter(outs.path("entities.jsonl")) as fh, _Background.pipe(lambda b: (d.update(b), fh.write(b))) as put:
        for buf in entity_chunks(ent, res, params, ctx, shown or {}):
            put(buf)
    outs.record("entities.jsonl", d)
    reg = register_frame(ent, res)
    write_csv(outs, "register.csv", reg)
    rules_by_id = {lr.rule.id: lr.rule for lr in rules.rules}
    ab = abnormal_frame(ent, res, rules_by_id)
    write_csv(outs, "abnormal.csv", ab)
    rej = rejected.table()
    write_csv(outs, "rejected.csv", rej)
    if excel is not None:
        _excel(outs.outside(excel), reg, ab, summary, rules, rej)
    return outs.commit(summary)


def summarize(ent, res, rules, counts: dict, unjoined: dict, as_of, overrides: dict) -> dict:
    by_rule = Counter()
    for f in res.fired:
        by_rule[f.rule.rule.id] += int(f.hit.sum())
    # counted on codes of the distinct classes, not on ten million "B->C" strings
    prev_codes, prev_names = pd.factorize(pd.Series(res.previous, dtype=object).fillna("?"))
    fin_codes, fin_names = pd.factorize(res.final)
    prev_names = [str(v) for v in prev_names]
    fin_names = [str(v) for v in fin_names]
    k = len(fin_names)
    pair_counts = np.bincount(prev_codes.astype(np.int64) * k + fin_codes, minlength=len(prev_names) * k)
    moves = {f"{prev_names[i // k]}->{fin_names[i % k]}": int(c) for i, c in enumerate(pair_counts) if c}
    prev_count = dict(zip(prev_names, np.bincount(prev_codes, minlength=len(prev_names)).tolist()))
    fin_count = dict(zip(fin_names, np.bincount(fin_codes, minlength=k).tolist()))
    return {
        "as_of": str(as_of), "entities": int(len(ent)),
        "by_class": {c: int(fin_count.get(c, 0)) for c in "ABCD"},
        "by_previous_class": {c: int(prev_count.get(c, 0)) for c in "ABCD"},
        "class_changes": {k: int(v) for k, v in sorted(moves.items())},
        "by_flag": {"key": int(res.key.sum()), "targeted": int(res.targeted.sum()),
                    "abnormal": int(res.abnormal.sum())},
        "abnormal_listings": int(len(res.listings)),
        "abnormal_removed": int(sum(1 for r in res.listings if not np.isnat(r["removed_on"]))),
        "by_rule": dict(sorted(by_rule.items())),
        "rules": {lr.rule.id: {"title_zh": lr.rule.title_zh, "title_en": lr.rule.title_en, "tag": lr.rule.tag,
                               "citations": _citations(lr.rule), "file": lr.path.name,
                               "outcome": {"class": lr.rule.outcome.credit_class} if lr.rule.outcome.credit_class
                               else {"flag": lr.rule.outcome.flag}} for lr in rules.rules},
        "skipped_rules": res.skipped,
        "inputs": counts, "review_not_joined": unjoined,
        "parameters": {name: {"value": rules.value(name), "tag": p.tag, "overridden": name in overrides}
                       for name, p in sorted(rules.parameters.items())},
    }


def _excel(path: Path, reg, ab, summary, rules, rej) -> None:
    zh_reg = reg.rename(columns={"entity_id": "统一社会信用代码", "name": "名称", "credit_class": "信用风险分类",
                                 "previous_credit_class": "原分类", "flags": "标记", "flag_key": "重点监管",
                                 "flag_targeted": "有针对性检查", "flag_abnormal": "经营异常名录",
                                 "targeted_items": "针对性检查事项", "status": "登记状态", "industry": "行业",
                                 "district": "区域", "type": "类型",
                                 "established_date": "成立日期"})
    zh_ab = ab.rename(columns={"entity_id": "统一社会信用代码", "name": "名称", "report_year": "年报年度",
                               "listed_on": "列入日期", "removed_on": "移出日期", "status": "状态",
                               "serious_list_from": "满3年可列入严重违法企业名单日期", "reason_zh": "列入原因",
                               "reason_en": "reason", "basis": "依据"})
    counts = pd.DataFrame([{"项目": CLASS_ZH[c], "数量": n} for c, n in summary["by_class"].items()]
                          + [{"项目": FLAG_ZH[f], "数量": n} for f, n in summary["by_flag"].items()]
                          + [{"项目": f"规则 {r}", "数量": n} for r, n in summary["by_rule"].items()])
    params = pd.DataFrame([{"参数": name, "取值": str(v["value"]), "依据类别 (P/C/U)": v["tag"],
                            "部门调整": "是" if v["overridden"] else "否",
                            "依据": "；".join(c.short() for c in rules.parameters[name].citations)}
                           for name, v in summary["parameters"].items()])
    zh_rej = rej.rename(columns={"kind": "文件类别", "file": "文件", "row": "行号", "id": "编号", "reason": "原因"})
    write_workbook(path, [("检查对象分类", zh_reg, {"index": False}), ("经营异常名录", zh_ab, {"index": False}),
                          ("分类与标记统计", counts, {"index": False}), ("参数", params, {"index": False}),
                          ("拒收行", zh_rej, {"index": False})])
