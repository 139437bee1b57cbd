"""The draw page (``draw run --report FILE`` and ``zhunsheng report DIR`` on a draw folder): one
self-contained offline file whose numbers are those of draw.json, with what a reader needs to check
the draw (seed, commitment, digests), the strata chart, the drawn entities and the results findings.
The browser tests use Debian's chromium through Playwright, like the review report's."""
import hashlib
import json
import re

import pytest
from click.testing import CliRunner

from cli import main
from engine.report.draw_html import write_draw_html

from .conftest import ARTIFACTS, HTML_NAME
from .test_browser import Opened


def draw_json(folder):
    return json.loads((folder / "draw.json").read_text(encoding="utf-8"))


def results_of(folder):
    return [json.loads(x) for x in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines() if x]


@pytest.fixture(scope="module")
def page_path(draw_run):
    return draw_run.parent / "draw.html"          # written by `draw run --report`


# -- as a file ------------------------------------------------------------------------------------

def test_draw_run_report_writes_a_self_contained_page(page_path):
    page = page_path.read_text(encoding="utf-8")
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)
    assert not re.search(r"<(script|img|link|iframe|object|embed)[^>]*\s(src|href|data)\s*=", markup, re.I)
    assert not re.search(r"url\(|@import|@font-face", markup, re.I)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "http" not in csp
    assert "vegaEmbed" in page and "准绳 双随机抽查" in page


def test_report_command_recognises_a_draw_folder(draw_run, page_path):
    res = CliRunner().invoke(main, ["report", str(draw_run)])
    assert res.exit_code == 0, res.output
    assert "抽查页面已生成" in res.output and (draw_run / "抽查报告.html").is_file()
    # the same numbers as the page draw run wrote (the results section is extra: results.jsonl came later)
    keys = re.compile(r'data-key="([^"]+)">([^<]*)<')
    assert dict(keys.findall((draw_run / "抽查报告.html").read_text(encoding="utf-8"))) == \
        dict(keys.findall(page_path.read_text(encoding="utf-8")))
    refused = CliRunner().invoke(main, ["report", str(draw_run), "--excel", str(draw_run.parent / "x.xlsx")])
    assert refused.exit_code == 2 and "draw run --format xlsx" in refused.output
    own = CliRunner().invoke(main, ["report", str(draw_run), "--html", str(draw_run / "draw.json")])
    assert own.exit_code == 2 and "与抽查输出文件同名" in own.output
    assert draw_json(draw_run)["spec_version"]             # draw.json untouched


def test_a_folder_without_draw_json_or_with_a_broken_one_is_refused(draw_run, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "draw.json").write_text('{"spec_version": "zhunsheng-draw/1"}', encoding="utf-8")
    res = CliRunner().invoke(main, ["report", str(broken)])
    assert res.exit_code == 2 and "draw.json 格式不正确" in res.output and not (broken / "抽查报告.html").exists()


def test_entity_names_are_escaped(hostile_draw, tmp_path):
    target = tmp_path / "h.html"
    write_draw_html(hostile_draw, target)
    text = target.read_text(encoding="utf-8")
    assert HTML_NAME not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


# -- in the browser -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def opened(browser, draw_run, tmp_path_factory):
    target = tmp_path_factory.mktemp("draw-page") / "抽查报告.html"
    write_draw_html(draw_run, target)
    o = Opened(browser, target)
    yield o
    o.context.close()


def test_the_draw_page_loads_offline_with_no_error(opened):
    assert opened.errors == [] and opened.dialogs == []
    assert not [u for u in opened.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    states = opened.page.eval_on_selector_all("[data-spec]", "els => els.map(e => e.getAttribute('data-rendered'))")
    assert states and set(states) == {"yes"}
    marks = opened.page.eval_on_selector_all("[data-spec] svg", "els => els.map(e => e.querySelectorAll('rect, path').length)")
    assert min(marks) > 12                      # at least a bar per stratum and measure
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(ARTIFACTS / "draw.png"), full_page=True)
    assert (ARTIFACTS / "draw.png").stat().st_size > 10_000


