"""Real servers for the database tests: a throwaway database per test session on the local PostgreSQL
and MariaDB (dropped at the end), and a SQLite file.  A server that is not reachable skips its tests
with the reason; under CI (CI=true) an absent server fails them instead, since .ci/run starts both."""
import os
import uuid

import pytest

PG_ADMIN = os.environ.get("ZS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIA_ADMIN = os.environ.get("ZS_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4")
BACKENDS = ("postgresql", "mariadb", "sqlite")


def _absent(what: str, url: str, e: Exception):
    reason = f"{what} not reachable at {url}: {e.__class__.__name__}: {' '.join(str(e).split())[:200]}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI: .ci/run should have started it)")
    pytest.skip(reason)


def _server_db(admin: str, create: str, drop: str, what: str, make_url):
    import sqlalchemy as sa
    name = f"zs_db_{uuid.uuid4().hex[:10]}"
    try:
        eng = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with eng.connect() as cx:
            cx.exec_driver_sql(create.format(name=name))
    except ImportError as e:      # a driver is a project requirement (pyproject), not a service: say which
        pytest.skip(f"{what} driver not installed ({e.name}): pip install PyMySQL / psycopg[binary]")
    except Exception as e:
        _absent(what, admin, e)
    try:
        yield make_url(name)
    finally:
        with eng.connect() as cx:
            cx.exec_driver_sql(drop.format(name=name))
        eng.dispose()


@pytest.fixture(scope="session")
def pg_db():
    """A fresh PostgreSQL database for this session."""
    import sqlalchemy as sa
    base = sa.engine.make_url(PG_ADMIN)
    yield from _server_db(PG_ADMIN, 'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0',
                          'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "PostgreSQL",
                          lambda n: base.set(database=n).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def maria_db():
    """A fresh MariaDB/MySQL database for this session."""
    import sqlalchemy as sa
    base = sa.engine.make_url(MARIA_ADMIN)
    yield from _server_db(MARIA_ADMIN, "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                          "DROP DATABASE IF EXISTS `{name}`", "MariaDB",
                          lambda n: base.set(database=n).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def sqlite_db(tmp_path_factory):
    import sqlite3
    path = tmp_path_factory.mktemp("sqlite") / "zs.db"
    sqlite3.connect(path).close()          # an empty database, as a server's fresh one is
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request):
    """Each backend in turn: the URL of its throwaway database."""
    return request.getfixturevalue({"postgresql": "pg_db", "mariadb": "maria_db", "sqlite": "sqlite_db"}[request.param])
