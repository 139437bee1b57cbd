"""Large report files written past the page cache (O_DIRECT), where the system allows it.

Why: a review writes hundreds of megabytes; through the page cache every
written page is a freshly allocated kernel page, and on the virtual machines
this tool runs on (bench/README.md) fresh pages are what costs: 360 MB took
0.8 s of kernel time buffered and 0.15 s direct.  Direct writes need
block-aligned memory, offsets and lengths, so the text is copied into one
aligned staging buffer and written a block-multiple at a time; the last,
partial block is padded and the file cut back to its true length.  Where
direct I/O is refused (tmpfs, other systems), the same calls write through the
page cache as usual.
"""
from __future__ import annotations

import errno
import mmap
import os
from pathlib import Path

BLOCK = 4096                # a multiple of every logical block size Linux uses
STAGE = 8 << 20             # bytes staged per write


class BlockWriter:
    """An append-only binary file: ``write`` any bytes-like objects, then ``close``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd = None
        self.stage = None
        self.fill = 0               # bytes staged
        self.written = 0            # bytes in the file
        flag = getattr(os, "O_DIRECT", 0)
        if flag:
            try:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flag, 0o666)
                self.stage = mmap.mmap(-1, STAGE)          # page-aligned
            except OSError:
                if self.fd is not None:
                    os.close(self.fd)
                self.fd = None
        if self.fd is None:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)

    def write(self, data):
        view = memoryview(data).cast("B")
        if self.stage is None:
            self._write_all(view)
            return
        while len(view):
            k = min(len(view), STAGE - self.fill)
            self.stage[self.fill:self.fill + k] = view[:k]
            self.fill += k
            view = view[k:]
            if self.fill == STAGE:
                self._flush(STAGE)
                if self.stage is None:           # direct I/O refused: the rest goes straight through
                    self._write_all(view)
                    return

    def close(self):
        try:
            if self.stage is not None and self.fill:
                size = self.fill
                padded = -(-size // BLOCK) * BLOCK
                self.stage[size:padded] = bytes(padded - size)
                self._flush(padded)
                os.ftruncate(self.fd, self.written - (padded - size))
        finally:
            os.close(self.fd)
            if self.stage is not None:
                self.stage.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _flush(self, n: int):
        """Write the first ``n`` staged bytes; if direct I/O is refused here, go on through the page cache."""
        view = memoryview(self.stage)[:n]
        start = self.written
        try:
            self._write_all(view)
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            os.close(self.fd)
            self.fd = os.open(self.path, os.O_WRONLY)
            os.lseek(self.fd, self.written, os.SEEK_SET)
            self._write_all(view[self.written - start:])
            self.stage, staged = None, self.stage
            view.release()
            staged.close()
            self.fill = 0
            return
        view.release()
        self.fill = 0

    def _write_all(self, view: memoryview):
        while len(view):
            k = os.write(self.fd, view)
            self.written += k
            view = view[k:]
