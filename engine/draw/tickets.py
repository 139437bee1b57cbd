"""Rivest's consistent-sampler tickets, exact and fast.

``ticket(S, id) = "0." + reverse(decimal(int(SHA-256(hex(SHA-256(S)) + id))) zero-padded to ≥ 64 digits)``

Exact: the full ticket string is what the spec defines, and ties are settled on
it (then on the id), so an independent implementation that sorts full tickets
gets the same order.

Fast: a draw over ten million entities cannot afford big-integer strings per
row.  Two facts make it cheap without changing the order:

* The first 18 digits of a ticket are the lowest 18 decimal digits of the hash
  integer, reversed.  Their integer value (``key``) fits an int64 and orders
  tickets exactly, except for equal keys, which are re-ordered on the full
  ticket (``resolve_ties``).  Equal keys are rare (≈ n²/2·10⁻¹⁸) but handled.
* ``hex(SHA-256(S))`` is 64 bytes, exactly one SHA-256 block, so the hash
  state after it is computed once per S and copied per id.

The lowest 18 digits are taken with numpy (a CRT over 2¹⁸ and 5¹⁸ on 16-bit
limbs) instead of Python big-integer modulo, and large batches are hashed in
forked worker processes, because hashing is the one step that is not
vectorizable in numpy.
"""
from __future__ import annotations

import hashlib
import os
from typing import Callable, Sequence

import numpy as np

try:  # CPython's built-in SHA-256 has less per-call overhead than OpenSSL's for tiny inputs
    from _sha2 import sha256 as _fast_sha256  # Python ≥ 3.12
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _fast_sha256  # Python 3.11
    except ImportError:
        _fast_sha256 = hashlib.sha256

KEY_DIGITS = 18
PAD_DIGITS = 64
_MOD5 = 5 ** KEY_DIGITS
_MASK2 = (1 << KEY_DIGITS) - 1
_INV5 = pow(_MOD5, -1, 1 << KEY_DIGITS)
PARALLEL_MIN = 400_000   # below this, forking costs more than it saves


def seed_hex(S: str) -> str:
    return hashlib.sha256(S.encode("utf-8")).hexdigest()


def hash_int(S: str, id_: str) -> int:
    return int(hashlib.sha256((seed_hex(S) + id_).encode("utf-8")).hexdigest(), 16)


def ticket(S: str, id_: str) -> str:
    """The full ticket string of the spec (≥ 64 digits after the point)."""
    return "0." + str(hash_int(S, id_)).zfill(PAD_DIGITS)[::-1]


def ticket_sort_key(full: str, id_: str) -> tuple[str, str]:
    """Decimal order of ticket strings: pad the fraction with zeros so string order is numeric order."""
    return (full[2:].ljust(80, "0"), id_)


def key_of(S: str, id_: str) -> int:
    """The integer value of the ticket's first 18 digits."""
    return int(str(hash_int(S, id_) % 10 ** KEY_DIGITS).zfill(KEY_DIGITS)[::-1])


def short(key: int) -> str:
    """The 18-digit ticket published in draw.json."""
    return f"0.{int(key):0{KEY_DIGITS}d}"


def shorts(keys: np.ndarray) -> list[str]:
    """``short`` for many keys at once."""
    if len(keys) == 0:
        return []
    digits = np.char.zfill(np.asarray(keys, dtype=np.int64).astype("U18"), KEY_DIGITS)
    return np.char.add("0.", digits).tolist()


# -- vectorized keys -------------------------------------------------------------

# 2^(16·(15-j)) mod 5^18 for limb j, split in 21-bit halves so that a dot product
# of sixteen 16-bit limbs with either half stays below 2^63.
_POW = [pow(2, 16 * (15 - j), _MOD5) for j in range(16)]
_POW_HI = np.array([c >> 21 for c in _POW], dtype=np.int64)
_POW_LO = np.array([c & ((1 << 21) - 1) for c in _POW], dtype=np.int64)
_REV3 = np.array([int(f"{i:03d}"[::-1]) for i in range(1000)], dtype=np.int64)


