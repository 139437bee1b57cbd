"""Batch review: files → records → evaluation.  The one entry point ``cli review`` and ``cli check`` call."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

import pandas as pd

from engine.calendar import WorkingDayCalendar
from engine.evaluate import Evaluation, evaluate
from engine.io.readers import ROW, SOURCE, read_table
from engine.records.frame import normalize
from engine.ruleset.loader import RuleSet


def read_inputs(paths: Iterable[Path]) -> pd.DataFrame:
    frames = [read_table(p) for p in paths]
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True, sort=False)


def review_frame(raw: pd.DataFrame, ruleset: RuleSet, as_of: dt.date,
                 calendar: WorkingDayCalendar) -> Evaluation:
    if ROW not in raw.columns:
        raw = raw.assign(**{ROW: range(1, len(raw) + 1)})
    sources = raw[SOURCE].to_numpy() if SOURCE in raw.columns else None
    records = normalize(raw.drop(columns=[SOURCE], errors="ignore"))
    ev = evaluate(records, ruleset, as_of, calendar)
    ev.sources = sources
    return ev


def review_files(paths, ruleset: RuleSet, as_of: dt.date, calendar: WorkingDayCalendar) -> Evaluation:
    return review_frame(read_inputs(paths), ruleset, as_of, calendar)


def write_review(ev: Evaluation, out_dir: Path, excel: Path | None = None) -> dict:
    """Write cases.jsonl, findings.jsonl, rejected.csv, summary.json (and Excel); return the summary."""
    from engine.io import reports
    from engine.results import case_table, finding_chunks, finding_rows, rejected_frame, summary

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summ = summary(ev, ev.n)
    # cases and findings are built and written concurrently: Arrow compute releases the GIL
    with ThreadPoolExecutor(max_workers=2) as pool:
        cases = pool.submit(lambda: reports.write_table_jsonl(out_dir / "cases.jsonl",
                                                              case_table(ev, ev.findings.codes_by_row())))
        reports.write_chunks(out_dir / "findings.jsonl", finding_chunks(ev))
        cases.result()
    reports.write_csv(out_dir / "rejected.csv", rejected_frame(ev))
    reports.write_json(out_dir / "summary.json", summ)
    if excel:
        reports.write_review_excel(Path(excel), finding_rows(ev), summ)
    return summ
