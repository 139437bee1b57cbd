"""Batch reviews for the upload page and ``POST /api/review``: one private folder, one job at a time.

Why so: an upload is somebody's case data.  It lives in a folder only this user can open (mode 0700,
made by ``tempfile.mkdtemp``), under a name the server chooses; a request names a job only by a random
token that is looked up in memory, so no text from a request ever becomes a path.  A job's files are
removed ``keep_seconds`` after it ends, and the whole folder when the server stops.  Jobs run one at a
time on a worker thread (a review already uses the machine's cores), at most ``max_pending_jobs`` queued.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ZhunshengError
from engine.io.readers import SUFFIXES

log = logging.getLogger("zhunsheng.web")

STAGES = (("queued", "排队等候 queued"), ("reading", "读取文件 reading"), ("evaluating", "逐条审查 evaluating"),
          ("writing", "写出结果 writing"), ("report", "生成报告和工作簿 report and workbook"),
          ("done", "完成 done"))
STAGE_ZH = dict(STAGES)
REPORT = "审查报告.html"
WORKBOOK = "审查结果.xlsx"
# what a finished job offers for download: key → (file under the job folder, description)
DOWNLOADS = {"report": (REPORT, "HTML 审查报告 report"), "workbook": (WORKBOOK, "Excel 工作簿 workbook"),
             "summary.json": ("out/summary.json", "汇总 summary"),
             "findings.jsonl": ("out/findings.jsonl", "问题清单 findings"),
             "cases.jsonl": ("out/cases.jsonl", "案件明细 cases"),
             "rejected.csv": ("out/rejected.csv", "拒收记录 rejected rows")}
KINDS = ("penalty", "approval", "disclosure", "complaint")


class Refused(Exception):
    """A request the server will not take (too large, too many jobs, wrong file type): HTTP ``status``."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Job:
    id: str
    folder: Path
    input: Path
    display_name: str
    as_of: dt.date
    kind: str | None
    created: float = field(default_factory=time.time)
    state: str = "queued"              # queued | running | done | failed
    stage: str = "queued"
    message: str = ""
    finished: float | None = None
    summary: dict | None = None

    def files(self) -> dict[str, Path]:
        if self.state != "done":
            return {}
        return {k: self.folder / rel for k, (rel, _) in DOWNLOADS.items() if (self.folder / rel).is_file()}

    def view(self, keep_seconds: int) -> dict:
        """The job as ``GET /api/jobs/{id}`` shows it."""
        step = [s for s, _ in STAGES].index(self.stage)
        expires = None if self.finished is None else \
            dt.datetime.fromtimestamp(self.finished + keep_seconds).isoformat(timespec="seconds")
        return {"id": self.id, "state": self.state, "stage": self.stage, "stage_zh": STAGE_ZH[self.stage],
                "progress": round(step / (len(STAGES) - 1), 2), "message": self.message,
                "file_name": self.display_name, "as_of": self.as_of.isoformat(), "kind": self.kind,
                "summary": self.summary,
                "files": [{"key": k, "name": DOWNLOADS[k][0].rsplit("/", 1)[-1], "title": DOWNLOADS[k][1],
                           "url": f"/review/{self.id}/files/{k}"} for k in self.files()],
                "report_url": f"/review/{self.id}/report" if "report" in self.files() else None,
                "expires": expires}


def upload_suffix(name: str | None) -> str:
    """The reader for an upload, chosen by its name's suffix among those the readers know; the name
    itself is never used as a path."""
    suffix = "." + str(name or "").rsplit(".", 1)[-1].lower() if "." in str(name or "") else ""
    if suffix not in SUFFIXES:
        raise Refused(f"不支持的文件类型 (unsupported file type) '{suffix[:20]}'；可用 (use) "
                      + "、".join(sorted(SUFFIXES)))
    return suffix


class JobStore:
    def __init__(self, settings, ruleset, calendar):
        self.settings = settings
        self.ruleset = ruleset
        self.calendar = calendar
        self.root = Path(tempfile.mkdtemp(prefix="zhunsheng-serve-"))     # mode 0700
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhunsheng-review")
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="zhunsheng-sweeper", daemon=True)
        self._sweeper.start()

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _sweep_loop(self):
        while not self._stop.wait(min(60, max(1, self.settings.keep_seconds // 4))):
            self.sweep()

    def sweep(self) -> None:
        """Forget and delete the jobs that ended more than ``keep_seconds`` ago."""
        now = time.time()
        with self.lock:
            old = [j for j in self.jobs.values()
                   if j.finished is not None and now - j.finished >= self.settings.keep_seconds]
            for j in old:
                del self.jobs[j.id]
        for j in old:
            shutil.rmtree(j.folder, ignore_errors=True)

    # -- jobs -------------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        self.sweep()
        with self.lock:
            return self.jobs.get(str(job_id))

    def new_input(self, name: str | None) -> tuple[str, Path, Path]:
        """A job id, its folder and the path its upload is written to (a name of the server's choosing)."""
        suffix = upload_suffix(name)
        self.sweep()
        with self.lock:
            pending = sum(j.state in ("queued", "running") for j in self.jobs.values())
        if pending >= self.settings.max_pending_jobs:
            raise Refused("服务器正忙，请稍后再试 (the server is busy: try again later)", 429)
        job_id = secrets.token_urlsafe(18)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        return job_id, folder, folder / f"upload{suffix}"

    def submit(self, job_id: str, folder: Path, path: Path, display_name: str, as_of: dt.date,
               kind: str | None) -> Job:
        job = Job(job_id, folder, path, str(display_name or "")[:200], as_of, kind)
        with self.lock:
            self.jobs[job_id] = job
        self.pool.submit(self._run, job)
        return job

    def _run(self, job: Job) -> None:
        from engine.report.html import write_review_html
        from engine.report.workbook import write_review_workbook
        from engine.review import open_outputs, read_inputs, review_records, write_review
        job.state = "running"
        try:
            out = job.folder / "out"
            with open_outputs(out) as outs:
                job.stage = "reading"
                raw = read_inputs([job.input])
                if len(raw) > self.settings.max_rows:
                    raise Refused(f"记录过多：{len(raw):,} 行，上限 {self.settings.max_rows:,} 行 (too many rows: "
                                  f"{len(raw):,}, the limit is {self.settings.max_rows:,}); 请用命令行 zhunsheng review "
                                  "(use the command line for large batches)")
                job.stage = "evaluating"
                ev = review_records(raw, self.ruleset, job.as_of, self.calendar, job.kind)
                job.stage = "writing"
                job.summary = write_review(ev, outs)
            job.stage = "report"
            write_review_html(out, job.folder / REPORT)
            write_review_workbook(out, job.folder / WORKBOOK)
            job.stage, job.state = "done", "done"
            job.message = "审查完成 review finished"
        except (ZhunshengError, Refused) as e:
            job.state, job.message = "failed", str(e)
        except Exception:                      # a bug: the log keeps the traceback, the user gets one line
            log.exception("review job %s failed", job.id)
            job.state, job.message = "failed", "内部错误，详情见服务器日志 (internal error: see the server log)"
        finally:
            job.finished = time.time()
            try:
                job.input.unlink()             # the upload is not needed once its outputs exist
            except OSError:
                pass
