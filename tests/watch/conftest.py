import uuid

import pytest
import sqlalchemy as sa

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def pg_url():
    try:
        eng = sa.create_engine(PG_URL)
        with eng.connect() as cx:
            cx.execute(sa.text("select 1"))
    except Exception as e:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {e.__class__.__name__}")
    schema = f"watch_test_{uuid.uuid4().hex[:8]}"
    with eng.begin() as cx:
        cx.execute(sa.text(f"create schema {schema}"))
    eng.dispose()
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    eng = sa.create_engine(PG_URL)
    with eng.begin() as cx:
        cx.execute(sa.text(f"drop schema {schema} cascade"))
    eng.dispose()


@pytest.fixture
def redis_stream():
    import redis
    try:
        r = redis.Redis.from_url(REDIS_URL)
        r.ping()
    except Exception as e:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {e.__class__.__name__}")
    name = f"zhunsheng-watch-test-{uuid.uuid4().hex[:8]}"
    yield r, name
    r.delete(name)
