"""The HTML report as a file: self-contained (no address outside the file), input text escaped,
bounded in size for a large run; and the ``report`` command that writes it."""
import json
import re
import shutil

import pytest
from click.testing import CliRunner

from cli import main
from engine.report.html import write_review_html
from engine.report.stats import TABLE_ROWS

from .conftest import FORMULA_CASE, HTML_DEPARTMENT, reseal, summary_of


@pytest.fixture(scope="module")
def page(sample, tmp_path_factory):
    target = tmp_path_factory.mktemp("html") / "report.html"
    write_review_html(sample, target)
    return target.read_text(encoding="utf-8")


def test_the_page_loads_nothing_from_outside(page):
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)   # the markup, scripts emptied
    assert not re.search(r"<(script|img|link|iframe|object|embed)[^>]*\s(src|href|data)\s*=", markup, re.I)
    assert not re.search(r"url\(|@import|@font-face", markup, re.I)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "http" not in csp
    assert "vegaEmbed" in page and page.count("<script") >= 3     # the chart library is inside the file


def test_input_text_is_escaped(hostile, tmp_path):
    target = tmp_path / "r.html"
    write_review_html(hostile, target)
    text = target.read_text(encoding="utf-8")
    assert HTML_DEPARTMENT not in text
    assert "&lt;img src=x onerror=alert(1)&gt;监管局" in text
    assert "（未填写部门）" in text
    specs = re.findall(r'<script type="application/json" id="spec-\d+">(.*?)</script>', text, re.S)
    assert specs and all("<" not in s for s in specs)
    assert any(HTML_DEPARTMENT in json.dumps(json.loads(s), ensure_ascii=False) for s in specs)
    assert "=HYPERLINK(&quot;http://example.invalid&quot;" in text and FORMULA_CASE not in text


def test_a_large_run_makes_a_bounded_page(sample, tmp_path):
    """20,000 findings: charts stay aggregated and the table lists the most serious TABLE_ROWS."""
    big = tmp_path / "big"
    shutil.copytree(sample, big)
    times = 520
    lines = (sample / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    cases = (sample / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    with open(big / "findings.jsonl", "w", encoding="utf-8") as fh:
        for i in range(times):
            for line in lines:
                f = json.loads(line)
                f["case_id"] = f"{f['case_id']}-{i}"
                fh.write(json.dumps(f, ensure_ascii=False) + "\n")
    with open(big / "cases.jsonl", "w", encoding="utf-8") as fh:
        for i in range(times):
            for line in cases:
                c = json.loads(line)
                c["case_id"] = f"{c['case_id']}-{i}"
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    s = json.loads((big / "summary.json").read_text(encoding="utf-8"))
    s["findings"] *= times
    s["by_code"] = {k: v * times for k, v in s["by_code"].items()}
    (big / "summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    reseal(big)
    target = tmp_path / "big.html"
    size = write_review_html(big, target)
    text = target.read_text(encoding="utf-8")
    assert size < 4_000_000, size
    body = text.split('id="findings-table"')[1].split("</table>")[0]
    assert body.count("<tr>") == TABLE_ROWS + 1           # the header row and the rows listed
    assert f"共 {len(lines) * times:,} 个问题，本页列出最严重的 {TABLE_ROWS:,} 个" in text
    high = sum(1 for line in lines if json.loads(line)["severity"] == "high") * times
    assert high >= TABLE_ROWS and body.count('class="sev-高"') == TABLE_ROWS


def invoke(*args):
    return CliRunner().invoke(main, ["report", *map(str, args)])


def test_report_command_writes_both_and_refuses_unfinished_or_mixed_folders(sample, tmp_path):
    res = invoke(sample, "--html", tmp_path / "r.html", "--excel", tmp_path / "r.xlsx")
    assert res.exit_code == 0, res.output
    assert "报告已生成" in res.output and "工作簿已生成" in res.output
    assert (tmp_path / "r.html").stat().st_size > 0 and (tmp_path / "r.xlsx").stat().st_size > 0

    unfinished = tmp_path / "unfinished"
    shutil.copytree(sample, unfinished)
    (unfinished / "summary.json").unlink()
    res = invoke(unfinished, "--html", tmp_path / "u.html")
    assert res.exit_code == 2 and res.output.startswith("错误 (error): ") and "没有 summary.json" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "u.html").exists()

    mixed = tmp_path / "mixed"
    shutil.copytree(sample, mixed)
    with open(mixed / "findings.jsonl", "a", encoding="utf-8") as fh:
        fh.write("{}\n")
    res = invoke(mixed)
    assert res.exit_code == 2 and "混有不同运行的输出" in res.output
    assert not (mixed / "审查报告.html").exists()

    res = invoke(sample, "--excel", sample / "findings.jsonl")
    assert res.exit_code == 2 and "与审查结果文件同名" in res.output
    assert summary_of(sample)["files"]["findings.jsonl"]["lines"] == summary_of(sample)["findings"]

    missing = tmp_path / "nowhere"
    res = invoke(missing)
    assert res.exit_code == 2 and "不是文件夹" in res.output and not missing.exists()


def test_report_command_default_writes_into_the_folder(sample, tmp_path):
    folder = tmp_path / "f"
    shutil.copytree(sample, folder)
    res = invoke(folder)
    assert res.exit_code == 0, res.output
    assert (folder / "审查报告.html").is_file()
    from engine.io.outset import verify_folder
    verify_folder(folder)                    # the report sits beside the run without breaking its seal


def test_certainty_is_shown_when_the_findings_carry_it(extended, legacy, tmp_path):
    from .conftest import findings_of
    write_review_html(extended, tmp_path / "new.html")
    text = (tmp_path / "new.html").read_text(encoding="utf-8")
    possible = sum(f["certainty"] == "possible" for f in findings_of(extended))
    assert re.search(rf'data-key="possible_findings">{possible}<', text)
    assert re.search(rf'data-key="findings">{len(findings_of(extended)) - possible}<', text)
    assert "<th data-sortable=\"1\" data-type=\"text\">确定性</th>" in text
    write_review_html(legacy, tmp_path / "old.html")
    old = (tmp_path / "old.html").read_text(encoding="utf-8")
    assert "possible_findings" not in old and ">确定性</th>" not in old and "可能问题数" not in old
