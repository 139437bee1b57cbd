"""File digests and atomic writes.

Digests are of the file bytes, exactly what ``sha256sum`` prints, so anyone
can check a published commitment without this software.  Writes go to a
temporary file in the same directory and are moved into place with
``os.replace``: a reader never sees half a draw.json.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from engine.errors import InputError


def sha256_file(path) -> str:
    path = Path(path)
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:   # (hashlib.file_digest needs Python 3.11; the project supports 3.10)
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None


def temp_path(target) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def atomic_write_bytes(target, data: bytes) -> None:
    tmp = temp_path(target)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
