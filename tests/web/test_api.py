"""The JSON API and the pages through FastAPI's TestClient: the calculator answers what ``zhunsheng
check --json`` (run as its own process) prints, the library is the rule set's, and the server refuses
what it should, Chinese first, without a traceback."""
import json
import os
import stat

import pytest

from .conftest import TOKEN, check_json, make_app, wait_job

AS_OF = "2025-01-01"
FULL = {"case_id": "WEB-1", "violation_code": "FSL-124-1", "party_type": "organization", "goods_value": "8000",
        "illegal_gain": "1200", "confiscated_gain": "1200", "fine": "30000", "sanctions": ["confiscate_goods"],
        "violation_date": "2024-03-01", "discovered_date": "2024-03-05", "filed_date": "2024-03-06",
        "decision_date": "2024-04-20", "procedure": "ordinary", "officers": "张三;李四",
        "hearing_notified": "true", "publicized_date": "2024-04-25"}
PARTIAL = {"violation_code": "FSL-124-1", "goods_value": 20000, "fine": 250000, "party_type": "个人"}
REJECTED = {"case_id": "WEB-3", "violation_code": "FSL-124-1", "fine": "-5"}
CHINESE = {"案件编号": "WEB-4", "违法行为编码": "SPAQ-124-1", "货值金额": "8,000元", "罚款金额": "12万元",
           "当事人类型": "单位", "其他处罚": ["没收"]}


@pytest.mark.parametrize("record", [FULL, PARTIAL, REJECTED, CHINESE], ids=["full", "partial", "rejected", "chinese"])
def test_api_check_is_check_json(client, record):
    res = client.post("/api/check", json={"record": record, "as_of": AS_OF})
    assert res.status_code == 200
    assert res.json() == check_json(record, AS_OF)


def test_statutory_range_is_the_statute(client):
    """食品安全法 Art. 124 ¶1: 货值金额不足一万元的，并处五万元以上十万元以下罚款；一万元以上的，并处货值金额十倍以上二十倍以下罚款."""
    under = client.post("/api/check", json={"record": {**PARTIAL, "goods_value": 9999}, "as_of": AS_OF}).json()
    over = client.post("/api/check", json={"record": PARTIAL, "as_of": AS_OF}).json()
    assert under["statutory_range"] == {"min": 50_000, "max": 100_000}
    assert over["statutory_range"] == {"min": 10 * 20_000, "max": 20 * 20_000}


def test_a_blank_fact_is_unknown_not_zero(client):
    """With 货值金额 blank the branch (under or over 10,000 yuan) is open; as 0 it would be decided."""
    blank = client.post("/calc/FSL-124-1/result", data={"fine": "70000", "as_of": AS_OF})
    assert blank.status_code == 200
    assert 'data-fact="goods_value"' in blank.text and "未定" in blank.text
    zero = client.post("/calc/FSL-124-1/result", data={"fine": "70000", "goods_value": "0", "as_of": AS_OF})
    assert 'data-fact="goods_value"' not in zero.text and "value_under_10k" in zero.text


def test_the_form_asks_for_the_provisions_facts(client, engine_state):
    page = client.get("/calc/FSL-124-1").text
    for name, zh in [("goods_value", "货值金额"), ("illegal_gain", "违法所得"), ("serious", "情节严重"),
                     ("fine", "罚款金额"), ("decision_date", "处罚决定日期")]:
        assert f'data-field="{name}"' in page and zh in page
    assert 'data-field="ad_fee"' not in page          # 广告费用 is a fact of the advertising provisions
    assert 'data-field="ad_fee"' in client.get("/calc/ADL-55-1").text


def test_search_by_code_article_and_citation(client):
    for q in ["FSL-124-1", "SPAQ-124-1", "食品安全法 124条1款", "《中华人民共和国食品安全法》第一百二十四条第一款"]:
        page = client.get("/calc", params={"q": q}).text
        assert 'data-id="FSL-124-1"' in page, q
    assert "最接近的条款" in client.get("/calc", params={"q": "《食品安全法》第九百九十九条"}).text


def test_provisions_are_the_rule_set(client):
    from click.testing import CliRunner

    from cli import main
    listed = json.loads(CliRunner().invoke(main, ["rules", "list", "--json"]).output)
    got = client.get("/api/provisions").json()
    assert [r["id"] for r in got] == [r["id"] for r in listed]
    page = client.get("/library").text
    assert page.count('<tr data-id="') == len(listed) and page.count('<tr data-id="') == len(got)
    one = client.get("/api/provisions/FSL-124-1").json()
    branches = one["versions"][-1]["branches"]
    assert {b["id"] for b in branches} == {"value_under_10k", "value_10k_or_more"}
    assert "五万元以上十万元以下罚款" in one["citation"]["words"]      # the bundled statute text


def test_library_links_to_the_statute_text(client):
    page = client.get("/library/FSL-124-1").text
    assert 'href="/law/食品安全法#art-124"' in page
    law = client.get("/law/食品安全法").text
    assert 'id="art-124"' in law and 'href="/library/FSL-124-1"' in law


def test_input_is_escaped_everywhere(client):
    evil = "<script>alert(1)</script>"
    page = client.post("/calc/FSL-124-1", data={"case_id": evil, "fine": "1", "goods_value": "1"}).text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert evil not in client.get("/calc", params={"q": evil}).text
    assert evil not in client.get("/nowhere" + evil).text


