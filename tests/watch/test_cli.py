"""`zhunsheng watch` as users run it: bad input is a refused line or one clear line with exit 2, never a
traceback; everything the user reads is Chinese first, English after it."""
import json
import re
import subprocess
import sys

from .helpers import ROOT, read_jsonl

ZS = [sys.executable, "-c", "import cli; cli.main()"]
CJK = re.compile(r"[\u4e00-\u9fff]")
T = "2024-10-08T09:00:00+08:00"


def run_watch(*args, stdin=None):
    return subprocess.run([*ZS, "watch", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=120)


def events_file(tmp_path, lines):
    p = tmp_path / "events.jsonl"
    p.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines),
                 encoding="utf-8")
    return p


def chinese_first(text: str) -> bool:
    """The first letter-like character is Chinese and English follows later (in brackets)."""
    first = re.search(r"[A-Za-z\u4e00-\u9fff]", text)
    return bool(first) and bool(CJK.match(first.group())) and bool(re.search(r"\([^)]*[A-Za-z]", text))


def test_poison_line_is_refused_and_every_restart_goes_on(tmp_path):
    """A line of 100,000 '[' made json raise RecursionError: the monitor crashed, never committed the line,
    and crashed again at every restart."""
    ev = events_file(tmp_path, ["[" * 100_000,
                                {"event": "disclosure.received", "case_id": "D1", "time": T},
                                {"event": "clock.tick", "time": "2025-01-10T00:00:00+08:00"}])
    out = tmp_path / "out"
    first = run_watch("--events", ev, "--replay", "--out", out)
    assert first.returncode == 0, first.stderr[-2000:]
    rej = read_jsonl(out / "rejected_events.jsonl")
    assert [(r["line"], "nested too deeply" in r["reason"]) for r in rej] == [(1, True)]
    assert {c["case_id"] for c in read_jsonl(out / "cards.jsonl")} == {"D1"}     # the next lines were used
    again = run_watch("--events", ev, "--replay", "--out", out)
    assert again.returncode == 0 and again.stdout == "", again.stderr[-2000:]


def test_output_folder_under_a_file_is_a_clear_error(tmp_path):
    ev = events_file(tmp_path, [{"event": "clock.tick", "time": T}])
    p = run_watch("--events", ev, "--replay", "--out", ev / "out")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "无法创建输出目录 (cannot create the output folder)" in p.stderr


def test_unwritable_output_file_is_a_clear_error(tmp_path):
    ev = events_file(tmp_path, [{"event": "clock.tick", "time": T}])
    out = tmp_path / "out"
    (out / "cards.jsonl").mkdir(parents=True)                     # cards.jsonl cannot be written
    p = run_watch("--events", ev, "--replay", "--out", out)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "无法写入输出目录 (cannot write to the output folder)" in p.stderr


def test_damaged_rejected_list_does_not_stop_a_restart(tmp_path):
    """rejected_events.jsonl is cut to its committed lines at start; bytes that are not UTF-8 in it (a torn
    or edited file) made the restart fail with UnicodeDecodeError."""
    ev = events_file(tmp_path, ["not json", {"event": "clock.tick", "time": T}])
    out = tmp_path / "out"
    assert run_watch("--events", ev, "--replay", "--out", out).returncode == 0
    rp = out / "rejected_events.jsonl"
    rp.write_bytes(rp.read_bytes() + b"\xff\xfe torn\n")
    p = run_watch("--events", ev, "--replay", "--out", out)
    assert p.returncode == 0, p.stderr[-2000:]
    assert len(read_jsonl(rp)) == 1


def test_bad_events_and_catalogue_paths_are_clear_errors(tmp_path):
    ev = events_file(tmp_path, [{"event": "clock.tick", "time": T}])
    bad_cat = tmp_path / "catalog.csv"
    bad_cat.write_text("a,b\n1,2\n", encoding="utf-8")
    cases = [(("--events", tmp_path, "--replay", "--out", tmp_path / "o1"), "事件文件是一个目录"),
             (("--events", tmp_path / "none.jsonl", "--replay", "--out", tmp_path / "o2"), "事件文件不存在"),
             (("--events", ev, "--replay", "--out", tmp_path / "o3", "--catalog", bad_cat), "审批目录无法使用"),
             (("--events", ev, "--replay", "--out", tmp_path / "o4", "--catalog", tmp_path), "审批目录是一个目录"),
             (("--events", ev, "--replay", "--out", ev), "输出目录是一个文件"),
             (("--replay", "--out", tmp_path / "o5"), "请给出 --events")]
    for args, zh in cases:
        p = run_watch(*args)
        assert p.returncode == 2 and "Traceback" not in p.stderr, (args, p.stderr[-2000:])
        line = p.stderr.strip().splitlines()[-1]
        assert zh in line and chinese_first(line.removeprefix("错误 (error): ")), (args, line)


def test_cards_and_messages_read_chinese_first(tmp_path):
    """Cards on stdout keep every JSON field of cards.jsonl, with 提示 in front: the card in words, Chinese
    first; every line on stderr (refusals, notes, the closing count) is Chinese first too."""
    ev = events_file(tmp_path, [
        "not json",
        {"event": "approval.received", "case_id": "A1", "time": T, "colour": "red"},
        {"event": "disclosure.received", "case_id": "D1", "time": T},
        {"event": "approval.approved", "case_id": "A2", "time": T},
        {"event": "clock.tick", "time": "2025-01-10T00:00:00+08:00"}])
    out = tmp_path / "out"
    p = run_watch("--events", ev, "--replay", "--out", out)
    assert p.returncode == 0, p.stderr[-2000:]
    shown = p.stdout.splitlines()
    files = (out / "cards.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(shown) == len(files) >= 4
    for s, f in zip(shown, files):
        assert s.startswith('{"提示":"') and chinese_first(json.loads(s)["提示"])
        obj = json.loads(s)
        obj.pop("提示")
        assert obj == json.loads(f)
    assert {json.loads(s)["提示"][:4] for s in shown} == {"黄牌预警", "红牌超时"}
    errs = p.stderr.strip().splitlines()
    assert len(errs) >= 4
    assert all(chinese_first(x) for x in errs), errs
