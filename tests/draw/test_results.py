"""inaction.results_not_publicized: 20 working days (企业信息公示暂行条例 Art. 6 para. 2), 调休 included."""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from engine.draw import ledger as ledger_mod
from engine.draw.results import CODE, review
from engine.io.readers import read_table

from .helpers import write_csv


def frame(tmp_path, rows, header=("entity_id", "item_id", "result", "date", "publicized")):
    return read_table(write_csv(tmp_path / "r.csv", list(header), rows))


def test_deadline_across_national_day_with_make_up_workdays(tmp_path):
    # 2025-09-26 (Fri). Counted by hand from the State Council's 2025 notice: 9/28 (Sun, 调休 workday) 1,
    # 9/29 2, 9/30 3, holiday 10/1–10/8, 10/9 4, 10/10 5, 10/11 (Sat, 调休 workday) 6, 10/13–17 7–11,
    # 10/20–24 12–16, 10/27 17, 10/28 18, 10/29 19, 10/30 20.
    f = frame(tmp_path, [["E1", "X", "合格", "2025-09-26", "2025-10-30"],
                         ["E2", "X", "合格", "2025-09-26", "2025-10-31"]])
    rep = review(f, "r.csv", dt.date(2025, 12, 31))
    assert [(x["entity_id"], x["deadline"], x["working_days_late"]) for x in rep["findings"]] == \
        [("E2", "2025-10-30", 1)]
    assert rep["findings"][0]["code"] == CODE == "inaction.results_not_publicized"
    assert rep["findings"][0]["basis"]["law"] == "企业信息公示暂行条例" and rep["findings"][0]["basis"]["article"] == 6


def test_unpublished_is_pending_until_the_deadline_passes(tmp_path):
    f = frame(tmp_path, [["E1", "X", "发现问题", "2025-04-30", ""]])   # deadline 2025-06-03 (劳动节, 端午)
    assert review(f, "r.csv", dt.date(2025, 6, 3))["pending"] == 1
    rep = review(f, "r.csv", dt.date(2025, 6, 4))
    assert rep["pending"] == 0 and rep["findings"][0]["deadline"] == "2025-06-03"
    assert rep["findings"][0]["publicized"] is None and rep["findings"][0]["working_days_late"] == 1


def test_bad_rows_are_rejected_with_row_numbers(tmp_path):
    f = frame(tmp_path, [["E1", "X", "r", "2025-13-01", ""],       # row 2
                         ["E2", "X", "r", "2025-06-03", "2025-06-01"],  # row 3
                         ["", "X", "r", "2025-06-03", ""],          # row 4
                         ["E4", "X", "r", "", ""],                  # row 5
                         ["E5", "X", "r", "2031-01-02", ""],        # row 6: no calendar for 2031
                         ["E6", "X", "r", "2025年6月3日", "2025/6/10"]])  # row 7: fine
    rep = review(f, "r.csv", dt.date(2025, 12, 31))
    rej = {r["row"]: r["reason"] for r in rep["rejected"]}
    assert set(rej) == {2, 3, 4, 5, 6}
    assert "无法识别" in rej[2] and "早于" in rej[3] and "为空" in rej[4] and "为空" in rej[5] and "日历" in rej[6]
    assert rep["used"] + len(rep["rejected"]) == rep["rows"] == 6
    assert rep["findings"] == []


def test_cli_with_chinese_headers_imports_once(cli, tmp_path):
    path = write_csv(tmp_path / "结果.csv", ["统一社会信用代码", "事项编号", "检查结果", "检查日期", "公示日期"],
                     [["914403001922038216", "FOOD-01", "未发现问题", "2025-03-21", "2025-04-25"]])
    out = tmp_path / "f.jsonl"
    r = cli("results", path, "--as-of", "2025-06-30", "--out", out)
    assert r.exit_code == 0, r.output
    assert "逾期未公示 1 条" in r.output and "已导入账本" in r.output
    finding = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert finding["deadline"] == "2025-04-21" and finding["working_days_late"] == 4   # 清明 4/4
    r = cli("results", path, "--as-of", "2025-06-30")
    assert "此前已导入" in r.output
    eng = sa.create_engine(cli.db)
    with eng.connect() as cx:
        assert cx.execute(sa.select(sa.func.count()).select_from(ledger_mod.results)).scalar() == 1
    eng.dispose()


def test_bundled_results_case(cli):
    from .conftest import CASES
    r = cli("results", CASES / "results.csv", "--as-of", "2025-06-30", "--no-import")
    assert r.exit_code == 0
    assert "采用 5，拒收 2" in r.output and "逾期未公示 3 条" in r.output