def test_errors_are_chinese_first_and_without_traceback(client):
    bad = client.post("/api/check", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("输入不符合要求")
    missing = client.get("/api/jobs/nope")
    assert missing.status_code == 404 and missing.json()["error"]["message"].startswith("没有这个任务")
    page = client.get("/library/NOPE-1")
    assert page.status_code == 404 and "没有这个条款" in page.text
    for res in (bad, missing, page):
        assert "Traceback" not in res.text


def test_writes_need_the_token(client):
    files = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    assert client.post("/api/review", files=files).status_code == 401
    assert client.post("/api/review", files=files, headers={"Authorization": "Bearer wrong"}).status_code == 401
    res = client.post("/review", files=files, data={"token": "wrong"})
    assert res.status_code == 401 and "访问令牌" in res.text


def test_no_request_path_reaches_the_file_system(client):
    for url in ["/static/..%2Fapp.py", "/static/../app.py", "/law/..%2F..%2Fetc%2Fpasswd",
                "/review/..%2F..%2Fetc/files/report", "/review/x/files/..%2F..%2Fapp.py", "/api/jobs/..%2F.."]:
        res = client.get(url)
        assert res.status_code == 404, url
        assert "import" not in res.text and "root:" not in res.text


def test_cors_is_off(client):
    res = client.options("/api/check", headers={"Origin": "http://evil.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in res.headers
    res = client.post("/api/check", json={"record": PARTIAL}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in res.headers
    assert "default-src 'self'" in res.headers["content-security-policy"]


def test_upload_limits_and_private_folder(engine_state, tmp_path):
    from fastapi.testclient import TestClient
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rows = "案件编号,违法行为编码,货值金额,罚款金额\n" + "".join(f"C{i},FSL-124-1,8000,70000\n" for i in range(6))
    with TestClient(make_app(engine_state, max_upload_bytes=4096, max_rows=5, keep_seconds=1)) as c:
        store = c.app.state.zs.jobs
        assert stat.S_IMODE(os.stat(store.root).st_mode) == 0o700
        big = c.post("/api/review", files={"file": ("big.csv", b"x" * 10_000, "text/csv")}, headers=auth)
        assert big.status_code == 413 and big.json()["error"]["message"].startswith("上传过大")
        odd = c.post("/api/review", files={"file": ("evil.sh", b"rm -rf /", "text/plain")}, headers=auth)
        assert odd.status_code == 422 and "不支持的文件类型" in odd.json()["error"]["message"]
        res = c.post("/api/review", files={"file": ("../../many.csv", rows.encode(), "text/csv")}, headers=auth)
        assert res.status_code == 202
        job = res.json()
        assert len(job["id"]) >= 24 and "/" not in job["id"]
        folder = store.root / job["id"]
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert {p.name for p in folder.iterdir()} <= {"upload.csv", "out"}    # names of the server's choosing
        done = wait_job(c.get, job["id"])
        assert done["state"] == "failed" and done["message"].startswith("记录过多")
        import time
        time.sleep(1.1)
        assert c.get(f"/api/jobs/{job['id']}").status_code == 404      # expired and removed
        assert not folder.exists()
        root = store.root
    assert not root.exists()                                            # removed when the server stops


def test_a_finished_job_offers_its_outputs(client):
    from .conftest import CASES
    auth = {"Authorization": f"Bearer {TOKEN}"}
    data = (CASES / "penalties.csv").read_bytes()
    res = client.post("/api/review", files={"file": ("处罚决定.csv", data, "text/csv")}, data={"as_of": AS_OF},
                      headers=auth)
    assert res.status_code == 202 and res.headers["location"] == f"/api/jobs/{res.json()['id']}"
    job = wait_job(client.get, res.json()["id"])
    assert job["state"] == "done" and job["file_name"] == "处罚决定.csv"
    keys = {f["key"]: f["url"] for f in job["files"]}
    assert set(keys) == {"report", "workbook", "summary.json", "findings.jsonl", "cases.jsonl", "rejected.csv"}
    summary = client.get(keys["summary.json"]).json()
    assert summary == job["summary"] and summary["input_rows"] == 27
    book = client.get(keys["workbook"])
    assert book.content[:2] == b"PK" and "attachment" in book.headers["content-disposition"]
    report = client.get(job["report_url"])
    assert "准绳 审查报告" in report.text and "sandbox allow-scripts" in report.headers["content-security-policy"]
    assert client.get(f"/review/{job['id']}/files/nope").status_code == 404


def test_the_calculator_reads_as_of_as_record_dates_are_read(client):
    """The calculator takes the date forms ``zhunsheng check --as-of`` takes; a bad one is refused Chinese first."""
    form = {"fine": "70000", "goods_value": "8000"}
    iso = client.post("/calc/FSL-124-1/result", data={**form, "as_of": "2024-12-31"})
    zh = client.post("/calc/FSL-124-1/result", data={**form, "as_of": "2024年12月31日"})
    assert iso.status_code == zh.status_code == 200
    assert zh.text == iso.text and "2024-12-31" in zh.text
    bad = client.post("/calc/FSL-124-1/result", data={**form, "as_of": "去年"})
    assert bad.status_code == 422 and "判断基准日不是日期" in bad.text and "去年" in bad.text


def test_the_api_reads_as_of_as_record_dates_are_read(client):
    """POST /api/check takes the date forms a record cell takes, and refuses a non-date Chinese first."""
    record = {"violation_code": "FSL-124-1", "goods_value": 8000, "fine": 75000}
    iso = client.post("/api/check", json={"record": record, "as_of": "2024-12-31"}).json()
    zh = client.post("/api/check", json={"record": record, "as_of": "2024年12月31日"}).json()
    assert iso["as_of"] == zh["as_of"] == "2024-12-31"
    bad = client.post("/api/check", json={"record": record, "as_of": "去年"})
    assert bad.status_code == 422 and "判断基准日不是日期" in bad.text
