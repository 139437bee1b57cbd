"""The in-process command runner for the targets tests."""
from __future__ import annotations

import pytest
from click.testing import CliRunner


@pytest.fixture
def run_targets(tmp_path):
    """Invoke ``zhunsheng targets`` in-process; returns (result, out_dir)."""
    from cli import main

    def invoke(*args, out: str = "out"):
        out_dir = tmp_path / out
        res = CliRunner().invoke(main, ["targets", *map(str, args), "--out", str(out_dir)],
                                 catch_exceptions=False)
        return res, out_dir
    return invoke
