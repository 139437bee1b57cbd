"""File digests and atomic writes.

Digests are of the file bytes, exactly what ``sha256sum`` prints, so anyone
can check a published commitment without this software.  Writes go to a
temporary file in the same directory and are moved into place with
``os.replace`` (``engine.io.atomic``): a reader never sees half a draw.json,
and the file gets the ordinary permissions of the umask, like every report,
because it is meant for publication.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from engine.errors import InputError
from engine.io.atomic import atomic_path


def sha256_file(path) -> str:
    path = Path(path)
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:   # (hashlib.file_digest needs Python 3.11; the project supports 3.10)
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except FileNotFoundError:
        raise InputError(f"{path}: 文件不存在 (no such file)") from None


def atomic_write_bytes(target, data: bytes) -> None:
    with atomic_path(Path(target)) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
