"""Write a targets run: ``entities.jsonl``, ``register.csv`` (the register with the new classes and flags,
ready for ``draw prepare``), ``abnormal.csv`` (listings and removals to publish, identity numbers
masked), ``rejected.csv``, an optional Chinese workbook, and ``summary.json`` last — all through
``engine.io.outset`` so a folder is always one complete run.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from engine.io.cells import write_workbook
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


def register_frame(ent: pd.DataFrame, res) -> pd.DataFrame:
    out = ent.drop(columns=[c for c in (ROW, *FLAG_COLUMNS) if c in ent.columns])
    out["previous_credit_class"] = res.previous
    out["credit_class"] = res.final
    yes = np.array(["否", "是"], dtype=object)
    flags = np.full(len(out), "", dtype=object)
    for name, m in (("key", res.key), ("targeted", res.targeted), ("abnormal", res.abnormal)):
        flags = np.where(m, np.where(flags == "", name, flags + ";" + name), flags)
    out["flags"] = flags
    out["flag_key"] = yes[res.key.astype(int)]
    out["flag_targeted"] = yes[res.targeted.astype(int)]
    out["flag_abnormal"] = yes[res.abnormal.astype(int)]
    out["targeted_items"] = res.targeted_items
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


def write_csv(outs: OutputSet, name: str, frame: pd.DataFrame) -> None:
    d = Digest()
    csvout.write_csv(outs.path(name), frame, d)
    outs.record(name, d)


def write_all(outs: OutputSet, ent, res, rules, rejected, summary: dict, excel: Path | None, ctx=None,
              shown: dict | None = None) -> dict:
    params = rules.values()
    d = Digest(lines=len(ent))
    with open(outs.path("entities.jsonl"), "wb") as fh:
        for buf in entity_chunks(ent, res, params, ctx, shown or {}):
            d.update(buf)
            fh.write(buf)
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
    pairs = pd.Series(pd.Series(res.previous, dtype=object).fillna("?").to_numpy(dtype=str).astype(object)
                      + "->" + res.final.astype(object))
    moves = pairs.value_counts().to_dict()
    return {
        "as_of": str(as_of), "entities": int(len(ent)),
        "by_class": {c: int((res.final == c).sum()) for c in "ABCD"},
        "by_previous_class": {c: int((res.previous == c).sum()) for c in "ABCD"},
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
