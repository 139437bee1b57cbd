"""Arrow's jemalloc pool for a large run, unless the user chose one (ARROW_DEFAULT_MEMORY_POOL).

A review or a targets run allocates and frees gigabytes of short-lived Arrow buffers; measured on this
project's 2-core VM, jemalloc's reuse of freed pages beat the default mimalloc pool (review: about 7% of
wall time and 0.1 GiB of peak memory; targets at 1M entities: 9.7 s against 10.6 s mimalloc and 11.0 s
system — bench/README.md, bench/targets.py).  Where jemalloc is not built in, the default stays.
"""
from __future__ import annotations

import os


def use_batch_memory_pool() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowNotImplementedError):
        pass
