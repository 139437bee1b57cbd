"""The HTML report in real headless Chromium (Debian's, driven by Playwright; no browser download),
with the network off: it loads without a request leaving the file or a console error, draws every chart,
shows the numbers of summary.json, and its findings table filters and sorts.  A screenshot is kept in
out/test-artifacts/ (or $ZHUNSHENG_TEST_ARTIFACTS)."""
import pytest

from engine.report.html import write_review_html

from .conftest import ARTIFACTS, HTML_DEPARTMENT, findings_of, summary_of


class Opened:
    def __init__(self, browser, path):
        self.context = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("document.querySelectorAll('[data-spec]').length === "
                                    "document.querySelectorAll('[data-rendered]').length", timeout=30000)

    def visible_rows(self, table_id):
        return self.page.eval_on_selector_all(
            f"#{table_id} tbody tr", "rows => rows.filter(r => !r.hidden).map(r => Array.from(r.cells, c => c.textContent))")


@pytest.fixture(scope="module")
def opened(browser, sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "report.html"
    write_review_html(sample, path)
    o = Opened(browser, path)
    yield o
    o.context.close()


def test_loads_offline_draws_every_chart_and_logs_no_error(opened):
    page = opened.page
    assert opened.errors == []
    outside = [u for u in opened.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert outside == []
    states = page.eval_on_selector_all("[data-spec]", "els => els.map(e => e.getAttribute('data-rendered'))")
    assert len(states) >= 5 and set(states) == {"yes"}
    marks = page.eval_on_selector_all("[data-spec] svg", "els => els.map(e => e.querySelectorAll('path, rect, line, text').length)")
    assert len(marks) == len(states) and min(marks) > 5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_the_numbers_are_those_of_summary_json(opened, sample):
    s = summary_of(sample)
    shown = dict(opened.page.eval_on_selector_all(
        "[data-key]", "els => els.map(e => [e.getAttribute('data-key'), e.textContent])"))
    keys = ["input_rows", "evaluated", "rejected", "findings", "cases_with_findings"]
    keys += [k for k in ("possible_findings", "cases_with_possible_findings") if k in s]
    for key in keys:
        assert int(shown[key].replace(",", "")) == s[key], key
    for cat, n in s["by_category"].items():
        assert int(shown[f"by_category.{cat}"].replace(",", "")) == n
    for sev, n in s["by_severity"].items():
        assert int(shown[f"by_severity.{sev}"].replace(",", "")) == n
    rows = opened.visible_rows("findings-table")
    assert len(rows) == s["findings"] + s.get("possible_findings", 0) == len(findings_of(sample))
    codes = opened.visible_rows("codes")
    assert {r[1]: int(r[4]) for r in codes if int(r[4])} == s["by_code"]
    if "possible_by_code" in s:
        assert {r[1]: int(r[5]) for r in codes if int(r[5])} == s["possible_by_code"]


def test_search_filters_the_findings_table(opened, sample):
    page = opened.page
    case = "示市监罚〔2024〕4号"
    want = [f for f in findings_of(sample) if f["case_id"] == case]
    page.fill('input[data-filter="findings-table"]', case)
    rows = opened.visible_rows("findings-table")
    assert len(rows) == len(want) >= 2 and all(r[0] == case for r in rows)
    assert page.text_content('[data-count="findings-table"]').startswith(f"显示 {len(want)} / ")
    page.fill('input[data-filter="findings-table"]', "食品安全法 超过法定最高")   # every word must match
    rows = opened.visible_rows("findings-table")
    assert rows and all("食品安全法" in " ".join(r) and "超过法定最高" in " ".join(r) for r in rows)
    page.fill('input[data-filter="findings-table"]', "")
    assert len(opened.visible_rows("findings-table")) == len(findings_of(sample))


def test_headers_sort_the_tables(opened):
    page = opened.page
    head = page.locator("#rejected-table th", has_text="原始行号")
    head.click()
    rows = [int(r[2]) for r in opened.visible_rows("rejected-table")]
    assert rows == sorted(rows) and head.get_attribute("aria-sort") == "ascending"
    head.click()
    rows = [int(r[2]) for r in opened.visible_rows("rejected-table")]
    assert rows == sorted(rows, reverse=True) and head.get_attribute("aria-sort") == "descending"
    page.locator("#findings-table th", has_text="严重程度").click()
    order = {"高": 0, "中": 1, "低": 2}
    sev = [order[r[5]] for r in opened.visible_rows("findings-table")]
    assert sev == sorted(sev) and len(set(sev)) == 3


def test_input_text_never_runs_in_the_page(browser, hostile, tmp_path):
    path = tmp_path / "hostile.html"
    write_review_html(hostile, path)
    o = Opened(browser, path)
    try:
        assert o.dialogs == [] and o.errors == []
        assert o.page.eval_on_selector_all("main img", "els => els.length") == 0
        assert HTML_DEPARTMENT in o.page.text_content("#departments")
    finally:
        o.context.close()


def test_the_accountability_page(browser, accountability_run, tmp_path):
    """`zhunsheng report` on an accountability folder: the recommendations page, same standards."""
    import json

    from click.testing import CliRunner

    from cli import main
    target = tmp_path / "问责建议.html"
    res = CliRunner().invoke(main, ["report", str(accountability_run), "--html", str(target)])
    assert res.exit_code == 0, res.output
    summary = json.loads((accountability_run / "summary.json").read_text(encoding="utf-8"))
    notices = [json.loads(x) for x in (accountability_run / "notices.jsonl").read_text(encoding="utf-8").splitlines()]
    o = Opened(browser, target)
    try:
        assert o.errors == [] and not [u for u in o.requests if u.startswith("http")]
        assert set(o.page.eval_on_selector_all("[data-spec]", "els => els.map(e => e.getAttribute('data-rendered'))")) == {"yes"}
        assert o.page.text_content("header").startswith("准绳 问责建议")
        assert "问责建议仅供法制部门审核，不自动产生处分" in o.page.text_content("header")
        assert int(o.page.text_content('[data-key="notices"]')) == summary["notices"] == len(notices)
        for measure, n in summary["by_measure"].items():
            assert int(o.page.text_content(f'[data-key="by_measure.{measure}"]')) == n
        name = notices[0]["subject_name"]
        o.page.fill('input[data-filter="notices-table"]', name)
        rows = o.visible_rows("notices-table")
        assert rows and len(rows) == sum(name in json.dumps(n, ensure_ascii=False) for n in notices)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        o.page.screenshot(path=str(ARTIFACTS / "accountability.png"), full_page=True)
    finally:
        o.context.close()
