"""The check command: exit codes 0/1/2, text and JSON output, input as options, JSON or a file."""
import json

from click.testing import CliRunner

from cli import main

OPTS = ["--violation-code", "FSL-124-1", "--party-type", "单位", "--officers", "A;B", "--procedure", "普通",
        "--violation-date", "2024-03-01", "--discovered-date", "2024-03-05", "--filed-date", "2024-03-06",
        "--decision-date", "2024-04-20", "--publicized-date", "2024-04-25", "--hearing-notified", "是",
        "--sanctions", "没收非法财物", "--harm", "一般", "--goods-value", "9999.99", "--illegal-gain", "0",
        "--serious", "否"]


def invoke(*args):
    return CliRunner().invoke(main, ["check", *args])


def test_lawful_decision_exits_0_and_explains_range():
    res = invoke(*OPTS, "--fine", "75000")
    assert res.exit_code == 0, res.output
    assert "FSL-124-1" in res.output and "50,000.00–100,000.00" in res.output
    assert "65,000.00–85,000.00" in res.output and "一般处罚" in res.output and "No findings" in res.output


def test_findings_exit_1_in_chinese_and_english():
    res = invoke(*OPTS, "--fine", "120000")
    assert res.exit_code == 1
    assert "penalty.above_statutory_max" in res.output and "超过" in res.output and "exceeds" in res.output
    assert "中华人民共和国食品安全法第124条第1款" in res.output


def test_json_output():
    res = invoke(*OPTS, "--fine", "120000", "--json")
    assert res.exit_code == 1
    out = json.loads(res.output)
    assert out["provision"] == "FSL-124-1" and out["provision_version"] == "2015-10-01"
    assert out["tiers"] == ["一般处罚"]
    assert (out["lawful_fine_min"], out["lawful_fine_max"]) == (65000.0, 85000.0)
    assert out["codes"] == ["penalty.above_statutory_max"]
    assert out["lawful_sanctions"][0]["sanction"] == "confiscate_goods"


def test_record_as_json_with_chinese_keys():
    rec = {"违法行为编码": "PVR-7", "当事人类型": "个人", "违法行为发生日期": "2024年3月1日", "处罚决定日期": "2024-04-20",
           "违法所得": 0, "罚款金额": 50000, "执法人员": ["A", "B"], "已告知听证": True, "程序": "普通",
           "公示日期": "2024-04-25"}
    res = invoke("--json", json.dumps(rec, ensure_ascii=False))
    out = json.loads(res.output)
    assert res.exit_code == 0, res.output
    assert (out["lawful_fine_min"], out["lawful_fine_max"]) == (30000.0, 70000.0)


def test_one_row_file(tmp_path):
    f = tmp_path / "one.csv"
    f.write_text("violation_code,party_type,violation_date,decision_date,fine,officers,procedure,hearing_notified\n"
                 "RTSL-90,individual,2024-07-01,2024-07-01,100,JJ1,simple,false\n", encoding="utf-8")
    res = invoke("--file", str(f))
    assert res.exit_code == 0, res.output


def test_bad_input_exits_2():
    res = invoke(*OPTS, "--fine", "abc")
    assert res.exit_code == 2 and "罚款金额 (fine)：" in res.output and "'abc'" in res.output
    res = invoke("--json", "{not json")
    assert res.exit_code == 2 and "--json：JSON 无法解析" in res.output and "invalid JSON" in res.output
    res = invoke(*OPTS[:-2], "--violation-code", "NOPE", "--fine", "1")
    assert res.exit_code == 2 and "未知编码 'NOPE'" in res.output


def test_rules_show():
    res = CliRunner().invoke(main, ["rules", "show", "WSL-95"])
    assert res.exit_code == 0
    assert "2014-12-01 – 2021-08-31" in res.output and "0.3–0.3 × prior_year_income" in res.output
    res = CliRunner().invoke(main, ["rules", "show", "NOPE"])
    assert res.exit_code == 2


def test_rules_test_command():
    res = CliRunner().invoke(main, ["rules", "test"])
    assert res.exit_code == 0, res.output
    assert " 0 failed" in res.output


