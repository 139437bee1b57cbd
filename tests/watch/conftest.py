import uuid

import pytest

REDIS_URL = "redis://127.0.0.1:6379/0"


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
