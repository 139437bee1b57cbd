"""A folder of outputs as one provable set.

Why: a run killed mid-write, or two runs into one folder, used to leave ``cases.jsonl`` from one run
beside ``findings.jsonl`` from another, and commands reading the folder could not tell.  Now:

- a run takes the folder's lock file first (``.zhunsheng.lock``, an ``flock`` that the kernel releases
  when the process dies, so a killed run never leaves the folder locked); a second run is refused;
- under the lock, temporary files left by killed runs are removed;
- every output is written under a temporary name; ``summary.json`` of the previous run is removed
  before the first output is renamed into place, and the new one is written last, naming each
  output with its SHA-256 and line count and a ``run_id`` that is the digest of that list;
- a reader calls ``verify_folder``: no ``summary.json`` means an incomplete run, a file that does not
  match its digest means a mixed folder; both are refused with the reason.

The ``run_id`` is derived from the outputs, not drawn at random: the same input reviewed twice gives
byte-identical folders (the reports are compared byte for byte across thread counts and batch sizes).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from engine.errors import InputError

LOCK = ".zhunsheng.lock"
SUMMARY = "summary.json"
_NEWLINE_SLICE = 8 << 20


class Digest:
    """SHA-256 and line count of bytes as they are written (no second read of a large file).

    ``lines`` given: the writer knows how many lines it writes (JSON Lines of N records), so the bytes
    are not scanned for newlines; a reader still counts them, so a wrong count would fail the folder."""

    def __init__(self, lines: int | None = None):
        self.sha = hashlib.sha256()
        self.lines = lines or 0
        self._count = lines is None

    def update(self, data) -> None:
        view = memoryview(data).cast("B")
        self.sha.update(view)
        if not self._count:
            return
        for i in range(0, len(view), _NEWLINE_SLICE):
            self.lines += int(np.count_nonzero(np.frombuffer(view[i:i + _NEWLINE_SLICE], np.uint8) == 10))

    def entry(self) -> dict:
        return {"sha256": self.sha.hexdigest(), "lines": self.lines}


def file_digest(path: Path) -> dict:
    d = Digest()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_NEWLINE_SLICE)
            if not block:
                break
            d.update(block)
    return d.entry()


def run_id_of(files: dict) -> str:
    """The digest of a set: names and contents of every output, so a changed file changes the id."""
    text = "\n".join(f"{name}\t{files[name]['sha256']}" for name in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def check_writable_dir(folder: Path, option: str = "--out") -> bool:
    """Refuse, before any work, a folder that cannot be created or written (read-only file system,
    a path under a file, an immutable folder).  Returns whether the folder was created here."""
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"无法创建输出文件夹 (cannot create the output folder) {option} {folder}: "
                         f"{e.strerror or e}") from None
    if not folder.is_dir():
        raise InputError(f"输出路径不是文件夹 (output path is not a folder) {option} {folder}")
    probe = folder / f".zhunsheng-probe-{os.getpid()}.tmp"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"x")
    except OSError as e:
        raise InputError(f"无法写入输出文件夹 (cannot write to the output folder) {option} {folder}: "
                         f"{e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return created


def check_writable_file(path: Path, option: str) -> None:
    """Refuse, before any work, an output file whose folder cannot be written or that is a folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"输出文件是一个文件夹 (output file is a folder) {option} {path}")
    check_writable_dir(path.parent, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"输出文件不可写 (output file is not writable) {option} {path}")


class OutputSet:
    """The outputs of one run into one folder; use as a context manager around the whole run."""

    def __init__(self, folder: Path, known: tuple[str, ...] = ()):
        self.folder = Path(folder)
        self.known = tuple(known)          # output names a run of this command may write
        self.staged: dict[str, Path] = {}
        self.digests: dict[str, dict] = {}
        self.extra: dict[Path, Path] = {}  # outputs outside the folder: final path -> staged path
        self._lock = None
        self._created = False

    # -- lifetime -----------------------------------------------------------------------------
    def __enter__(self):
        self._created = check_writable_dir(self.folder)
        self._take_lock()
        try:
            self._refuse_odd_entries()
        except BaseException:
            self._release()
            raise
        self._remove_stale()
        return self

    def _refuse_odd_entries(self):
        """A folder (or link, pipe ...) under an output's name would fail the run half-way: refuse first."""
        for name in self.known:
            p = self.folder / name
            if os.path.lexists(p) and not (p.is_file() and not p.is_symlink()):
                raise InputError(f"{p}: 输出文件名已被文件夹或链接占用 (an output's name is taken by a folder "
                                 "or link); 请移走它或换一个 --out (move it or choose another --out)")

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                self._discard()
            if exc_type is not None and self._created:    # a refused run leaves no empty folder behind
                with contextlib.suppress(OSError):
                    if [p.name for p in self.folder.iterdir()] == [LOCK]:
                        (self.folder / LOCK).unlink()   # still locked: a run waiting for it sees the file gone
                        self.folder.rmdir()
        finally:
            self._release()
        return False

    def _take_lock(self):
        self._lock = _lock(self.folder, exclusive=True)

    def _release(self):
        if self._lock is not None:
            self._lock.close()        # closing the descriptor releases the flock
            self._lock = None

    def _remove_stale(self):
        for p in self.folder.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp") and p.is_file():
                with contextlib.suppress(OSError):
                    p.unlink()

    def _discard(self):
        for p in list(self.staged.values()) + list(self.extra.values()):
            with contextlib.suppress(OSError):
                p.unlink()

    # -- staging ------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Where to write output ``name`` now; it gets its real name only at ``commit``."""
        staged = self.folder / f".{name}.staged.tmp"
        self.staged[name] = staged
        return staged

    def outside(self, target: Path) -> Path:
        """A staging path for an output the user put elsewhere (``--excel``), renamed at ``commit``."""
        target = Path(target)
        if target.resolve().parent == self.folder.resolve():
            if target.name in self.known or target.name == LOCK:
                raise InputError(f"{target}: 与本次运行的输出文件同名 (has the name of one of the run's own "
                                 "outputs); 请换一个文件名 (choose another name)")
            return self.path(target.name)
        staged = target.parent / f".{target.name}.staged-{os.getpid()}.tmp"
        self.extra[target] = staged
        return staged

    def record(self, name: str, digest: Digest) -> None:
        """The digest computed while ``name`` was written (saves reading it again)."""
        self.digests[name] = digest.entry()

    def commit(self, summary: dict) -> dict:
        """Put every staged output in place and write ``summary.json`` last, sealed with the digests.

        Returns the summary as written (with ``run_id`` and ``files``)."""
        files = {name: self.digests.get(name) or file_digest(p) for name, p in sorted(self.staged.items())}
        sealed = {**summary, "run_id": run_id_of(files), "files": files}
        summary_path = self.folder / SUMMARY
        with contextlib.suppress(FileNotFoundError):
            summary_path.unlink()           # from here until the end the folder reads as incomplete
        for name, staged in self.staged.items():
            os.chmod(staged, 0o666 & ~_umask())
            os.replace(staged, self.folder / name)
        for name in self.known:
            if name not in self.staged and name != SUMMARY:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / name).unlink()   # an output of an earlier run that this run has not
        for target, staged in self.extra.items():
            os.chmod(staged, 0o666 & ~_umask())
            os.replace(staged, target)
        from engine.io.atomic import write_text
        write_text(summary_path, json.dumps(sealed, ensure_ascii=False, indent=2, default=str) + "\n")
        self.staged.clear()
        self.extra.clear()
        return sealed


