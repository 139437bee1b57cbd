"""A real server for the web tests: the app ``zhunsheng serve`` builds, run by uvicorn on a free port
of 127.0.0.1 in a thread (the browser and schemathesis tests talk to it over HTTP), and the
``zhunsheng`` command run as a separate process for the answers the pages must equal."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"
ZHUNSHENG = Path(sys.executable).with_name("zhunsheng")
TOKEN = "token-for-the-tests"
ARTIFACTS = Path(os.environ.get("ZHUNSHENG_TEST_ARTIFACTS", ROOT / "out" / "test-artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args, expect=(0, 1)) -> subprocess.CompletedProcess:
    """The command line in a process of its own, as a user runs it."""
    res = subprocess.run([str(ZHUNSHENG), *map(str, args)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONUTF8": "1"})
    assert res.returncode in expect, res.stderr
    return res


def check_json(record: dict, as_of: str) -> dict:
    return json.loads(cli("check", "--json", json.dumps(record, ensure_ascii=False), "--as-of", as_of,
                          expect=(0, 1, 2)).stdout)


@pytest.fixture(scope="session")
def engine_state():
    """The rule set and calendar exactly as ``zhunsheng serve`` takes them (cli.Context)."""
    from cli import Context
    c = Context(None, ())
    return c.ruleset, c.calendar


def make_app(engine_state, **limits):
    from engine.web.app import create_app
    from engine.web.settings import Settings
    return create_app(*engine_state, Settings(token=TOKEN, **limits))


class Live:
    """uvicorn serving ``app`` on a free port, in a thread; ``url`` once it answers."""

    def __init__(self, app, port: int):
        import uvicorn
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def live(engine_state):
    """With the Host check ``zhunsheng serve`` turns on for 127.0.0.1."""
    from engine.web.settings import loopback_hosts
    port = free_port()
    server = Live(make_app(engine_state, allowed_hosts=loopback_hosts("127.0.0.1", port)), port)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(engine_state):
    from fastapi.testclient import TestClient
    with TestClient(make_app(engine_state)) as c:
        yield c


def wait_job(get, job_id: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        state = get(f"/api/jobs/{job_id}").json()
        if state["state"] in ("done", "failed"):
            return state
        assert time.time() < deadline, state
        time.sleep(0.2)


from conftest import need_program  # noqa: E402,F401  (tests import it from here)
