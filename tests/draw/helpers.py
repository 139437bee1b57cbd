"""Reference implementations written from the spec, independent of engine.draw, and file builders."""
from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_ticket(S: str, id_: str) -> str:
    """Reference ticket written straight from the spec, independent of engine.draw.tickets."""
    inner = hashlib.sha256(S.encode("utf-8")).hexdigest()
    value = int(hashlib.sha256((inner + id_).encode("utf-8")).hexdigest(), 16)
    return "0." + "{:064d}".format(value)[::-1]


def ref_order(S: str, ids) -> list:
    """Ids sorted by their reference tickets as decimals (ties by id)."""
    from decimal import Decimal
    return sorted(ids, key=lambda i: (Decimal(ref_ticket(S, i)), i))


def make_code(rng: random.Random, prefix: str = "91440103") -> str:
    """A valid 统一社会信用代码 built with the GB 32100-2015 formula written out here (not the engine's)."""
    body = prefix + "".join(rng.choice(CODE_CHARS) for _ in range(17 - len(prefix)))
    total = sum(CODE_CHARS.index(c) * (3 ** i % 31) for i, c in enumerate(body))
    return body + CODE_CHARS[(31 - total % 31) % 31]


def write_csv(path: Path, header, rows, encoding="utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def input_args(s):
    return ["--entities", s["entities"], "--inspectors", s["inspectors"], "--conflicts", s["conflicts"]]