def _digests_to_keys(buf: bytes | bytearray, n: int) -> np.ndarray:
    """Chunked so the int64 limb matrix stays near 128 MB however many digests there are."""
    step = 1 << 20
    if n <= step:
        return _digests_to_keys_block(buf, n)
    mv = memoryview(buf)
    return np.concatenate([_digests_to_keys_block(mv[32 * lo:32 * min(n, lo + step)], min(n, lo + step) - lo)
                           for lo in range(0, n, step)])


def _digests_to_keys_block(buf, n: int) -> np.ndarray:
    """Lowest 18 decimal digits of each 256-bit big-endian digest, reversed, as int64.

    value mod 10^18 is rebuilt by CRT from value mod 5^18 (a dot product of the
    limbs with powers of 2^16 mod 5^18) and value mod 2^18 (its low bits); the
    digits are then reversed three at a time through a table.
    """
    limbs = np.frombuffer(buf, dtype=">u2", count=16 * n).reshape(n, 16).astype(np.int64)
    r5 = ((limbs @ _POW_HI) % _MOD5 * (1 << 21) + limbs @ _POW_LO) % _MOD5
    r2 = limbs[:, 15] | ((limbs[:, 14] & 3) << 16)
    t = (((r2 - r5) & _MASK2) * _INV5) & _MASK2
    low = r5 + _MOD5 * t                                   # value mod 10^18
    key = np.zeros(n, dtype=np.int64)
    for _ in range(KEY_DIGITS // 3):
        key = key * 1000 + _REV3[low % 1000]
        low //= 1000
    return key


def _hash_block(prefix: bytes, ids: Sequence[bytes]) -> bytearray:
    base = _fast_sha256(prefix)
    copy = base.copy
    buf = bytearray(32 * len(ids))
    pos = 0
    for b in ids:
        h = copy()
        h.update(b)
        buf[pos:pos + 32] = h.digest()
        pos += 32
    return buf


def _keys_fixed_serial(prefix: bytes, mat: np.ndarray) -> np.ndarray:
    """Ids given as an (n, w) byte matrix: no Python object per id is ever built (10M ids = 180 MB)."""
    n, w = mat.shape
    if not n:
        return np.zeros(0, dtype=np.int64)
    data = mat.tobytes()
    copy = _fast_sha256(prefix).copy
    out = []
    keep = out.append            # a list joined once is ~8% faster than slice-assigning into a buffer
    for off in range(0, n * w, w):
        h = copy()
        h.update(data[off:off + w])
        keep(h.digest())
    return _digests_to_keys(b"".join(out), n)


def _keys_serial(prefix: bytes, ids: Sequence[bytes]) -> np.ndarray:
    if not ids:
        return np.zeros(0, dtype=np.int64)
    return _digests_to_keys(_hash_block(prefix, ids), len(ids))


def _pair_keys_serial(Ss: Sequence[str], ids: Sequence[bytes]) -> np.ndarray:
    prefixes = [seed_hex(S).encode("ascii") for S in Ss]   # here, so that workers share this work too
    k = len(ids)
    out = np.empty((len(prefixes), k), dtype=np.int64)
    if not k:
        return out
    block = max(1, (1 << 20) // k)     # about a million digests per numpy conversion
    for lo in range(0, len(prefixes), block):
        part = prefixes[lo:lo + block]
        digests = []
        keep = digests.append
        for p in part:
            copy = _fast_sha256(p).copy
            for b in ids:
                h = copy()
                h.update(b)
                keep(h.digest())
        out[lo:lo + len(part)] = _digests_to_keys(b"".join(digests), k * len(part)).reshape(len(part), k)
    return out


# Forked workers read their job from this global (inherited copy-on-write), so
# nothing but the small int64 results crosses a pipe.
_JOB: tuple | None = None


def _run_slice(bounds: tuple[int, int]) -> np.ndarray:
    kind, a, b = _JOB
    lo, hi = bounds
    if kind == "single":
        return _keys_serial(a, b[lo:hi])
    if kind == "fixed":
        return _keys_fixed_serial(a, b[lo:hi])
    return _pair_keys_serial(a[lo:hi], b)


def workers() -> int:
    env = os.environ.get("ZHUNSHENG_DRAW_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 8))


def _parallel(kind: str, a, b, n: int, work: int) -> np.ndarray | None:
    global _JOB
    w = workers()
    if w < 2 or work < PARALLEL_MIN:
        return None
    import multiprocessing as mp
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return None
    chunks = max(w * 4, 1)
    step = max(1, -(-n // chunks))
    bounds = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    _JOB = (kind, a, b)
    try:
        with ctx.Pool(w) as pool:
            parts = pool.map(_run_slice, bounds, chunksize=1)
    finally:
        _JOB = None
    return np.concatenate(parts) if parts else None


def keys(S: str, ids: Sequence[str]) -> np.ndarray:
    """Keys of many ids under one S (the entity draw)."""
    prefix = seed_hex(S).encode("ascii")
    raw = [i.encode("utf-8") for i in ids]
    out = _parallel("single", prefix, raw, len(raw), len(raw))
    return out if out is not None else _keys_serial(prefix, raw)


def keys_fixed(S: str, mat: np.ndarray) -> np.ndarray:
    """Keys of ids stored as an (n, w) uint8 matrix of UTF-8 bytes, all exactly w bytes long."""
    prefix = seed_hex(S).encode("ascii")
    out = _parallel("fixed", prefix, mat, len(mat), len(mat))
    return out if out is not None else _keys_fixed_serial(prefix, mat)


def pair_keys(Ss: Sequence[str], ids: Sequence[str]) -> np.ndarray:
    """Keys of every id under every S: row i holds the tickets of ``ids`` under ``Ss[i]`` (inspector draws)."""
    raw = [i.encode("utf-8") for i in ids]
    Ss = list(Ss)
    if not Ss:
        return np.zeros((0, len(raw)), dtype=np.int64)
    out = _parallel("pair", Ss, raw, len(Ss), len(Ss) * len(raw))
    return out if out is not None else _pair_keys_serial(Ss, raw)


# -- exact ordering -----------------------------------------------------------------

def resolve_ties(order: np.ndarray, k: np.ndarray, full: Callable[[int], tuple]) -> np.ndarray:
    """Re-order runs of equal keys in ``order`` (indices sorted by ``k``) on the full ticket, then id.

    ``full(i)`` gives the exact sort key of element i (``ticket_sort_key``).
    """
    if len(order) < 2:
        return order
    sk = k[order]
    eq = sk[1:] == sk[:-1]
    if not eq.any():
        return order
    order = order.copy()
    starts = np.flatnonzero(eq & ~np.concatenate(([False], eq[:-1])))
    for s in starts:
        e = s + 1
        while e < len(eq) and eq[e]:
            e += 1
        run = order[s:e + 1]
        order[s:e + 1] = sorted(run.tolist(), key=full)
    return order


def lowest(S: str, ids: Sequence[str] | None, n: int, k: np.ndarray | None = None,
           id_of: Callable[[int], str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the n lowest tickets under S, lowest first, and all keys.

    Either ``ids`` (a sequence) or precomputed keys ``k`` with ``id_of(i)`` for the rare ties.
    """
    if k is None:
        k = keys(S, ids)
    if id_of is None:
        id_of = ids.__getitem__
    m = len(k)
    n = min(n, m)
    if n <= 0:
        return np.zeros(0, dtype=np.int64), k
    if n < m:
        kth = np.partition(k, n - 1)[n - 1]
        cand = np.flatnonzero(k <= kth)   # every element tied with the n-th stays in play
    else:
        cand = np.arange(m)
    cand = cand[np.argsort(k[cand], kind="stable")]
    cand = resolve_ties(cand, k, lambda i: ticket_sort_key(ticket(S, id_of(i)), id_of(i)))
    return cand[:n], k