def _lock(folder: Path, exclusive: bool):
    """The folder's lock, taken without waiting: exclusive for a writer, shared for a reader.

    The lock file is checked to be the one at the path after locking: a refused run removes the lock
    file of a folder it created, and a run that locked the removed file must not go on."""
    import fcntl
    path = Path(folder) / LOCK
    for _ in range(3):
        try:
            fh = open(path, "a+b") if exclusive else open(path, "rb")
        except FileNotFoundError:
            if exclusive:
                raise
            return None             # nothing has written this folder under a lock: nothing to wait for
        except OSError:
            return None if not exclusive else _raise_unwritable(folder)
        try:
            fcntl.flock(fh, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            if exclusive:
                raise InputError(f"输出文件夹正被另一次运行使用 (the output folder is in use by another run): "
                                 f"{folder}; 请等待其完成或换一个 --out (wait for it or choose another --out)") from None
            raise InputError(f"{folder}: 审查结果正在写入 (the review folder is being written by a run); "
                             "请等待其完成 (wait for it to finish)") from None
        try:
            same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fh
        fh.close()
    raise InputError(f"{folder}: 无法锁定文件夹 (cannot lock the folder)")


def _raise_unwritable(folder):
    raise InputError(f"无法写入输出文件夹 (cannot write to the output folder) {folder}")


@contextlib.contextmanager
def reading(folder: Path, required: tuple[str, ...] = ()):
    """Hold a review folder still while it is verified and read: a run writing into it meanwhile is
    refused (it needs the lock exclusively), so what is read is what was verified."""
    fh = _lock(Path(folder), exclusive=False)
    try:
        yield verify_folder(folder, required)
    finally:
        if fh is not None:
            fh.close()


def verify_folder(folder: Path, required: tuple[str, ...] = ()) -> dict:
    """The sealed summary of an output folder, after checking every listed file against it.

    Raises InputError for a folder with no summary (a run that did not finish), a summary without a
    seal (an older version, or written by hand), a missing file, or a file whose SHA-256 or line count
    differs from the summary (a folder mixing two runs)."""
    folder = Path(folder)
    path = folder / SUMMARY
    if not path.is_file():
        raise InputError(f"{folder}: 没有 summary.json，输出不完整（运行未完成或被中断） "
                         "(no summary.json: the run did not finish); 请重新运行 (run it again)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise InputError(f"{path}: summary.json 无法读取 (unreadable): {e}") from None
    files = summary.get("files") if isinstance(summary, dict) else None
    if not isinstance(files, dict) or "run_id" not in summary:
        raise InputError(f"{path}: summary.json 没有 run_id 和 files，无法证明文件属于同一次运行 "
                         "(no run_id and files: cannot prove the files are one run — written by an older "
                         "version?); 请重新运行 (run it again)")
    for name in required:
        if name not in files:
            raise InputError(f"{folder}: summary.json 未列出 {name} (summary.json does not list {name})")
    for name, want in files.items():
        if not isinstance(want, dict) or "/" in name or "\\" in name or name.startswith("."):
            raise InputError(f"{path}: 文件清单有误 (bad file entry): {name!r}")
        p = folder / name
        if not p.is_file():
            raise InputError(f"{folder}: 缺少 {name}，文件夹不完整 (missing {name}: the folder is incomplete)")
        got = file_digest(p)
        if got != {"sha256": want.get("sha256"), "lines": want.get("lines")}:
            raise InputError(f"{folder}: {name} 与 summary.json（运行 {summary['run_id']}）不符，文件夹混有不同运行的输出 "
                             f"({name} does not match summary.json of run {summary['run_id']}: the folder mixes "
                             "outputs of different runs); 请重新运行 (run it again)")
    if run_id_of(files) != summary["run_id"]:
        raise InputError(f"{path}: run_id 与文件清单不符 (run_id does not match the file list)")
    return summary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