def test_console_entry_keeps_exit_codes_and_flushes_output():
    """The console script ends with os._exit after the command: output must be flushed, codes kept."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    run = lambda *a: subprocess.run([sys.executable, "-c", "from cli import entry; entry()", *a],  # noqa: E731
                                    cwd=root, capture_output=True, text=True)
    ok = run("rules", "show", "OGI-33")
    assert ok.returncode == 0 and "OGI-33" in ok.stdout
    bad = run("rules", "show", "NOPE")
    assert bad.returncode == 2 and "no provision or deadline 'NOPE'" in bad.stderr
    usage = run("review")
    assert usage.returncode == 2 and "Missing option" in usage.stderr      # --out; the records come from files or --db


def test_as_of_takes_the_date_forms_record_cells_take():
    """Issue 13 §1: --as-of and every date option read dates as records do (2024年12月31日, 2024.12.31 …)."""
    for day in ("2024-12-31", "2024年12月31日", "2024.12.31", "二〇二四年十二月三十一日"):
        res = invoke(*OPTS, "--fine", "75000", "--as-of", day, "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.output)["as_of"] == "2024-12-31"
    res = invoke(*OPTS, "--fine", "75000", "--as-of", "2024-12")
    assert res.exit_code == 2 and "只有年月" in res.output


# -- Chinese first (issue 13 §1) -----------------------------------------------------------------

def test_a_rejected_cell_names_its_column_in_chinese_first_with_the_value(tmp_path):
    import csv
    src = tmp_path / "bad.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["案件编号", "违法行为编码", "罚款金额", "货值金额", "当事人类型", "处罚决定日期", "违法行为发生日期"])
        w.writerow(["B1", "FSL-124-1", "abc", "8000", "单位", "2024-04-20", "2024-03-01"])
        w.writerow(["B2", "FSL-124-1", "60000", "-5", "单位", "2024-04-20", "2024-03-01"])
        w.writerow(["B3", "FSL-124-1", "60000", "8000", "外星人", "2024-04-20", "2024-03-01"])
        w.writerow(["B4", "FSL-124-1", "60000", "8000", "单位", "2024-02-20", "2024-03-01"])
        w.writerow(["B5", "FSL-124-1", "60000", "8000", "单位", "2024-04-20", "2024-03-01"])
        w.writerow(["B5", "FSL-124-1", "60000", "8000", "单位", "2024-04-20", "2024-03-01"])
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["review", str(src), "--out", str(out), "--as-of", "2025-01-01"])
    assert res.exit_code == 0, res.output
    with open(out / "rejected.csv", encoding="utf-8-sig") as fh:
        reasons = {r["case_id"]: r["reason"] for r in csv.DictReader(fh)}
    assert reasons["B1"].startswith("罚款金额 (fine)：") and "'abc'" in reasons["B1"]
    assert reasons["B2"].startswith("货值金额 (goods_value)：不能为负数，实为 -5 (negative amount)")
    assert reasons["B3"].startswith("当事人类型 (party_type)：不认识的值 (unknown value) '外星人'")
    assert "个人" in reasons["B3"] and "单位" in reasons["B3"]             # the Chinese words it accepts
    assert reasons["B4"].startswith("处罚决定日期 (decision_date) 早于 违法行为发生日期 (violation_date)")
    assert reasons["B5"].startswith("案件编号 (case_id) 'B5' 重复出现（第 6, 7 行）")


def _commands(cmd, path):
    import click
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd, info_name=path[-1])
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, path + [name])


def test_every_command_and_option_help_is_chinese_first():
    """Each command's help and each option's help begins in Chinese (a command or file name may
    come first: `review 输出文件夹`, `--redis-stream 的 Redis 服务器`)."""
    import re

    import click
    han = re.compile(r"[\u4e00-\u9fff]")
    english_first = []
    for path, cmd in _commands(main, ["zhunsheng"]):
        texts = [("", (cmd.help or "").strip().split("\n")[0])]
        texts += [("/".join(p.opts), (p.help or "").strip()) for p in cmd.params if isinstance(p, click.Option)]
        for opt, text in texts:
            head = re.split(r"[，。：；（(]", text, maxsplit=1)[0]
            if not han.search(head[:24]):
                english_first.append(f"{' '.join(path)} {opt}: {text[:60]}")
    assert english_first == []
    res = CliRunner().invoke(main, ["--help"])
    assert "用法 Usage:" in res.output and "选项 Options:" in res.output and "命令 Commands:" in res.output
    assert "显示本帮助并退出" in res.output and "review          批量审查" in res.output


def test_the_readme_lists_the_chinese_spellings_of_every_coded_value():
    import re
    from pathlib import Path

    from engine.records.kinds import KINDS, RECORD_KIND
    from engine.records.schema import PENALTY
    han = re.compile(r"[\u4e00-\u9fff]")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 中文写法 Chinese spellings"):]
    section = section[:section.index("\n## ")]
    cols = [RECORD_KIND] + [PENALTY.by_name[n] for n in ("party_type", "subject", "procedure", "harm",
                                                          "accident_level", "sanctions", "factors")] \
        + [KINDS["complaint"].by_name["kind"]]
    for c in cols:
        for code, aliases in c.codes.items():
            spellings = list(dict.fromkeys((code, *aliases)))
            words = "、".join(w for w in spellings if han.search(w))
            english = " ".join(f"`{e}`" for e in spellings if not han.search(e))
            assert f"| {c.zh} `{c.name}` | {words} | {english} |" in section, (c.name, code)
