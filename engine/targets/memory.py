"""Arrow's jemalloc pool for one large targets run, unless the user chose a pool
(ARROW_DEFAULT_MEMORY_POOL): a run over millions of entities allocates and frees many short-lived
Arrow buffers, and jemalloc's reuse of freed pages did best of the three pools on the 1M-entity
benchmark (bench/targets.py: 9.7 s against 10.6 s mimalloc and 11.0 s system), as it
did for ``review`` (engine/review.py).
"""
from __future__ import annotations

import os


def tune_allocators() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowNotImplementedError):
        pass
