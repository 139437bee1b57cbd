"""One ``targets`` run: load the rules, the register and the related records, evaluate, write."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.draw.registers import Rejected, load_entities
from engine.errors import InputError
from engine.targets import inputs, reviews as review_io
from engine.targets.evaluate import Kind, run
from engine.targets.loader import apply_overrides, load_target_rules
from engine.targets.outputs import open_outputs, summarize, write_all
from engine.targets.tables import dates, positions
from engine.types import FieldType as T

KIND_SCHEMAS = {"penalties": review_io.PENALTY_SCHEMA, "findings": review_io.FINDING_SCHEMA,
                "complaints": inputs.COMPLAINT_SCHEMA, "results": inputs.RESULT_SCHEMA,
                "reports": inputs.REPORT_SCHEMA}
SHOWN = {"penalties": ["case_id", "date", "fine", "sanctions", "provision", "department", "folder", "row"],
         "findings": ["case_id", "code", "category", "severity", "date", "folder", "row"],
         "complaints": ["complaint_id", "date", "verified", "source", "item_id", "__row__"],
         "results": ["item_id", "result", "date", "problem", "__row__"],
         "reports": ["year", "filed_date", "__row__"]}
ESTABLISHED = ("established_date", "成立日期", "设立日期", "登记日期")


def _entity_schema(ent: pd.DataFrame, schema: dict, rejected: Rejected, path) -> tuple[pd.DataFrame, dict]:
    """The register typed for the rules: ``established_date`` (成立日期) as a date, a bad one rejected."""
    col = next((c for c in ESTABLISHED if c in ent.columns), None)
    if col is not None:
        d, bad = dates(ent[col])
        if bad.any():
            rejected.add("entities", path, ent.loc[bad, "__row__"], ent.loc[bad, "entity_id"],
                         ["成立日期不是日期（应为 YYYY-MM-DD） (established_date is not a date: use YYYY-MM-DD)"] * int(bad.sum()))
            ent = ent.loc[~bad].reset_index(drop=True)
            d = d[~bad]
        ent = ent.drop(columns=[col])
        ent["established_date"] = pd.Series(d, index=ent.index).astype("datetime64[s]")
    else:
        ent["established_date"] = pd.Series(pd.NaT, index=ent.index, dtype="datetime64[s]")
    schema = {k: v for k, v in schema.items() if k in ent.columns and k != col}
    schema["established_date"] = T.DATE
    return ent, schema


def run_targets(register: Path, as_of, out_dir: Path, review_dirs: list, complaints, results, reports, excel,
                params_file, rules_dir) -> dict:
    rules = load_target_rules(Path(rules_dir) / "targets" if rules_dir else None)
    if params_file is not None:
        apply_overrides(rules, params_file)
    with open_outputs(out_dir) as outs:
        rejected = Rejected()
        ent, schema, total = load_entities(register, rejected)
        ent, schema = _entity_schema(ent, schema, rejected, register)
        counts = {"entities": {"rows": total, "used": int(len(ent)), "rejected": rejected.count("entities")}}
        kinds, unjoined = {}, {}
        ids = ent["entity_id"]
        for name, path, loader in (("complaints", complaints, inputs.load_complaints),
                                   ("results", results, inputs.load_results),
                                   ("reports", reports, inputs.load_reports)):
            if path is None:
                continue
            before = rejected.count(name)
            frame = loader(path, rejected, ids, as_of)
            counts[name] = {"rows": int(len(frame)) + rejected.count(name) - before, "used": int(len(frame)),
                            "rejected": rejected.count(name) - before}
            kinds[name] = Kind(frame, KIND_SCHEMAS[name], SHOWN[name], frame.attrs.pop(inputs.ENTITY_POSITIONS, None))
        if review_dirs:
            pens, finds = [], []
            for folder in review_dirs:
                p, f = review_io.load_review(folder)
                pens.append(p)
                finds.append(f)
            frames = {name: pd.concat(parts, ignore_index=True) for name, parts in (("penalties", pens),
                                                                                  ("findings", finds))}
            # both kinds looked up in the register at once (one pass over its ids)
            pos = positions(pd.concat([f["entity_id"] for f in frames.values()], ignore_index=True), ids)
            start = 0
            for name, frame in frames.items():
                p = pos[start:start + len(frame)]
                start += len(frame)
                known = p >= 0
                unjoined[name] = {"records": int(len(frame)), "joined": int(known.sum()),
                                  "not_joined": int((~known).sum())}
                kinds[name] = Kind(frame.loc[known].reset_index(drop=True), KIND_SCHEMAS[name], SHOWN[name],
                                   p[known])
        if not len(ent):
            raise InputError(f"{register}: 没有可用的检查对象 (no usable entity in the register)")
        res = run(ent, schema, kinds, rules, as_of, KIND_SCHEMAS)
        summary = summarize(ent, res, rules, counts, unjoined, as_of, rules.overrides)
        return write_all(outs, ent, res, rules, rejected, summary, excel, res.ctx, res.shown)
