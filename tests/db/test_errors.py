"""What a user sees when the database part goes wrong: one Chinese-first line, the password masked."""
import re

import pytest

from engine.cli_support import UserError
from engine.io.db.connect import masked
from engine.io.db.reader import read_db
from engine.io.db.writer import write_run_to_db

SECRET = "s3cr3t-pw"
CHINESE_FIRST = re.compile(r"^[\u4e00-\u9fff]")


def _refused(call, match: str) -> str:
    with pytest.raises(UserError) as e:
        call()
    text = e.value.format_message()
    assert CHINESE_FIRST.match(text), text
    assert re.search(match, text), text
    assert SECRET not in text and "Traceback" not in text and "\n" not in text
    return text


@pytest.mark.parametrize("url", [f"postgresql://postgres:{SECRET}@127.0.0.1:1/x",
                                 f"mysql://root:{SECRET}@127.0.0.1:1/x"])
def test_unreachable_server(url, tmp_path):
    pytest.importorskip("pymysql" if url.startswith("mysql") else "psycopg")
    text = _refused(lambda: read_db(url, table="t"), "无法连接数据库")
    assert "***" in text
    _refused(lambda: write_run_to_db(tmp_path, url), "无法连接数据库")


@pytest.mark.parametrize("url", ["not a url", f"postgresql://u:{SECRET}@host:port/db", "oracle://u@h/db", ""])
def test_bad_url(url):
    _refused(lambda: read_db(url, table="t"), "数据库地址无效|不支持的数据库|缺少数据库地址")


def test_wrong_password_is_masked(maria_db):
    import sqlalchemy as sa
    url = sa.engine.make_url(maria_db).set(username="zs_nobody", password=SECRET).render_as_string(
        hide_password=False)
    _refused(lambda: read_db(url, table="t"), "无法连接数据库")


def test_missing_table_and_failing_query(db_url):
    _refused(lambda: read_db(db_url, table="no_such_table"), "数据表不存在")
    _refused(lambda: read_db(db_url, query="SELECT no_such_column FROM no_such_table"), "查询失败")
    _refused(lambda: read_db(db_url, query="   "), "为空")
    _refused(lambda: read_db(db_url), "之一")
    _refused(lambda: read_db(db_url, table="t", query="SELECT 1"), "之一")


def test_masked_hides_only_the_password():
    assert masked(f"postgresql://me:{SECRET}@db.example:5432/reviews") == \
        "postgresql://me:***@db.example:5432/reviews"
    assert masked("sqlite:///records.db") == "sqlite:///records.db"
    assert SECRET not in masked(f"weird://me:{SECRET}@[bad")


def test_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "typo.db"
    _refused(lambda: read_db(f"sqlite:///{path}", table="t"), "数据库文件不存在")
    assert not path.exists()


def test_missing_driver_named(monkeypatch):
    """A URL whose driver package is not installed says which package to install."""
    import builtins
    real = builtins.__import__

    def no_pymysql(name, *a, **k):
        if name == "pymysql" or name.startswith("pymysql."):
            raise ModuleNotFoundError("No module named 'pymysql'", name="pymysql")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_pymysql)
    monkeypatch.delitem(__import__("sys").modules, "pymysql", raising=False)
    _refused(lambda: read_db(f"mysql://root:{SECRET}@127.0.0.1:1/x", table="t"), "未安装.*PyMySQL")
