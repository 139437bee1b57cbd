"""A long run holds memory flat: 100,000 events, RSS growth after warm-up below a stated bound."""
import os
import resource

from engine.watch.monitor import Monitor
from engine.watch.state import Store

from .helpers import synthetic_events

BOUND_MB = 40      # RSS growth from event 20,000 to event 100,000 (documented in docs/watch.md)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def test_memory_flat_over_100k_events(ruleset, calendar, tmp_path):
    lines = synthetic_events(100_000, seed=11)
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    del lines
    store = Store(f"sqlite:///{tmp_path / 'watch.sqlite'}")
    m = Monitor(ruleset, calendar, store, tmp_path, echo=lambda s: None)
    samples = {}
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            m.handle_line(line, n)
            if n in (20_000, 60_000, 100_000):
                samples[n] = (rss_mb(), len(m.cases), len(m.heap), len(m.engine.resident))
    m.close()
    store.close()
    growth = samples[100_000][0] - samples[20_000][0]
    print("rss MB / watched cases / heap / resident:", samples, "growth", round(growth, 1))
    assert growth < BOUND_MB, samples
    assert samples[100_000][1] < 3 * samples[20_000][1] + 500      # watched cases stay bounded
    assert samples[100_000][3] <= 512                              # durable-rules sessions capped
    assert m.rejected == 0
    assert os.path.getsize(tmp_path / "cards.jsonl") > 0