def test_the_numbers_are_those_of_draw_json(opened, draw_run):
    doc = draw_json(draw_run)
    shown = {k: int(v.replace(",", "")) for k, v in opened.page.eval_on_selector_all(
        "[data-key]", "els => els.map(e => [e.getAttribute('data-key'), e.textContent])")}
    strata = doc["strata"]
    assert shown["strata"] == len(strata)
    assert shown["population"] == sum(s["population"] for s in strata)
    assert shown["eligible"] == sum(s["eligible"] for s in strata)
    assert shown["drawn"] == sum(s["n"] for s in strata) == len(doc["selections"])
    assert shown["assignments"] == len(doc["assignments"]) and shown["unfilled"] == len(doc["unfilled"])
    assert shown["rejected"] == sum(v.get("rejected", 0) for v in doc["inputs"].values())
    rows = opened.visible_rows("strata-table")
    assert [(r[0], r[2], r[3], int(r[4]), int(r[8]), int(r[9])) for r in rows] == \
        [(s["item_id"], s["credit_class"], s["rate"], s["population"], s["eligible"], s["n"]) for s in strata]
    targets = opened.visible_rows("targets-table")
    assert [(r[0], r[2], int(r[3]), r[4], r[7]) for r in targets] == \
        [(s["item_id"], s["credit_class"], s["rank"], s["entity_id"], s["ticket"]) for s in doc["selections"]]
    assert all(r[5] for r in targets)             # every drawn entity named, from the 公示名单
    teams = {(a["item_id"], a["entity_id"]): "、".join(a["inspectors"]) for a in doc["assignments"]}
    assert all(r[9] == teams[(r[0], r[4])] for r in targets)


def test_the_page_gives_what_is_needed_to_verify_the_draw(opened, draw_run):
    doc = draw_json(draw_run)
    text = opened.page.text_content("#verify")
    digest = hashlib.sha256((draw_run / "draw.json").read_bytes()).hexdigest()
    for value in (doc["seed"], doc["seed_note"], doc["commitment"]["sha256"], doc["commitment"]["committed_at"],
                  digest, *(v["sha256"] for v in doc["inputs"].values())):
        assert value in text
    assert f"{doc['record_sha256']}（与其余字段一致" in text
    assert "zhunsheng draw verify draw.json --entities entities.csv" in text


def test_search_and_sort_the_drawn_entities(opened, draw_run):
    page = opened.page
    doc = draw_json(draw_run)
    want = [s for s in doc["selections"] if s["item_id"] == "ADV-01"]
    page.fill('input[data-filter="targets-table"]', "ADV-01")
    rows = opened.visible_rows("targets-table")
    assert len(rows) == len(want) and all(r[0] == "ADV-01" for r in rows)
    page.fill('input[data-filter="targets-table"]', "")
    head = page.locator("#targets-table th", has_text="随机数")
    head.click()
    tickets = [r[7] for r in opened.visible_rows("targets-table")]
    assert tickets == sorted(tickets) and len(tickets) == len(doc["selections"])


def test_results_not_published_in_time_are_listed(opened, draw_run):
    found = results_of(draw_run)
    rows = opened.visible_rows("results-table")
    assert found and [(r[0], r[1], int(r[7])) for r in rows] == \
        [(f["entity_id"], f["item_id"], f["working_days_late"]) for f in found]


def test_input_text_never_runs_in_the_draw_page(browser, hostile_draw, tmp_path):
    target = tmp_path / "h.html"
    write_draw_html(hostile_draw, target)
    o = Opened(browser, target)
    try:
        assert o.dialogs == [] and o.errors == []
        assert o.page.eval_on_selector_all("main img", "els => els.length") == 0
        assert HTML_NAME in o.page.text_content("#targets-table")
    finally:
        o.context.close()


def test_draw_run_refuses_a_report_named_like_its_own_files_before_drawing(tmp_path):
    from .conftest import DRAW
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    regs = ["--entities", str(DRAW / "entities.csv"), "--inspectors", str(DRAW / "inspectors.csv"),
            "--conflicts", str(DRAW / "conflicts.csv"), "--db", db]
    assert CliRunner().invoke(main, ["draw", "prepare", str(DRAW / "plan.yaml"), *regs]).exit_code == 0
    run = ["draw", "run", str(DRAW / "plan.yaml"), *regs, "--seed", "1.2.3", "--seed-note", "测试",
           "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(main, [*run, "--report", str(tmp_path / "out" / "draw.json")])
    assert res.exit_code == 2 and "与抽查输出文件同名" in res.output
    assert not (tmp_path / "out" / "draw.json").exists()
    res = CliRunner().invoke(main, run)                  # nothing was recorded: this is the first draw
    assert res.exit_code == 0 and "抽取完成 (draw recorded)" in res.output
