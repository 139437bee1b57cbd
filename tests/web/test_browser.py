"""An officer at the pages, in real headless Chromium (Debian's, driven by Playwright; no browser
download) against the real server: the calculator shows what ``zhunsheng check --json`` says for the
same record, an upload gives the ``summary.json`` the command line gives.  The screenshots the README
shows are taken here (docs/img/calculator.png, docs/img/report.png)."""
import json

import pytest

from .conftest import ARTIFACTS, CASES, ROOT, TOKEN, check_json, cli
from .test_api import AS_OF, FULL

DOCS_IMG = ROOT / "docs" / "img"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def settled(page):
    page.wait_for_function("() => { const r = document.getElementById('result'); return r.dataset.seq &&"
                           " r.dataset.seq === r.dataset.sent && !r.hasAttribute('aria-busy'); }", timeout=20000)


def fill_record(page, record):
    for name, value in record.items():
        if name in ("violation_code",):
            continue
        if isinstance(value, list):
            for code in value:
                page.check(f'input[name="{name}"][value="{code}"]')
        elif page.locator(f"select#f-{name}").count():
            page.select_option(f"#f-{name}", value)
        else:
            page.fill(f"#f-{name}", value)


def test_an_officer_computes_a_fsl_124_1_case(live, page):
    want = check_json(FULL, AS_OF)
    page.goto(live.url + "/calc")
    page.fill("#q", "FSL-124-1")
    page.press("#q", "Enter")
    page.click('#provisions a[href="/calc/FSL-124-1"] >> nth=0')
    page.wait_for_selector("#calc-form")
    fill_record(page, {**FULL, "as_of": AS_OF})
    page.click("#compute")
    settled(page)
    result = page.locator("#result")
    assert result.locator('[data-key="provision"]').text_content() == want["provision"]
    assert want["branch"] in result.locator('[data-key="branch"]').text_content()
    assert result.locator("[data-tier]").evaluate_all("els => els.map(e => e.dataset.tier)") == want["tiers"]

    def amount(key):
        return float(result.locator(f'[data-key="{key}"]').text_content().replace(",", ""))
    assert amount("lawful_fine_min") == want["lawful_fine_min"] and amount("lawful_fine_max") == want["lawful_fine_max"]
    assert amount("statutory_min") == want["statutory_range"]["min"] == 50_000    # 食品安全法 Art. 124 ¶1, under 10,000 yuan
    assert amount("statutory_max") == want["statutory_range"]["max"] == 100_000
    shown = result.locator("li[data-code]").evaluate_all("els => els.map(e => [e.dataset.code, e.dataset.certainty])")
    assert sorted(map(tuple, shown)) == sorted((f["code"], f["certainty"]) for f in want["findings"])
    assert want["codes"] == ["penalty.below_statutory_min"]
    assert "食品安全法第124条第1款" in result.text_content() and "行政处罚法第32条" in result.text_content()
    assert page.errors == []
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS_IMG / "calculator.png"), full_page=True)

    with page.expect_popup() as popup:
        page.click("#opinion")
    opinion = popup.value
    opinion.wait_for_load_state()
    text = opinion.text_content("body")
    assert "法制审核意见" in text and "WEB-1" in text and "无法定减轻情节而低于法定最低限额处罚" in text
    assert "五万元以上十万元以下罚款" in text          # the words of the article cited
    assert "行政处罚法第32条" in text and "当事人有下列情形之一，应当从轻或者减轻行政处罚" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opinion.screenshot(path=str(ARTIFACTS / "opinion.png"), full_page=True)


def test_facts_entered_one_by_one_update_the_result(live, page):
    """Without pressing 计算: the result follows the form, and a blank fact stays open."""
    page.goto(live.url + "/calc/FSL-124-1")
    page.fill("#f-fine", "70000")
    settled(page)
    assert page.locator('#result [data-fact="goods_value"]').count() == 1
    page.fill("#f-goods_value", "20000")
    page.wait_for_function("() => document.querySelector('#result [data-key=\"branch\"]')?.textContent"
                           ".includes('value_10k_or_more')", timeout=20000)
    settled(page)
    assert page.locator('#result [data-fact="goods_value"]').count() == 0
    assert page.text_content('#result [data-key="statutory_min"]') == "200,000.00"   # ten times 20,000 (Art. 124 ¶1)


def test_an_upload_gives_the_summary_of_the_command_line(live, page, tmp_path):
    src = CASES / "penalties.csv"
    cli("review", src, "--out", tmp_path / "cli", "--as-of", AS_OF)
    want = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))
    page.goto(live.url + "/review")
    page.set_input_files("#f-file", str(src))
    page.fill("#f-as_of", AS_OF)
    page.fill("#f-token", TOKEN)
    page.click("#start")
    page.wait_for_selector("#done:not([hidden])", timeout=60000)
    with page.expect_download() as dl:
        page.click('#files a[data-key="summary.json"]')
    got = json.loads(open(dl.value.path(), encoding="utf-8").read())
    counts = [k for k in want if k not in ("files", "run_id", "inputs")]
    assert {k: got[k] for k in counts} == {k: want[k] for k in counts}
    for key in ("input_rows", "evaluated", "rejected", "findings"):
        assert int(page.text_content(f'#summary [data-key="{key}"]')) == want[key]
    assert page.errors == []
    with page.expect_popup() as popup:
        page.click("#report-link")
    report = popup.value
    report.wait_for_function("document.querySelectorAll('[data-spec]').length === "
                             "document.querySelectorAll('[data-rendered]').length", timeout=30000)
    assert int(report.text_content('[data-key="input_rows"]').replace(",", "")) == want["input_rows"]
    assert int(report.text_content('[data-key="findings"]').replace(",", "")) == want["findings"]
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    report.set_viewport_size({"width": 1280, "height": 1400})
    report.screenshot(path=str(DOCS_IMG / "report.png"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-review.png"), full_page=True)
