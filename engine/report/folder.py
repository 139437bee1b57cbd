"""A finished review output folder, read for reports: verified as one run first, then streamed.

Reports are built from the folder rather than from the evaluator so that they can be made again at any
time from what was written, and so that a folder mixing two runs (or a run that did not finish) is
refused instead of reported on.  Files are read line by line: a review of a million records must not
need a million dicts at once.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pandas as pd

from engine.errors import InputError
from engine.io.cells import FORMULA_START

REQUIRED = ("cases.jsonl", "findings.jsonl", "rejected.csv")
PARQUET_REQUIRED = ("cases.parquet", "findings.parquet", "rejected.csv")
# rejected-row files a review may write beside rejected.csv, with what they list
REJECTED_FILES = {"rejected.csv": "审查记录", "catalog_rejected.csv": "审批目录", "powers_rejected.csv": "权力清单"}


@dataclass
class ReviewFiles:
    """Where one run's files are: a sealed folder, or the staged files of a run still being written."""
    summary: dict
    cases: Path | None              # None: no case sheet (an older caller that has only the findings)
    findings: Path | list           # a file, or findings already read
    rejected: dict[str, Path] = field(default_factory=dict)   # output name -> path
    folder: Path | None = None

    def iter_findings(self):
        return iter(self.findings) if isinstance(self.findings, list) else iter_jsonl(self.findings)

    def iter_cases(self):
        return iter(()) if self.cases is None else iter_jsonl(self.cases)

    def first_finding(self):
        return next(self.iter_findings(), None)

    def first_case(self):
        return next(self.iter_cases(), None)

    def rejected_rows(self) -> pd.DataFrame:
        """Every rejected row of the run: records, catalogue and power-list rows, with where each came from."""
        frames = []
        for name, path in self.rejected.items():
            frame = read_csv_cells(path)
            if frame.empty:
                continue
            frame = frame.assign(_source=REJECTED_FILES.get(name, name), _output=name)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["row", "case_id", "reason", "file", "record_kind", "_source", "_output"])
        return pd.concat(frames, ignore_index=True, sort=False).fillna("")


def iter_jsonl(path: Path):
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def read_csv_cells(path: Path) -> pd.DataFrame:
    """A CSV output as text cells, with the apostrophe that guarded formula-like text taken off again:
    the workbook keeps such text a text cell by itself (engine.io.cells)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for c in frame.columns:
        col = frame[c]
        hit = col.str.startswith("'") & col.str[1:2].isin(list(FORMULA_START))
        if hit.any():
            frame.loc[hit, c] = col[hit].str[1:]
    return frame


@contextlib.contextmanager
def open_review(folder: Path):
    """The files of a complete review run in ``folder``, held still while reports read them.

    Refuses (InputError, Chinese first) a folder that is not a review folder, did not finish, or mixes
    two runs (``engine.io.outset.verify_folder``)."""
    from engine.io.outset import reading
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 不是文件夹 (not a folder); 请给出 review --out 的输出文件夹 "
                         "(give the folder written by review --out)")
    parquet = (folder / "cases.parquet").is_file() and not (folder / "cases.jsonl").is_file()
    with reading(folder, PARQUET_REQUIRED if parquet else REQUIRED) as summary:
        if "by_code" not in summary or "input_rows" not in summary:
            raise InputError(f"{folder}: 不是审查结果文件夹 (not a review output folder: its summary.json has "
                             "no review counts)")
        rejected = {name: folder / name for name in REJECTED_FILES if name in summary["files"]}
        if parquet:                  # review --format parquet: the same rows, read back (engine.io.parquet_out)
            yield parquet_review_files(summary, folder / "cases.parquet", folder / "findings.parquet", rejected, folder)
        else:
            yield ReviewFiles(summary, folder / "cases.jsonl", folder / "findings.jsonl", rejected, folder)


def parquet_review_files(summary: dict, cases: Path, findings: Path, rejected: dict, folder: Path | None = None):
    """ReviewFiles over the files of ``review --format parquet`` (the rows read back as the JSON lines')."""
    from engine.io.parquet_out import iter_rows

    class ParquetReviewFiles(ReviewFiles):
        def iter_findings(self):
            return iter(self.findings) if isinstance(self.findings, list) else iter_rows(self.findings)

        def iter_cases(self):
            return iter(()) if self.cases is None else iter_rows(self.cases)
    return ParquetReviewFiles(summary, Path(cases), Path(findings), rejected, folder)
