"""Shared fixtures for the draw tests: sample paths, a CLI runner, small register builders."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.draw.commands import draw

CASES = Path(__file__).resolve().parents[2] / "cases" / "draw"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli(runner, tmp_path):
    """Invoke ``draw`` with a private SQLite ledger unless --db is given."""
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"

    def invoke(*args, db_url: str | None = None):
        args = [str(a) for a in args]
        if "--db" not in args and args[0] != "--help":
            args += ["--db", db_url or db]
        return runner.invoke(draw, args, catch_exceptions=False)
    invoke.db = db
    return invoke


@pytest.fixture
def sample(tmp_path):
    """Copies of the bundled case (so tests may modify them)."""
    out = {}
    for name in ("plan.yaml", "entities.csv", "inspectors.csv", "conflicts.csv", "results.csv"):
        src = CASES / name
        if src.exists():
            dst = tmp_path / name
            dst.write_bytes(src.read_bytes())
            out[name.split(".")[0]] = dst
    return out

