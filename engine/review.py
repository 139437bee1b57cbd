"""Batch review: files → records → evaluation.  The one entry point ``cli review`` and ``cli check`` call."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from engine.calendar import WorkingDayCalendar
from engine.errors import InputError
from engine.io.arrow_memory import use_batch_memory_pool  # noqa: F401  (cli imports it from here)
from engine.io.readers import ROW, SOURCE, read_table
from engine.penalty.evaluate import Evaluation, evaluate
from engine.records.frame import normalize
from engine.ruleset.loader import RuleSet


def read_inputs(paths: Iterable[Path]) -> pd.DataFrame:
    """Read every file; several files are joined on canonical column names (files of different
    kinds may spell one field differently: 案件编号 / 办件编号)."""
    frames = [read_table(p) for p in paths]
    if len(frames) == 1:
        return frames[0]
    from engine.records.frame import canonical_headers
    from engine.records.kinds import BATCH
    frames = [canonical_headers(f, BATCH) for f in frames]
    sources = pd.api.types.union_categoricals([f[SOURCE].array for f in frames])
    joined = pd.concat([f.drop(columns=[SOURCE]) for f in frames], ignore_index=True, sort=False)
    joined[SOURCE] = sources
    return joined


def review_frame(raw: pd.DataFrame, ruleset: RuleSet, as_of: dt.date,
                 calendar: WorkingDayCalendar) -> Evaluation:
    if ROW not in raw.columns:
        raw = raw.assign(**{ROW: range(1, len(raw) + 1)})
    sources = raw[SOURCE].reset_index(drop=True) if SOURCE in raw.columns else None
    records = normalize(raw.drop(columns=[SOURCE], errors="ignore"), ruleset.penalty_schema)
    ev = evaluate(records, ruleset, as_of, calendar)
    ev.sources = sources
    return ev


@dataclass
class References:
    """What a review checks records against besides the rules: the audited catalogue and the power list."""
    catalogue: object = None       # engine.checks.approval.CatalogueView
    powers: object = None          # engine.powers.PowerList
    summary: dict = field(default_factory=dict)
    rejected: dict = field(default_factory=dict)   # file name -> DataFrame of rejected reference rows


def load_references(catalog: Path | None, powers: Path | None, as_of: dt.date,
                    rules_dir: Path | None = None) -> References:
    """Audit the catalogue (only retained rows count as lawful) and read the power list."""
    refs = References()
    if catalog is not None:
        from engine.catalog.audit import audit_catalog, read_catalog
        from engine.checks.approval import CatalogueView
        try:
            audit = audit_catalog(read_catalog(Path(catalog)), as_of, rules_dir)
        except InputError as e:
            raise InputError(f"--catalog {catalog}: {e}") from None
        refs.catalogue = CatalogueView(audit.retained, str(catalog))
        verdicts = audit.rows["verdict"].value_counts()
        refs.summary["catalog"] = {"file": str(catalog), "rows": int(len(audit.rows) + len(audit.rejected)),
                                   "retained": int(verdicts.get("retain", 0)),
                                   "cancelled": int(verdicts.get("cancel", 0)), "rejected": int(len(audit.rejected))}
        refs.rejected["catalog_rejected.csv"] = audit.rejected
    if powers is not None:
        from engine.powers import read_powers
        pl = read_powers(Path(powers))
        refs.powers = pl
        refs.summary["powers"] = {"file": str(powers), "rows": pl.input_rows, "used": int(len(pl.frame)),
                                  "rejected": int(len(pl.rejected))}
        refs.rejected["powers_rejected.csv"] = pl.rejected
    return refs


def review_records(raw: pd.DataFrame, ruleset: RuleSet, as_of: dt.date, calendar: WorkingDayCalendar,
                   kind: str | None = None, refs: References | None = None, threads: int | None = None):
    """A batch of any record kinds (``record_kind`` column or ``kind``), checked against ``refs``
    (``threads``: see engine.batch.review_batch)."""
    from engine.batch import review_batch
    refs = refs or References()
    batch = review_batch(raw, ruleset, as_of, calendar, kind, refs.catalogue, refs.powers, threads=threads)
    batch.inputs = refs.summary
    batch.reference_rejections = refs.rejected
    return batch


def _at_once(background, foreground):
    """Run two independent report writers at once: ``background`` on a thread, ``foreground`` here.

    Both spend most of their time in Arrow kernels and in writing, which
    release the GIL, so two threads use the two cores.  (A forked writer did
    no better: every page the parent reused after the fork was a copy-on-write
    fault, 0.3 s of kernel time on a million records.)  Each job writes its
    own file atomically; an error in either is raised here.
    """
    import threading
    failed: list[BaseException] = []

    def run():
        try:
            background()
        except BaseException as e:          # re-raised in the calling thread below
            failed.append(e)
    thread = threading.Thread(target=run, name="zhunsheng-cases-writer")
    thread.start()
    try:
        foreground()
    finally:
        thread.join()
    if failed:
        raise failed[0]


REVIEW_OUTPUTS = ("cases.jsonl", "findings.jsonl", "rejected.csv", "catalog_rejected.csv",
                  "powers_rejected.csv", "summary.json",
                  "cases.parquet", "findings.parquet", "rejected.parquet")   # --format parquet
FORMATS = ("jsonl", "parquet")


def open_outputs(out_dir: Path, excel: Path | None = None):
    """Check every output path and lock the folder before any work starts (engine.io.outset)."""
    from engine.io.outset import OutputSet, check_writable_file
    if excel is not None:
        check_writable_file(Path(excel), "--excel")
    return OutputSet(Path(out_dir), REVIEW_OUTPUTS)


def write_review(ev, out, excel: Path | None = None, fmt: str = "jsonl") -> dict:
    """Write cases.jsonl, findings.jsonl, rejected.csv (and Excel), then summary.json sealing them as one
    set; return the summary.  ``out`` is an open OutputSet (see ``open_outputs``) or a folder.
    ``fmt="parquet"``: cases.parquet, findings.parquet and rejected.parquet (besides rejected.csv) instead
    of the JSON Lines (engine.io.parquet_out)."""
    from engine.io.outset import OutputSet
    if not isinstance(out, OutputSet):
        with open_outputs(out, excel) as outs:
            return write_review(ev, outs, excel, fmt)
    if fmt == "parquet":
        return _write_review_parquet(ev, out, excel)

    from engine.io import reports
    from engine.io.outset import Digest
    from engine.results import case_tables, finding_chunks, rejected_frame
    from engine.summary import summary

    summ = summary(ev, ev.n)
    cases_digest = Digest(lines=summ["input_rows"])
    findings_digest = Digest(lines=summ["findings"] + summ["possible_findings"])
    findings_path, cases_path = out.path("findings.jsonl"), out.path("cases.jsonl")

    def write_cases():
        reports.write_tables_jsonl(cases_path, case_tables(ev), digest=cases_digest)

    def write_findings():
        reports.write_chunks(findings_path, finding_chunks(ev), findings_digest)
    _at_once(write_cases, write_findings)
    out.record("cases.jsonl", cases_digest)
    out.record("findings.jsonl", findings_digest)
    reports.write_csv(out.path("rejected.csv"), rejected_frame(ev))
    for name, frame in getattr(ev, "reference_rejections", {}).items():
        reports.write_csv(out.path(name), frame)
    if excel:
        staged = {n: out.staged[n] for n in ("rejected.csv", *getattr(ev, "reference_rejections", {}))}
        reports.write_review_excel(out.outside(Path(excel)), findings_path, summ,
                                   cases=cases_path, rejected=staged)
    return out.commit(summ)


def _write_review_parquet(ev, out, excel: Path | None = None) -> dict:
    """``write_review`` with ``--format parquet``: the same fields and rows as columns."""
    from engine.io import parquet_out, reports
    from engine.results import case_tables, finding_chunks, rejected_frame
    from engine.summary import summary

    summ = summary(ev, ev.n)
    findings_path, cases_path = out.path("findings.parquet"), out.path("cases.parquet")
    _at_once(lambda: parquet_out.write_cases(cases_path, case_tables(ev)),
             lambda: parquet_out.write_findings(findings_path, finding_chunks(ev)))
    rejected = rejected_frame(ev)
    reports.write_csv(out.path("rejected.csv"), rejected)
    parquet_out.write_rejected(out.path("rejected.parquet"), rejected)
    for name, frame in getattr(ev, "reference_rejections", {}).items():
        reports.write_csv(out.path(name), frame)
    if excel:
        staged = {n: out.staged[n] for n in ("rejected.csv", *getattr(ev, "reference_rejections", {}))}
        reports.write_review_excel(out.outside(Path(excel)), findings_path, summ,
                                   cases=cases_path, rejected=staged, fmt="parquet")
    return out.commit(summ)
