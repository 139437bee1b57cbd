"""Tickets: the issue's golden vector, Rivest's published vectors, and the fast path against the spec."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.draw import tickets as tk
from .helpers import ref_order, ref_ticket


def rivest_trim(x: str, digits: int) -> str:
    """Rivest's display form: `digits` significant digits after the initial run of 9s (truncated)."""
    frac = x[2:] + "0"
    first_non_9 = next(i for i, c in enumerate(frac) if c < "9")
    return x[: 2 + first_non_9 + digits]


def test_issue_golden_vector():
    ids = ["ab-1", "ab-2", "cd-1", "ef-3"]
    assert ref_order("314159", ids) == ["cd-1", "ef-3", "ab-1", "ab-2"]
    assert ref_ticket("314159", "cd-1").startswith("0.317685817")
    assert ref_ticket("314159", "ef-3").startswith("0.832984519")
    idx, _ = tk.lowest("314159", ids, 4)
    assert [ids[i] for i in idx] == ["cd-1", "ef-3", "ab-1", "ab-2"]
    assert tk.ticket("314159", "cd-1").startswith("0.317685817")
    assert tk.short(tk.keys("314159", ["cd-1"])[0]) == "0.317685817477851565"


# Published in ron-rivest/consistent_sampler (consistent_sampler.py docstrings and
# test_consistent_sampler.py, decimal version of 2018): seed 314159 is str()-ed to "314159".
RIVEST_FULL = {
    ("01382438112797316654", "AB-130"):
        "0.26299714122838008416507544297546663599715395525154425586041245287750224561854",
    ("xy()134!g2n", "cat"): "0.24866413894129579898796850445568128508290132707747976039848637531569373309555",
    ("xy()134!g2n", "dog"): "0.33886035615681875183111698317327684455682722683976874746986356932751818935066",
    ("xy()134!g2n", "fish"): "0.74685932088827950509145941729789143204056041958068799542050396198792954500593",
    ("xy()134!g2n", "goat"): "0.49599842072022713663423753308080171636735689997237236247068925068573448764387",
}
RIVEST_X4 = [("0.410310858", "B-2"), ("0.470960291", "B-3"), ("0.471438751", "A-3"),
             ("0.567089805", "A-2"), ("0.9781715679", "B-1"), ("0.9828515724", "A-1")]
RIVEST_ABCD = [("0.317685817", "cd-1"), ("0.832984519", "ef-3"), ("0.9098039269", "ab-1"),
               ("0.9231549043", "ab-2")]


@pytest.mark.parametrize("seed_id,expected", list(RIVEST_FULL.items()))
def test_rivest_full_tickets(seed_id, expected):
    seed, id_ = seed_id
    assert ref_ticket(seed, id_) == expected     # the spec as written reproduces Rivest's numbers
    assert tk.ticket(seed, id_) == expected      # and so does the engine


@pytest.mark.parametrize("published", [RIVEST_X4, RIVEST_ABCD])
def test_rivest_sampler_order_and_trimmed_tickets(published):
    ids = [i for _, i in published]
    shuffled = sorted(ids)
    assert [(rivest_trim(ref_ticket("314159", i), 9), i) for i in ref_order("314159", shuffled)] == published
    idx, _ = tk.lowest("314159", shuffled, len(ids))
    assert [shuffled[i] for i in idx] == ids


def test_rivest_consistency_subset_keeps_relative_order():
    # Rivest's X3: sampling only the B items keeps their relative order B-2, B-3, B-1.
    idx, _ = tk.lowest("314159", ["B-1", "B-2", "B-3"], 3)
    assert [["B-1", "B-2", "B-3"][i] for i in idx] == ["B-2", "B-3", "B-1"]


@settings(max_examples=60, deadline=None)
@given(seed=st.text(min_size=0, max_size=30),
       ids=st.lists(st.text(min_size=1, max_size=24), min_size=1, max_size=40, unique=True))
def test_vectorized_keys_equal_first_18_digits_of_the_spec(seed, ids):
    keys = tk.keys(seed, ids)
    for i, k in zip(ids, keys.tolist()):
        assert tk.short(k) == ref_ticket(seed, i)[:20]


@settings(max_examples=40, deadline=None)
@given(seed=st.text(max_size=12), ids=st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=30, unique=True),
       data=st.data())
def test_lowest_is_the_spec_order_prefix(seed, ids, data):
    n = data.draw(st.integers(0, len(ids)))
    idx, _ = tk.lowest(seed, ids, n)
    assert [ids[i] for i in idx] == ref_order(seed, ids)[:n]


def test_equal_keys_are_settled_on_the_full_ticket():
    """Force massive ties by keeping only 2 digits of the key: the order must still be the exact one."""
    ids = [f"E{i:05d}" for i in range(3000)]
    S = "tie-test"
    coarse = tk.keys(S, ids) // 10 ** 16
    order = np.argsort(coarse, kind="stable")
    resolved = tk.resolve_ties(order, coarse, lambda i: tk.ticket_sort_key(tk.ticket(S, ids[i]), ids[i]))
    assert [ids[i] for i in resolved] == ref_order(S, ids)
    idx, _ = tk.lowest(S, ids, 1234, k=coarse)
    assert [ids[i] for i in idx] == ref_order(S, ids)[:1234]


def test_parallel_workers_give_the_same_keys(monkeypatch):
    ids = [f"91440103{i:09d}X" for i in range(5000)]
    serial = tk.keys("par", ids)
    pair_serial = tk.pair_keys(["a", "b", "c", "d", "e"], ids[:300])
    mat = np.frombuffer("".join(ids).encode(), dtype=np.uint8).reshape(len(ids), 18)
    assert np.array_equal(tk.keys_fixed("par", mat), serial)
    monkeypatch.setattr(tk, "PARALLEL_MIN", 10)
    monkeypatch.setenv("ZHUNSHENG_DRAW_WORKERS", "2")
    assert np.array_equal(tk.keys("par", ids), serial)
    assert np.array_equal(tk.keys_fixed("par", mat), serial)
    assert np.array_equal(tk.pair_keys(["a", "b", "c", "d", "e"], ids[:300]), pair_serial)


def test_keys_handle_non_ascii_and_long_ids():
    ids = ["执法证-粤0001", "x" * 200, ""]
    for i, k in zip(ids, tk.keys("种子", ids).tolist()):
        assert tk.short(k) == ref_ticket("种子", i)[:20]
