import datetime as dt
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def ruleset():
    from engine.ruleset.loader import load_rules
    return load_rules(ROOT / "rules")


@pytest.fixture(scope="session")
def calendar():
    from engine.calendar import default_calendar
    return default_calendar()


@pytest.fixture
def review(ruleset, calendar):
    """Review a list of record dicts; returns the Evaluation."""
    import pandas as pd

    from engine.review import review_frame

    def run(records, as_of=dt.date(2099, 12, 31)):
        raw = pd.DataFrame([{k: (";".join(v) if isinstance(v, list) else v) for k, v in r.items()}
                            for r in records]).astype(object)
        return review_frame(raw, ruleset, as_of, calendar)
    return run


BASE = {
    "violation_code": "FSL-124-1", "party_type": "organization", "party_id": "91110105MA0000001X",
    "officers": "T1;T2", "procedure": "ordinary", "violation_date": "2024-03-01",
    "discovered_date": "2024-03-05", "filed_date": "2024-03-06", "decision_date": "2024-04-20",
    "publicized_date": "2024-04-25", "hearing_notified": "true", "sanctions": "confiscate_goods",
    "harm": "general", "goods_value": 8000, "fine": 75000,
}


@pytest.fixture
def base_record():
    return dict(BASE)


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url():
    """A private schema in the local PostgreSQL (dropped afterwards); skips, saying why, if none is reachable."""
    import sqlalchemy as sa
    try:
        eng = sa.create_engine(PG_URL)
        with eng.connect() as cx:
            cx.execute(sa.text("select 1"))
    except Exception as e:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {e.__class__.__name__}")
    schema = f"zs_test_{uuid.uuid4().hex[:8]}"
    with eng.begin() as cx:
        cx.execute(sa.text(f"create schema {schema}"))
    eng.dispose()
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    eng = sa.create_engine(PG_URL)
    with eng.begin() as cx:
        cx.execute(sa.text(f"drop schema {schema} cascade"))
    eng.dispose()


def need_program(name: str, skip_var: str):
    """The path of a system program a test needs.  Under CI (which installs it in .ci/run) a missing
    program fails the test; elsewhere the test skips with the reason; ``skip_var`` set skips always."""
    import os
    import shutil
    if os.environ.get(skip_var):
        pytest.skip(f"{skip_var} is set")
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian: .ci/run installs it; set {skip_var}=1 to skip)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    chromium = need_program("chromium", "ZHUNSHENG_SKIP_BROWSER")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()
