"""The limits a running server keeps, in one object: the routes read it, the command fills it.

Why a frozen dataclass: every limit that protects the machine (upload size, rows, how long files are
kept) is chosen once at start and cannot be changed by a request."""
from __future__ import annotations

from dataclasses import dataclass

MB = 1 << 20


@dataclass(frozen=True)
class Settings:
    token: str | None = None           # required by the endpoints that store files, when set
    max_upload_bytes: int = 20 * MB
    max_rows: int = 200_000
    keep_seconds: int = 3600           # uploads and outputs are removed this long after the job ends
    max_pending_jobs: int = 4          # queued or running at once; more is refused (429)
    # Host headers answered (None: any).  On a loopback address only the loopback names, so a page of
    # another site cannot reach the server by pointing its own name at 127.0.0.1 (DNS rebinding).
    allowed_hosts: tuple[str, ...] | None = None


def loopback_hosts(host: str, port: int) -> tuple[str, ...] | None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    names = ("127.0.0.1", "localhost", "[::1]")
    return names + tuple(f"{n}:{port}" for n in names)
